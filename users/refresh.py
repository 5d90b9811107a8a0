"""Refresh tokens: issue, rotate on every use, and detect reuse.

A refresh token is 256 random bits from ``secrets``; the database keeps only
its SHA-256. Each use rotates it: the token is marked used and its successor
issued in one transaction, and of two concurrent uses exactly one claims it.

The successor is not random but an HMAC of its parent under the server's
secret. That lets a client that lost the response retry with the parent
within ``REFRESH_GRACE_PERIOD`` and be handed the very same successor,
without the server ever storing a usable token. Any other second use is
reuse: the whole session is revoked.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from schema.errors import TokenExpired, TokenInvalid, TokenReused, TokenRevoked
from users.conf import jwt_settings
from users.models import RefreshToken, Session
from users.security_log import security_log
from users.sessions import revoke_sessions

SUCCESSOR_SALT = "users.refresh.successor"
MAX_TOKEN_LENGTH = 200


@dataclass
class Rotation:
    session: Session
    refresh_token: str
    retried: bool = False


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest under which a refresh token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def successor_of(raw: str) -> str:
    """Derive the token that replaces ``raw``: HMAC-SHA256 under SECRET_KEY."""
    digest = salted_hmac(SUCCESSOR_SALT, raw, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_refresh_token(session: Session) -> str:
    """Create the first refresh token of a session and return it."""
    raw = secrets.token_urlsafe(32)
    RefreshToken.objects.create(session=session, token_hash=hash_token(raw))
    return raw


def find_token(raw: str | None) -> RefreshToken:
    """Return the stored token with its session and user, or raise."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise TokenInvalid()
    row = (
        RefreshToken.objects.select_related("session__user")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    if row is None:
        raise TokenInvalid()
    return row


def check_session(session: Session) -> None:
    """Raise unless the session can still be refreshed."""
    if session.revoked_at is not None or not session.user.is_active:
        raise TokenRevoked()
    if timezone.now() >= session.refresh_expires_at:
        raise TokenExpired()


def _claim(row: RefreshToken, now: datetime) -> bool:
    # The conditional update is the lock: only one use can flip used_at.
    updated = RefreshToken.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=now
    )
    return updated == 1


def _second_use(row: RefreshToken, successor_hash: str, now: datetime) -> str:
    """Judge a token presented again: "retry", "superseded" or "reuse".

    Within the grace window the immediate predecessor of an unused successor
    is a retry. If that successor is gone (reauthenticate and changePassword
    replace the session's refresh token), the token is merely superseded.
    Anything else is reuse.
    """
    grace = timedelta(seconds=jwt_settings.REFRESH_GRACE_PERIOD)
    if row.used_at is None or now - row.used_at > grace:
        return "reuse"
    successor = RefreshToken.objects.filter(
        session_id=row.session_id, token_hash=successor_hash
    ).first()
    if successor is None:
        return "superseded"
    return "retry" if successor.used_at is None else "reuse"


def _extend(session: Session, now: datetime) -> None:
    idle = timedelta(seconds=jwt_settings.REFRESH_TOKEN_IDLE_LIFETIME)
    session.last_used_at = now
    session.idle_expires_at = min(now + idle, session.expires_at)
    session.save(update_fields=["last_used_at", "idle_expires_at"])


def rotate(raw: str | None, ip: str | None = None) -> Rotation:
    """Use a refresh token: return its successor, or raise on reuse.

    ``ip`` is the client's address, for the security log.
    """
    row = find_token(raw)
    session = row.session
    check_session(session)
    successor = successor_of(raw)
    successor_hash = hash_token(successor)

    with transaction.atomic():
        now = timezone.now()
        if _claim(row, now):
            RefreshToken.objects.create(session=session, token_hash=successor_hash)
            _extend(session, now)
            return Rotation(session, successor)
        row.refresh_from_db(fields=["used_at"])
        verdict = _second_use(row, successor_hash, now)
        if verdict == "retry":
            return Rotation(session, successor, retried=True)
        if verdict == "superseded":
            raise TokenInvalid()
        revoke_sessions(Session.objects.filter(pk=session.pk), "reuse", ip)

    security_log.warning(
        "refresh token reuse user=%s sid=%s ip=%s", session.user_id, session.pk, ip
    )
    raise TokenReused()
