from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"
