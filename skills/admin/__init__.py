"""The skills admin: review screens and the dashboard call the same services as the API."""

from . import base, candidates, jobs, registry  # noqa: F401  (register the model admins)
