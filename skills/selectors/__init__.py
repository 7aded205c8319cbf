"""Read paths of the skills app shaped for pages and endpoints (QuerySet methods live on the models).

Import each from its module: this package re-exports nothing.
"""
