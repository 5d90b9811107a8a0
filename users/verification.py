"""Email verification tokens: signed, timed, and spent once the address is.

The token is Django's timestamped signature over the user id and the
address it was sent to, so it proves receipt of that address only, expires
after ``EMAIL_VERIFICATION_MAX_AGE``, and stops working once the address is
verified or changed.
"""

from typing import Any

from django.conf import settings
from django.core import signing

from schema.errors import TokenExpired, TokenInvalid
from users import emails
from users.models import User

SALT = "users.verification.email"


def make_token(user: Any) -> str:
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=SALT)


def send(user: Any) -> None:
    """Mail the user a link that verifies their current address."""
    emails.send_verification(user, make_token(user))


def verify(token: str) -> User:
    """Mark the address the token names verified; raise if it cannot."""
    try:
        data = signing.loads(
            token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired:
        raise TokenExpired()
    except signing.BadSignature:
        raise TokenInvalid()
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email_verified or user.email.lower() != data.get("e"):
        raise TokenInvalid()
    user.email_verified = True
    user.save(update_fields=["email_verified"])
    return user
