from django.apps import AppConfig


class SkillsConfig(AppConfig):
    name = "skills"
    verbose_name = "Agent skills"

    def ready(self) -> None:
        from skillsite.lookups import register

        register()
