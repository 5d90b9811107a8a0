"""GraphQL types of the users app: User, AuthPayload, TokenInfo, Session."""

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from users import cookies


def _may_see_private(info: Info, user: Any) -> bool:
    """Whether the caller may see the user's private fields: self or staff."""
    # A sign-in answers with its own user before any token is sent.
    if user.pk == getattr(info.context, "signed_in_user_id", None):
        return True
    viewer = info.context.auth.user
    return viewer is not None and (viewer.pk == user.pk or viewer.is_staff)


@strawberry.type(description="A person with an account.")
class User:
    id: strawberry.ID
    username: str
    first_name: str
    last_name: str
    is_staff: bool
    date_joined: datetime
    email_verified: bool = strawberry.field(
        description="The owner proved they receive mail at the address."
    )

    @strawberry.field(description="Shown to the user themselves and to staff only.")
    def email(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return root.email if _may_see_private(info, root) else None

    @strawberry.field(description="Two-factor sign-in is on; self and staff only.")
    def totp_enabled(self, root: strawberry.Parent[Any], info: Info) -> bool | None:
        if not _may_see_private(info, root):
            return None
        from users import totp

        return totp.enabled(root)


@strawberry.type(description="The tokens of a sign-in and the user they belong to.")
class AuthPayload:
    access_token: str
    refresh_token: str | None = strawberry.field(
        description="Null when it travels in an httpOnly cookie instead."
    )
    token_type: str = strawberry.field(description='Always "Bearer".')
    expires_in: int = strawberry.field(description="Access token lifetime, seconds.")
    access_expires_at: datetime
    refresh_expires_at: datetime = strawberry.field(
        description="When the refresh token ends unless it is used before."
    )
    user: User


@strawberry.type(description="A verified access token.")
class TokenInfo:
    token_type: str = strawberry.field(description='"access".')
    expires_at: datetime
    payload: JSON = strawberry.field(description="The decoded claims.")


@strawberry.type(description="One sign-in on one device.")
class Session:
    id: strawberry.ID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime = strawberry.field(
        description="When the session ends if not used (capped by its absolute end)."
    )
    user_agent: str
    ip_address: str | None
    current: bool = strawberry.field(description="The session of this request.")


def auth_payload(info: Info, pair: Any) -> AuthPayload:
    """Build the GraphQL payload from a ``users.signin.TokenPair``."""
    info.context.signed_in_user_id = pair.user.pk
    refresh = cookies.deliver(
        info.context.response, pair.refresh_token, pair.refresh_expires_at
    )
    return AuthPayload(
        access_token=pair.access_token,
        refresh_token=refresh,
        token_type="Bearer",
        expires_in=pair.expires_in,
        access_expires_at=pair.access_expires_at,
        refresh_expires_at=pair.refresh_expires_at,
        user=pair.user,
    )


def session_type(session: Any, current_sid: str | None) -> Session:
    """Build the GraphQL Session of a row; ``current`` marks this request's."""
    return Session(
        id=strawberry.ID(str(session.pk)),
        created_at=session.created_at,
        last_used_at=session.last_used_at,
        expires_at=session.refresh_expires_at,
        user_agent=session.user_agent,
        ip_address=session.ip_address,
        current=str(session.pk) == current_sid,
    )
