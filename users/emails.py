"""Account mail: verification, address-change notice, password reset.

Links are built from settings (``EMAIL_VERIFY_URL``, ``PASSWORD_RESET_URL``,
both under ``SITE_URL``), never from the request's Host header, so a forged
Host cannot point a reset link at someone else's site.
"""

import logging
import threading
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger("users.emails")


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(seconds // 60, 1)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _deliver(subject: str, body: str, sender: None, to: list[str]) -> None:
    """Send, or log the failure: a mail server's trouble is never the caller's.

    With SMTP configured the message leaves on a thread of its own, so an
    answer takes as long whether or not a message was sent, and reveals
    nothing about which addresses have accounts.
    """

    def send() -> None:
        try:
            send_mail(subject, body, sender, to)
        except Exception:
            logger.exception("Sending %r failed.", subject)

    if settings.MAIL_IN_BACKGROUND:
        threading.Thread(target=send, daemon=True).start()
    else:
        send()


def _link(template: str, token: str) -> str:
    return template.format(token=quote(token, safe=""))


def send_verification(user: Any, token: str) -> None:
    """Mail the link that verifies the user's current address."""
    link = _link(settings.EMAIL_VERIFY_URL, token)
    _deliver(
        "Confirm your email address",
        f"Hello {user.get_username()},\n\nConfirm this address by opening:\n"
        f"{link}\n\nThe link expires in "
        f"{_duration(settings.EMAIL_VERIFICATION_MAX_AGE)}.\n",
        None,
        [user.email],
    )


def send_address_changed(user: Any, old_address: str) -> None:
    """Tell the old address that the account moved to a new one."""
    _deliver(
        "Your email address was changed",
        f"Hello {user.get_username()},\n\nThe email address of your account "
        f"was changed from {old_address} to {user.email}. If you did not do "
        "this, reset your password and contact us.\n",
        None,
        [old_address],
    )


def send_password_reset(user: Any, token: str) -> None:
    """Mail the link that sets a new password."""
    link = _link(settings.PASSWORD_RESET_URL, token)
    _deliver(
        "Reset your password",
        f"Hello {user.get_username()},\n\nSet a new password by opening:\n"
        f"{link}\n\nThe link works once and expires in "
        f"{_duration(settings.PASSWORD_RESET_TIMEOUT)}. If you did not ask "
        "for this, ignore this message.\n",
        None,
        [user.email],
    )
