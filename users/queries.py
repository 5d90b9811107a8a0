"""Queries of the users app: the caller and their devices."""

import strawberry
from strawberry.types import Info

from schema.permissions import current_user, signed_in
from users.models import Session
from users.types import Session as SessionType
from users.types import User, session_type


@strawberry.type
class UserQuery:
    @strawberry.field(extensions=signed_in(), description="The signed-in user.")
    def me(self, info: Info) -> User:
        return current_user(info)

    @strawberry.field(
        extensions=signed_in(),
        description="Your live sessions, one per device, the most recently "
        "refreshed (lastUsedAt) first.",
    )
    def sessions(self, info: Info) -> list[SessionType]:
        auth = info.context.auth
        rows = Session.objects.filter(user_id=auth.user.pk).live()
        rows = rows.order_by("-last_used_at")
        return [session_type(row, auth.session_id) for row in rows]
