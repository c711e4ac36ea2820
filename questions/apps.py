from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "questions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from questions import pipeline

        pipeline.register()  # the materials pipeline's question stage (materials never imports questions)
