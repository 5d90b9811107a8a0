"""The /graphql/ view: JSON errors for bad requests, contract codes for all."""

import json
import re
from typing import Any

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from strawberry.django.views import GraphQLView as StrawberryView
from strawberry.http import process_result

from schema.context import get_context
from schema.csrf import csrf_failure
from schema.errors import format_error

# A UTF-16 surrogate alone encodes no character: Python's JSON parser lets
# "\ud800" through, but the database driver and the hashers cannot encode it.
# PostgreSQL cannot store NUL in text either (psycopg raises DataError).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _has_unstorable_text(value: Any) -> bool:
    """Whether any string (or key) in the parsed JSON holds NUL or a lone
    surrogate."""
    pending = [value]
    while pending:  # not recursive: the nesting depth is the client's choice
        item = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def error_response(status: int, message: str, code: str) -> JsonResponse:
    """A JSON error in the GraphQL shape, for requests refused before GraphQL."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class GraphQLView(StrawberryView):
    """Strawberry's Django view with our context and error contract."""

    def get_context(self, request: HttpRequest, response: HttpResponse) -> Any:
        return get_context(request, response)

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        if not settings.GRAPHIQL_ENABLED:
            return error_response(404, "GraphiQL is switched off.", "NOT_FOUND")
        response = super().render_graphql_ide(request)
        # A pasted Bearer token should not outlive the tab in localStorage.
        response.content = response.content.replace(
            b"shouldPersistHeaders: true", b"shouldPersistHeaders: false"
        )
        # GraphiQL loads its scripts and styles from a CDN and runs one inline
        # script; the API's own answers keep the strict default policy.
        response._csp_config = settings.GRAPHIQL_CSP
        return response

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = super().parse_json(data)
        except (ValueError, RecursionError):
            # Not UTF-8, a number too long to convert, or nested deeper than
            # the parser goes: JSON we cannot read is a client error.
            raise HTTPException(400, "The request body is not JSON.")
        if _has_unstorable_text(parsed):
            raise HTTPException(400, "The request holds text that cannot be stored.")
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        if isinstance(parsed, list) and not all(isinstance(i, dict) for i in parsed):
            raise HTTPException(400, "Each operation must be a JSON object.")
        return parsed

    def process_result(self, request: HttpRequest, result: Any) -> Any:
        if result.errors:
            result.errors = [format_error(error) for error in result.errors]
        return process_result(result)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        rejection = csrf_failure(request)
        if rejection is not None:
            return rejection
        try:
            response = self.run(request=request)
        except HTTPException as error:
            return error_response(error.status_code, error.reason, "BAD_REQUEST")
        except RequestDataTooBig:
            return error_response(413, "The request body is too large.", "BAD_REQUEST")
        except (json.JSONDecodeError, UnicodeDecodeError):
            # The body is decoded as UTF-8 before the JSON parser sees it.
            return error_response(400, "The request body is not JSON.", "BAD_REQUEST")
        if response.get("Content-Type", "").startswith("application/json"):
            # Answers may carry tokens: no cache, shared or private, keeps them.
            response["Cache-Control"] = "no-store"
        return response
