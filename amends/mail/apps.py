from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.mail"
    label = "mail"
    verbose_name = "Email in"
    default_auto_field = "django.db.models.BigAutoField"
