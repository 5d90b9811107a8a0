"""Input rules for accounts: usernames, email addresses and passwords.

Each check returns a map of field name to messages, in the shape of
``extensions.fields``; an empty map means the input is valid.
"""

from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from schema.errors import BadUserInput
from users.models import User

Errors = dict[str, list[str]]
NAME_MAX_LENGTH = 150
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a path


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def username_errors(username: str) -> list[str]:
    """Messages about a new username: format, length, "@", taken in any case."""
    if not username:
        return ["This field is required."]
    if len(username) > NAME_MAX_LENGTH:
        return [f"At most {NAME_MAX_LENGTH} characters."]
    if "@" in username:
        return ["A username may not contain '@'; sign in with the email instead."]
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as error:
        return _messages(error)
    if User.objects.filter(username__iexact=username).exists():
        return ["A user with that username already exists."]
    return []


def email_errors(email: str, exclude_pk: Any = None) -> list[str]:
    """Messages about an email address: format, length, taken in any case."""
    if not email:
        return ["This field is required."]
    if len(email) > MAX_EMAIL_LENGTH:
        return [f"At most {MAX_EMAIL_LENGTH} characters."]
    try:
        validate_email(email)
    except ValidationError as error:
        return _messages(error)
    taken = User.objects.filter(email__iexact=email).exclude(pk=exclude_pk)
    if taken.exists():
        return ["A user with that email address already exists."]
    return []


def name_errors(fields: dict[str, str | None]) -> Errors:
    """Messages for first and last names over the length limit."""
    return {
        name: [f"At most {NAME_MAX_LENGTH} characters."]
        for name, value in fields.items()
        if value is not None and len(value) > NAME_MAX_LENGTH
    }


def password_errors(password: str, user: Any) -> list[str]:
    """Run Django's configured password validators."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        return _messages(error)
    return []


def raise_if_any(errors: Errors) -> None:
    """Raise BAD_USER_INPUT with the fields that have messages, if any."""
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise BadUserInput(errors)
