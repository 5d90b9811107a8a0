"""Sign a user in: a new session, its first refresh token and an access token."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from schema.errors import EmailNotVerified, InvalidCredentials
from users import ratelimit, totp
from users.backends import find_user
from users.conf import jwt_settings
from users.models import Session
from users.network import client_ip
from users.refresh import issue_refresh_token
from users.security_log import security_log
from users.sessions import start_session
from users.tokens import issue_access_token


@dataclass
class TokenPair:
    """What AuthPayload shows: both tokens, their expiry and the user."""

    access_token: str
    refresh_token: str | None
    access_expires_at: datetime
    refresh_expires_at: datetime
    user: Any
    session: Session

    @property
    def expires_in(self) -> int:
        """Seconds the access token lives: less near the session's end."""
        left = (self.access_expires_at - timezone.now()).total_seconds()
        return max(0, min(round(left), jwt_settings.ACCESS_TOKEN_LIFETIME))


def token_pair(session: Session, refresh_token: str | None) -> TokenPair:
    """Issue an access token for the session beside the refresh token."""
    access, access_expires_at = issue_access_token(session.user, session)
    return TokenPair(
        access_token=access,
        refresh_token=refresh_token,
        access_expires_at=access_expires_at,
        refresh_expires_at=session.refresh_expires_at,
        user=session.user,
        session=session,
    )


def sign_in(request: Any, user: Any) -> TokenPair:
    """Start a session for an authenticated user and return its tokens."""
    with transaction.atomic():  # a session is never left without its token
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        session = start_session(user, request)
        refresh = issue_refresh_token(session)
    security_log.info(
        "sign-in user=%s sid=%s ip=%s", user.pk, session.pk, client_ip(request)
    )
    return token_pair(session, refresh)


def account_subject(identifier: str) -> str:
    """Name the account an attempt is against, for its rate limit.

    A known user is named by id, so switching between username and email
    does not double an attacker's budget.
    """
    user = find_user(identifier)
    return f"user:{user.pk}" if user else f"name:{identifier.strip().lower()}"


def check_credentials(
    request: Any, identifier: str, password: str, otp: str | None = None
) -> Any:
    """Return the active user these credentials name, or raise.

    Past a rate limit the password is not even checked. A wrong second
    factor counts against the account's limit like a wrong password.
    """
    ip = client_ip(request)
    ratelimit.hit("sign_in_ip", ip)
    subject = account_subject(identifier)
    ratelimit.hit("sign_in_account", subject)

    user = authenticate(request, username=identifier, password=password)
    if user is None:
        # The user id when the account exists; never the name typed, which
        # may be someone's email address or a password typed in the wrong box.
        known = subject.removeprefix("user:") if subject.startswith("user:") else "-"
        security_log.info("sign-in failed user=%s ip=%s", known, ip)
        raise InvalidCredentials()
    totp.check_second_factor(user, otp)
    ratelimit.forgive("sign_in_account", subject)
    # Once an address was proven, a changed, unverified one (perhaps a typo)
    # must not lock its owner out: they can sign in and correct it.
    if settings.REQUIRE_VERIFIED_EMAIL and not (
        user.email_verified or user.verified_once
    ):
        raise EmailNotVerified()
    return user
