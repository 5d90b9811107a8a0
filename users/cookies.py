"""Cookie mode: the refresh token travels in an httpOnly cookie.

With ``REFRESH_TOKEN_COOKIE`` on, every AuthPayload sets the cookie and
answers ``refreshToken: null``; ``refreshToken`` and ``revokeToken`` read
the cookie when no argument is given; sign-out clears it. The access token
stays in the client's memory. Requests that can use the cookie are checked
for CSRF by ``schema.view`` (a cookie is sent by the browser on its own).
"""

from datetime import datetime
from typing import Any

from django.utils import timezone

from users.conf import jwt_settings


def cookie_mode() -> bool:
    """Whether refresh tokens travel in the cookie (REFRESH_TOKEN_COOKIE)."""
    return bool(jwt_settings.REFRESH_TOKEN_COOKIE)


def deliver(response: Any, refresh_token: str | None, expires_at: datetime) -> Any:
    """Put the refresh token in the cookie in cookie mode; return the body value."""
    if not cookie_mode() or refresh_token is None:
        return refresh_token
    response.set_cookie(
        jwt_settings.REFRESH_COOKIE_NAME,
        refresh_token,
        max_age=max(int((expires_at - timezone.now()).total_seconds()), 0),
        path="/",
        secure=jwt_settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite=jwt_settings.REFRESH_COOKIE_SAMESITE,
    )
    return None


def read(request: Any, argument: str | None) -> str | None:
    """Return the refresh token from the argument, else from the cookie."""
    if argument or not cookie_mode():
        return argument
    return request.COOKIES.get(jwt_settings.REFRESH_COOKIE_NAME)


def clear(response: Any) -> None:
    """Expire the refresh cookie, in cookie mode."""
    if cookie_mode():
        response.delete_cookie(
            jwt_settings.REFRESH_COOKIE_NAME,
            path="/",
            samesite=jwt_settings.REFRESH_COOKIE_SAMESITE,
        )
