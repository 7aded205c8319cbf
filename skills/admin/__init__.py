"""The skills admin: review screens and the dashboard call the same services as the API."""

from django.contrib import admin

from . import base, candidates, experiments, jobs, registry, unregistered  # noqa: F401  (register the model admins)

# The navigation sidebar takes 300 px of every page: at 1280 px it pushed the changelists' columns out
# of sight. The index and the breadcrumbs already lead everywhere.
admin.site.enable_nav_sidebar = False
