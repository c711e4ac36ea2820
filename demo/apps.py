from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`): on top of every other app, as it uses them all."""

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
