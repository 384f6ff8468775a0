from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.customers"
    label = "customers"
    default_auto_field = "django.db.models.BigAutoField"
