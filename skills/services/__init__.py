"""Write paths of the skills app, one module a concept; the admin, the API and the commands call them.

Import each from its module (`from skills.services.registry import skill_version_publish`): this
package re-exports nothing. Events enter through `skills.ingestion`, not through here.
"""
