import os
from importlib import import_module

from django.core.asgi import get_asgi_application

from skillsite.settings import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillsite.settings")
# Fail at start-up with the variable's name (Django's own check only fires on first use).
require_secret_key(import_module(os.environ["DJANGO_SETTINGS_MODULE"]).SECRET_KEY)
application = get_asgi_application()
