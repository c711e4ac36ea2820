from django.apps import AppConfig


class MaterialsConfig(AppConfig):
    name = "materials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.gdpr import erasure_register
        from materials.services import materials_erase

        erasure_register(materials_erase)  # a student's erasure deletes their files too
