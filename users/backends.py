"""Authenticate by username or email address, in any letter case."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def find_user(identifier: str) -> Any:
    """Return the user a username or email names (any case), or None.

    Usernames may not contain "@", so an identifier with one is an email.
    """
    if not identifier:
        return None
    lookup = "email__iexact" if "@" in identifier else "username__iexact"
    return get_user_model()._default_manager.filter(**{lookup: identifier}).first()


class UsernameOrEmailBackend(ModelBackend):
    """ModelBackend that finds the user by username or email, ignoring case."""

    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not username or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Run the hasher anyway so an unknown user takes as long as a
            # wrong password, and the answer time reveals nothing.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
