from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedules_after_migrate(sender, using: str, **kwargs) -> None:
    # After `migrate` (and a test database's flush), so beat's schedule rows always exist.
    from skills.jobs.schedules import schedules_ensure

    schedules_ensure(using=using)


class SkillsConfig(AppConfig):
    name = "skills"
    verbose_name = "Agent skills"

    def ready(self) -> None:
        from skillsite.lookups import register

        register()
        post_migrate.connect(_schedules_after_migrate, sender=self)
