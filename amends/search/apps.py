from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"
