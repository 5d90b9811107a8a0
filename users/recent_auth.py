"""Recent authentication ("sudo mode") for sensitive operations."""

import time

from schema.errors import ReauthenticationRequired
from users.conf import jwt_settings


def require_recent_auth(payload: dict) -> None:
    """Raise unless the session proved a password within the window."""
    age = time.time() - payload.get("auth_time", 0)
    if age > jwt_settings.REAUTHENTICATION_WINDOW:
        raise ReauthenticationRequired()
