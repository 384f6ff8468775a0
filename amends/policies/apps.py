from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.policies"
    label = "policies"
    default_auto_field = "django.db.models.BigAutoField"
