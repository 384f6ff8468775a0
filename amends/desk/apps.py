from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.desk"
    label = "desk"
    default_auto_field = "django.db.models.BigAutoField"
