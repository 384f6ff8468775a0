from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.watchdog"
    label = "watchdog"
    default_auto_field = "django.db.models.BigAutoField"
