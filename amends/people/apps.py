from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"
