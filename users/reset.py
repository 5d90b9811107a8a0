"""Password reset: request a link, then set a new password with its token.

Tokens come from Django's ``PasswordResetTokenGenerator``: they expire after
``PASSWORD_RESET_TIMEOUT`` and stop working once the password changes, so
each is usable once. A reset ends every session and signs nobody in.
"""

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from schema.errors import TokenInvalid
from users import emails
from users.models import User
from users.security_log import security_log
from users.validation import password_errors, raise_if_any


def make_token(user: Any) -> str:
    """Return a reset token: the user id and Django's one-use token."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}.{default_token_generator.make_token(user)}"


def request_reset(email: str) -> None:
    """Mail a reset link if an active account has this address; else nothing."""
    email = email.strip()
    # A blank address would match every account made without one.
    user = email and User.objects.filter(email__iexact=email, is_active=True).first()
    if not user or not user.has_usable_password():
        return
    emails.send_password_reset(user, make_token(user))
    security_log.info("password reset requested user=%s", user.pk)


def _user_for(token: str) -> User:
    uid, _, secret = token.partition(".")
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise TokenInvalid()
    # Locked until the new password is saved, so two resets racing with one
    # token cannot both pass the check.
    user = User.objects.select_for_update().filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, secret):
        raise TokenInvalid()
    return user


def reset_password(token: str, new_password: str) -> None:
    """Set the new password; every session of the user ends."""
    with transaction.atomic():
        user = _user_for(token)
        raise_if_any({"newPassword": password_errors(new_password, user)})
        user.set_password(new_password)
        user.save(update_fields=["password"])
    security_log.info("password reset user=%s", user.pk)
