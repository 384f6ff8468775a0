from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.learning"
    label = "learning"
    verbose_name = "Learning: reviews, corrective actions and the checks that they held"
    default_auto_field = "django.db.models.BigAutoField"
