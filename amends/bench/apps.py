from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.bench"
    label = "bench"
    default_auto_field = "django.db.models.BigAutoField"
