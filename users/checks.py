"""Startup checks for unsafe settings (Django's system checks framework).

Each is an Error outside development, so ``manage.py`` commands and the
WSGI/ASGI entry points refuse to start and name the setting to fix.
"""

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from users.conf import jwt_settings
from users.keys import HMAC_ALGORITHMS, key_ring

TAG = "graphql_auth"


def _signing_key_errors() -> list[Error]:
    try:
        key_ring()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="Fix JWT_SIGNING_KEY.", id="users.E001")]
    if (
        jwt_settings.ALGORITHM in HMAC_ALGORITHMS
        and jwt_settings.SIGNING_KEY == settings.SECRET_KEY
    ):
        return [
            Error(
                "JWT_SIGNING_KEY must not be Django's SECRET_KEY.",
                hint="Generate one: manage.py generate_signing_key.",
                id="users.E002",
            )
        ]
    return []


def _cookie_errors() -> list[Error]:
    if not jwt_settings.REFRESH_TOKEN_COOKIE or jwt_settings.REFRESH_COOKIE_SECURE:
        return []
    return [
        Error(
            "The refresh token cookie must be Secure outside development.",
            hint="Set JWT_REFRESH_COOKIE_SECURE=1 (and serve over HTTPS).",
            id="users.E003",
        )
    ]


def _cors_errors() -> list[Error]:
    wildcard = getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False) or "*" in getattr(
        settings, "CORS_ALLOWED_ORIGINS", []
    )
    if wildcard and getattr(settings, "CORS_ALLOW_CREDENTIALS", False):
        return [
            Error(
                "CORS allows every origin together with credentials.",
                hint="List the origins in CORS_ALLOWED_ORIGINS instead.",
                id="users.E004",
            )
        ]
    return []


def _debug_errors() -> list[Error]:
    if not settings.DEBUG:
        return []
    return [
        Error(
            "DEBUG is on outside development.",
            hint="Unset DJANGO_DEBUG.",
            id="users.E005",
        )
    ]


# Mail backends that write the message out on this machine: reset and
# verification links (each a credential) would land in logs or files.
LOGGING_MAIL_BACKENDS = (
    "users.mail_console.ReadableConsoleBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


def _mail_errors() -> list[Error]:
    mailers = getattr(settings, "MAILERS", None) or {}
    if mailers.get("default", {}).get("BACKEND") not in LOGGING_MAIL_BACKENDS:
        return []
    return [
        Error(
            "Mail is not sent outside development: password reset and "
            "verification links would be written to the server's log.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, ...).",
            id="users.E006",
        )
    ]


POSITIVE_SECONDS = (
    "ACCESS_TOKEN_LIFETIME",
    "REFRESH_TOKEN_IDLE_LIFETIME",
    "SESSION_ABSOLUTE_LIFETIME",
)


def _lifetime_errors() -> list[Error]:
    errors = []
    for name in POSITIVE_SECONDS:
        if getattr(jwt_settings, name) <= 0:
            errors.append(
                Error(
                    f"JWT_{name} must be a positive number of seconds.",
                    hint=f"Set JWT_{name} above zero, or unset it.",
                    id="users.E008",
                )
            )
    for name in ("REFRESH_GRACE_PERIOD", "LEEWAY"):
        if getattr(jwt_settings, name) < 0:
            errors.append(Error(f"JWT_{name} may not be negative.", id="users.E008"))
    return errors


def _proxy_errors() -> list[Error]:
    errors = []
    for entry in getattr(settings, "TRUSTED_PROXIES", ()):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"TRUSTED_PROXIES holds {entry!r}, no address or network.",
                    hint="List addresses or networks, such as 10.0.0.0/8.",
                    id="users.E007",
                )
            )
    return errors


@register(Tags.security, TAG)
def check_safe_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse a short or shared signing secret, insecure cookies, open CORS."""
    # A key that cannot sign fails every sign-in: refuse it in development too.
    errors = (
        _cors_errors() + _signing_key_errors() + _proxy_errors() + _lifetime_errors()
    )
    if getattr(settings, "DEVELOPMENT", True):
        return errors
    return errors + _cookie_errors() + _debug_errors() + _mail_errors()
