from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.portal"
    label = "portal"
    verbose_name = "Customer portal"
    default_auto_field = "django.db.models.BigAutoField"
