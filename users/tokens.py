"""Access tokens: the claims, issuing them and decoding with a pinned algorithm.

An access token is a JWS (RFC 7519) typed ``at+jwt`` (RFC 9068 section 2.1).
Decoding trusts nothing from the header: the algorithm comes from settings,
the key from the configured ``kid`` set, and header fields that would point
at a key elsewhere (``jku``, ``jwk``, ``x5u``, ``x5c``) are refused.
"""

import base64
import binascii
import json
import time
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from django.utils import timezone
from django.utils.module_loading import import_string

from schema.errors import TokenExpired, TokenInvalid
from users.conf import jwt_settings
from users.keys import key_ring

ACCESS_TYPE = "at+jwt"
RESERVED_CLAIMS = frozenset(
    {"sub", "exp", "iat", "nbf", "jti", "sid", "token_type", "iss", "aud", "auth_time"}
)
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
MAX_HEADER_LENGTH = 1000
VERIFIED_MEMO_SIZE = 8192
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "jti", "sid", "token_type"]


def _extra_claims(user: Any) -> dict[str, Any]:
    if not jwt_settings.CLAIMS_HOOK:
        return {}
    claims = import_string(jwt_settings.CLAIMS_HOOK)(user) or {}
    return {k: v for k, v in claims.items() if k not in RESERVED_CLAIMS}


def issue_access_token(user: Any, session: Any) -> tuple[str, datetime]:
    """Return a signed access token for the session and when it expires."""
    now = timezone.now()
    lifetime = timedelta(seconds=jwt_settings.ACCESS_TOKEN_LIFETIME)
    expires_at = min(now + lifetime, session.expires_at)
    claims = {
        **_extra_claims(user),
        "iss": jwt_settings.ISSUER,
        "sub": str(user.pk),
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "token_type": "access",
        "sid": str(session.pk),
        "auth_time": int(session.auth_time.timestamp()),
        "username": user.get_username(),
        "email": user.email,
        "is_staff": user.is_staff,
    }
    if jwt_settings.AUDIENCE:
        claims["aud"] = jwt_settings.AUDIENCE
    ring = key_ring()
    headers = {"typ": ACCESS_TYPE, "kid": ring.signing_kid}
    token = jwt.encode(claims, ring.signing_key, ring.algorithm, headers=headers)
    return token, expires_at


def _unverified_header(token: str) -> dict[str, Any]:
    # Read only to choose the key, more cheaply than PyJWT's full parse of
    # all three parts; jwt.decode then checks the whole token strictly.
    head, dot, _ = token.partition(".")
    if not dot or len(head) > MAX_HEADER_LENGTH:
        raise TokenInvalid()
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error):
        raise TokenInvalid()
    if not isinstance(header, dict):
        raise TokenInvalid()
    return header


def _verifying_key(token: str) -> Any:
    header = _unverified_header(token)
    ring = key_ring()
    kid = header.get("kid")
    if (
        not isinstance(kid, str)
        or header.get("alg") != ring.algorithm
        or header.get("typ") != ACCESS_TYPE
        or FORBIDDEN_HEADERS & header.keys()
        or kid not in ring.verifying
    ):
        raise TokenInvalid()
    return ring.verifying[kid]


def decode_access_token(token: str) -> dict[str, Any]:
    """Verify the token and return its payload, or raise TokenInvalid.

    A client sends the same access token with every request for up to 15
    minutes, so the outcome of verifying it is kept (for tokens that passed
    only) and ``exp`` alone is checked again on later requests. The memo is
    keyed by the token and every setting that verification depends on, so a
    removed key or a changed issuer takes effect at once.
    """
    payload = _verified(
        token,
        jwt_settings.ALGORITHM,
        jwt_settings.SIGNING_KEY,
        tuple(jwt_settings.VERIFYING_KEYS),
        jwt_settings.ISSUER,
        jwt_settings.AUDIENCE,
        jwt_settings.LEEWAY,
    )
    if payload["exp"] + jwt_settings.LEEWAY <= time.time():
        raise TokenExpired()
    return payload


@lru_cache(maxsize=VERIFIED_MEMO_SIZE)
def _verified(token: str, *settings_key: Any) -> dict[str, Any]:
    # Exceptions are not memoised: a bad token is checked in full each time.
    key = _verifying_key(token)
    audience = jwt_settings.AUDIENCE
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[jwt_settings.ALGORITHM],
            issuer=jwt_settings.ISSUER,
            audience=audience,
            leeway=jwt_settings.LEEWAY,
            options={"require": REQUIRED_CLAIMS, "verify_aud": bool(audience)},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired()
    except jwt.PyJWTError:
        raise TokenInvalid()
    if not _is_access_payload(payload) or (not audience and "aud" in payload):
        raise TokenInvalid()
    return payload


def _is_access_payload(payload: dict[str, Any]) -> bool:
    # A token signed with a configured key may still not be shaped as
    # issue_access_token shapes it (an older release, another issuer sharing
    # the key); refuse it here rather than fail later inside a request.
    return (
        payload.get("token_type") == "access"
        and payload["sub"].isdecimal()
        and isinstance(payload["sid"], str)
        and isinstance(payload.get("username"), str)
        and isinstance(payload.get("auth_time"), int)
    )
