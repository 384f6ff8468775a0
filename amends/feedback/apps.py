from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.feedback"
    label = "feedback"
    verbose_name = "Customer feedback: check-ins and the satisfaction survey"
    default_auto_field = "django.db.models.BigAutoField"
