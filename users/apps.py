"""The users app: checks its settings and connects its signals at startup."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from users import checks, signals  # noqa: F401  (registers them)
        from users.conf import jwt_settings

        jwt_settings.check()
