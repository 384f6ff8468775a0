from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from amends.core import many  # noqa: F401 - registers the `any` lookup
