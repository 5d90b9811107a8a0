"""Email verification tokens: signed, timed, and spent once the address is.

The token is Django's timestamped signature of the user id, salted with the
address it was sent to, so it proves receipt of that address only, expires
after ``EMAIL_VERIFICATION_MAX_AGE``, and stops working once the address is
verified or changed.
"""

from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.core import signing

from schema.errors import TokenExpired, TokenInvalid
from users import emails
from users.models import User

SALT = "users.verification.email"


def _signer(email: str) -> signing.TimestampSigner:
    # The address is in the salt: a token signs only for the address it was
    # sent to. "." keeps the token free of characters a URL must escape.
    return signing.TimestampSigner(salt=f"{SALT}:{email.lower()}", sep=".")


def make_token(user: Any) -> str:
    """Return a verification token for the user's current address."""
    return _signer(user.email).sign(str(user.pk))


def send(user: Any) -> None:
    """Mail the user a link that verifies their current address."""
    emails.send_verification(user, make_token(user))


def resend(email: str) -> None:
    """Mail a new link if an active account has this unverified address."""
    address = email.strip()
    if not address:  # a blank address would match accounts made without one
        return
    user = User.objects.filter(
        email__iexact=address, email_verified=False, is_active=True
    ).first()
    if user is not None:
        send(user)


def verify(token: str) -> User:
    """Mark the address the token names verified; raise if it cannot."""
    token = unquote(token.strip())  # pasted from a link, perhaps still escaped
    pk = token.partition(".")[0]
    user = (
        User.objects.filter(pk=int(pk), is_active=True).first()
        if (pk.isascii() and pk.isdecimal() and len(pk) < 19)
        else None
    )
    if user is None or user.email_verified:
        raise TokenInvalid()
    try:
        _signer(user.email).unsign(token, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise TokenExpired()
    except signing.BadSignature:
        raise TokenInvalid()
    user.email_verified = user.verified_once = True
    user.save(update_fields=["email_verified", "verified_once"])
    return user
