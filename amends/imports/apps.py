from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.imports"
    label = "imports"
    verbose_name = "Import from another desk"
    default_auto_field = "django.db.models.BigAutoField"
