"""Authenticate by username or email address, in any letter case."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    """ModelBackend that looks the user up by username or email, ignoring case.

    Usernames may not contain "@", so an identifier with one is an email.
    """

    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not username or password is None:
            return None
        user_model = get_user_model()
        lookup = "email__iexact" if "@" in username else "username__iexact"
        user = user_model._default_manager.filter(**{lookup: username}).first()
        if user is None:
            # Run the hasher anyway so an unknown user takes as long as a
            # wrong password, and the answer time reveals nothing.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
