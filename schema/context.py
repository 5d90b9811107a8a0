"""The request context: who is calling, read from ``Authorization: Bearer``.

The access token is verified locally and its session looked up in the cache,
so authenticating a request costs no database query. A missing or bad token
leaves the request anonymous with a ``reason`` that guarded fields report.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from strawberry.django.context import StrawberryDjangoContext

from schema.errors import TokenExpired, TokenInvalid, Unauthenticated
from users.sessions import is_session_revoked
from users.tokens import decode_access_token


class TokenUser:
    """The caller as the access token describes them.

    ``id`` and ``username`` come from the claims; any other attribute loads
    the user's row once, so a query is made only when a field needs it.
    """

    is_authenticated = True
    is_anonymous = False

    def __init__(self, payload: dict[str, Any]) -> None:
        self.pk = self.id = int(payload["sub"])
        self.username = payload["username"]
        self.payload = payload

    @cached_property
    def instance(self) -> Any:
        user = get_user_model()._default_manager.filter(pk=self.pk).first()
        if user is None:  # deleted since the token was checked
            raise Unauthenticated("TOKEN_REVOKED")
        return user

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"instance", "payload"}:
            raise AttributeError(name)
        return getattr(self.instance, name)

    def get_username(self) -> str:
        return self.username


@dataclass
class Auth:
    """The outcome of reading the Authorization header."""

    user: TokenUser | None = None
    payload: dict[str, Any] | None = None
    reason: str = "TOKEN_MISSING"

    @property
    def session_id(self) -> str | None:
        return self.payload["sid"] if self.payload else None


def bearer_token(request: HttpRequest) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_request(request: HttpRequest) -> Auth:
    """Decode the Bearer token; never raises, never queries the database.

    The outcome is kept on the request: the CSRF check and the GraphQL
    context both ask, and the answer must not change between them.
    """
    known = getattr(request, "_bearer_auth", None)
    if known is None:
        known = request._bearer_auth = _authenticate(request)
    return known


def _authenticate(request: HttpRequest) -> Auth:
    token = bearer_token(request)
    if token is None:
        reason = "TOKEN_INVALID" if "HTTP_AUTHORIZATION" in request.META else None
        return Auth(reason=reason or "TOKEN_MISSING")
    try:
        payload = decode_access_token(token)
    except TokenExpired:
        return Auth(reason="TOKEN_EXPIRED")
    except TokenInvalid:
        return Auth(reason="TOKEN_INVALID")
    if is_session_revoked(payload["sid"]):
        return Auth(reason="TOKEN_REVOKED")
    return Auth(user=TokenUser(payload), payload=payload, reason="")


@dataclass
class Context(StrawberryDjangoContext):
    """Strawberry's Django context plus the caller's ``auth``."""

    @cached_property
    def auth(self) -> Auth:
        return authenticate_request(self.request)


def get_context(request: HttpRequest, response: HttpResponse) -> Context:
    """Build the context Strawberry hands every resolver."""
    return Context(request=request, response=response)
