"""Token and session settings: every key once, with its default and unit.

``settings.JWT`` overrides the defaults below. Values are read at call time,
so ``override_settings(JWT=...)`` takes effect at once; an unknown key fails
at startup (see ``users.checks``).
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Setting:
    default: Any
    doc: str


DEFAULTS: dict[str, Setting] = {
    "ALGORITHM": Setting("HS256", "JWS algorithm that signs and verifies."),
    "SIGNING_KEY": Setting("", "HMAC secret (HS256) or PEM private key."),
    "VERIFYING_KEYS": Setting(
        [], "Older secrets or PEM public keys still accepted (rotation)."
    ),
    "ISSUER": Setting("graphql-auth", "The iss claim, issued and required."),
    "AUDIENCE": Setting(None, "The aud claim, issued and required when set."),
    "ACCESS_TOKEN_LIFETIME": Setting(900, "Access token lifetime, seconds."),
    "REFRESH_TOKEN_IDLE_LIFETIME": Setting(
        7 * 24 * 3600, "A session ends after this long unused, seconds."
    ),
    "SESSION_ABSOLUTE_LIFETIME": Setting(
        30 * 24 * 3600, "No refresh extends a session past this, seconds."
    ),
    "REFRESH_GRACE_PERIOD": Setting(
        15, "A just-rotated refresh token may be retried this long, seconds."
    ),
    "LEEWAY": Setting(5, "Clock skew allowed on exp, nbf and iat, seconds."),
    "REAUTHENTICATION_WINDOW": Setting(
        600, "Sensitive operations need a password proof this recent, seconds."
    ),
    "MAX_SESSIONS_PER_USER": Setting(
        50, "Signing in past this revokes the least recently used session."
    ),
    "REFRESH_TOKEN_COOKIE": Setting(
        False, "Send refresh tokens in an httpOnly cookie, not the body."
    ),
    "REFRESH_COOKIE_NAME": Setting(
        "__Host-refresh_token", "Cookie name; __Host- pins it to this host."
    ),
    "REFRESH_COOKIE_SECURE": Setting(True, "Mark the cookie Secure (HTTPS)."),
    "REFRESH_COOKIE_SAMESITE": Setting("Strict", "SameSite: Strict, Lax or None."),
    "CLAIMS_HOOK": Setting(
        None, "Dotted path of a function(user) -> dict of extra claims."
    ),
    "MIN_HMAC_KEY_BYTES": Setting(32, "Shortest HMAC secret accepted, bytes."),
}


class JwtSettings:
    """Attribute access to ``settings.JWT`` over ``DEFAULTS``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown JWT setting {name!r}")
        overrides = getattr(settings, "JWT", {})
        return overrides.get(name, DEFAULTS[name].default)

    def check(self) -> None:
        """Raise ImproperlyConfigured for keys that are not settings."""
        unknown = set(getattr(settings, "JWT", {})) - set(DEFAULTS)
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ImproperlyConfigured(f"Unknown key(s) in settings.JWT: {names}")


jwt_settings = JwtSettings()
