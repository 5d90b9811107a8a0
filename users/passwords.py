"""Checking the signed-in user's password (and second factor) again."""

from typing import Any

from schema.errors import InvalidCredentials
from users import ratelimit, totp
from users.models import Session
from users.security_log import security_log

# Marks a password check that does not look at the second factor.
UNCHECKED = object()


def confirm_identity(session: Session, password: str, otp: Any = UNCHECKED) -> None:
    """Raise unless ``password`` is the session user's; rate limited per user.

    When ``otp`` is given (even as None), the second factor is checked too,
    and a wrong code counts against the same limit as a wrong password.
    """
    subject = f"user:{session.user_id}"
    ratelimit.hit("password_check_user", subject)
    if not session.user.check_password(password):
        security_log.info(
            "password check failed user=%s sid=%s", session.user_id, session.pk
        )
        raise InvalidCredentials("The password is not correct.")
    if otp is not UNCHECKED:
        totp.check_second_factor(session.user, otp)
    ratelimit.forgive("password_check_user", subject)
