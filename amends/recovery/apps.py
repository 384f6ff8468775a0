from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.recovery"
    label = "recovery"
    verbose_name = "Recovery: failures owned and made right"
    default_auto_field = "django.db.models.BigAutoField"
