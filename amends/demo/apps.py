from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "amends.demo"
    label = "demo"
    verbose_name = "Demo company"
