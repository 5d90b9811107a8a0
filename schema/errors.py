"""Errors with the contract's codes, and the one formatter that shows them.

Resolvers raise an ``ApiError`` subclass; ``format_error`` (applied by the
view to every result) turns it into a GraphQL error whose ``extensions.code``
clients key on. Anything else that escapes a resolver is logged with its
traceback and answered with a generic ``INTERNAL_SERVER_ERROR``, so no
trace, SQL or secret reaches a client.
"""

import logging
import re
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

logger = logging.getLogger("schema.errors")
# graphql-core's words for a variable whose value does not fit its type.
BAD_VARIABLE_VALUE = re.compile(
    r"Variable '\$(\w+)' (?:got invalid value|has invalid value"
    r"|of required type|of non-null type)"
)


class ApiError(Exception):
    """Base error: a contract ``code``, a safe message and extra extensions."""

    code = "INTERNAL_SERVER_ERROR"
    message = "An unexpected error occurred."

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        self.message = message or self.message
        self.extensions = extensions
        super().__init__(self.message)

    def as_extensions(self) -> dict[str, Any]:
        return {"code": self.code, **self.extensions}


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"
    message = "You must be signed in."

    def __init__(self, reason: str) -> None:
        super().__init__(reason=reason)


class Forbidden(ApiError):
    code = "FORBIDDEN"
    message = "You do not have permission to do this."


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"
    message = "Some fields are not valid."

    def __init__(self, fields: dict[str, list[str]], message: str | None = None):
        super().__init__(message, fields=fields)


class InvalidCredentials(ApiError):
    code = "INVALID_CREDENTIALS"
    message = "The username or password is not correct."


class OtpRequired(ApiError):
    code = "OTP_REQUIRED"
    message = "Enter the code from your authenticator app."


class OtpInvalid(ApiError):
    code = "OTP_INVALID"
    message = "The code is not correct."


class EmailNotVerified(ApiError):
    code = "EMAIL_NOT_VERIFIED"
    message = "Confirm your email address first; we sent you a link."


class NotFound(ApiError):
    code = "NOT_FOUND"
    message = "Not found."


class ReauthenticationRequired(ApiError):
    code = "REAUTHENTICATION_REQUIRED"
    message = "Confirm your password to continue."


class RateLimited(ApiError):
    code = "RATE_LIMITED"
    message = "Too many attempts; try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__(retryAfter=retry_after)


class TokenInvalid(ApiError):
    """A token given as an argument is malformed, forged or unknown."""

    code = "TOKEN_INVALID"
    message = "The token is not valid."


class TokenExpired(TokenInvalid):
    code = "TOKEN_EXPIRED"
    message = "The token has expired."


class TokenRevoked(TokenInvalid):
    code = "TOKEN_REVOKED"
    message = "The token has been revoked."


class TokenReused(TokenInvalid):
    code = "TOKEN_REUSED"
    message = "The refresh token was already used; the session is revoked."


def _graphql_error(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def format_error(error: GraphQLError) -> GraphQLError:
    """Return the error as clients see it: a contract code, nothing private."""
    original = error.original_error
    if isinstance(original, GraphQLError):  # variable coercion nests them
        original = None
    if isinstance(original, ApiError):
        return _graphql_error(error, original.message, original.as_extensions())
    if original is None and error.extensions and "code" in error.extensions:
        return error  # already formatted
    if original is None:
        # Raised by graphql-core itself: syntax, validation, variable values.
        extensions = {**(error.extensions or {})}
        bad_value = BAD_VARIABLE_VALUE.match(error.message)
        if isinstance(error, GraphQLSyntaxError):
            extensions["code"] = "GRAPHQL_PARSE_FAILED"
        elif bad_value and error.path is None:
            # A well-formed document given a bad value: the client's input.
            extensions["code"] = "BAD_USER_INPUT"
            extensions["fields"] = {bad_value.group(1): [error.message]}
        else:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        return _graphql_error(error, error.message, extensions)
    logger.error(
        "Unexpected error at %s", error.path, exc_info=original, stack_info=False
    )
    return _graphql_error(error, ApiError.message, {"code": "INTERNAL_SERVER_ERROR"})
