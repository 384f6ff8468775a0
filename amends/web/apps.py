from django.apps import AppConfig


class Config(AppConfig):
    name = "amends.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from amends.web.session_idle import seen_at_sign_in
        from amends.web.two_factor import step_at_sign_in

        user_logged_in.connect(seen_at_sign_in, dispatch_uid="amends.web.session_idle")
        user_logged_in.connect(step_at_sign_in, dispatch_uid="amends.web.two_factor")
