"""Guards as Strawberry permission extensions. They raise; none answers null.

Use them as ``extensions=[PermissionExtension([IsAuthenticated()])]`` or
through the ``signed_in`` and ``requires_perm`` shortcuts below.
"""

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from schema.errors import Forbidden, Unauthenticated


def current_user(info: Info) -> Any:
    """Return the signed-in caller, or raise UNAUTHENTICATED with the reason."""
    auth = info.context.auth
    if auth.user is None:
        raise Unauthenticated(auth.reason)
    return auth.user


class IsAuthenticated(BasePermission):
    """The request carries a valid, unrevoked access token."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        current_user(info)
        return True


class HasPermission(BasePermission):
    """The caller is signed in and holds a Django permission.

    When the access token carries a ``perms`` list (added by the claims
    hook), that list decides, without a query; it is as fresh as the token.
    Otherwise the user's permissions are read from the database.
    """

    def __init__(self, perm: str) -> None:
        self.perm = perm

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        user = current_user(info)
        claimed = info.context.auth.payload.get("perms")
        if isinstance(claimed, list):
            allowed = self.perm in claimed
        else:
            allowed = user.has_perm(self.perm)
        if not allowed:
            raise Forbidden()
        return True


def signed_in() -> list[PermissionExtension]:
    """Field extensions that require a valid access token."""
    return [PermissionExtension(permissions=[IsAuthenticated()])]


def requires_perm(perm: str) -> list[PermissionExtension]:
    """Field extensions that require a signed-in user holding ``perm``."""
    return [PermissionExtension(permissions=[HasPermission(perm)])]
