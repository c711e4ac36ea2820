from django.apps import AppConfig


class StudyinConfig(AppConfig):
    name = "studyin"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from studyin import checks  # noqa: F401 - registers the system checks
