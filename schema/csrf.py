"""CSRF protection for requests a browser could send on its own.

A browser attaches cookies to cross-site requests by itself, so in cookie
mode any POST that is not authenticated by an Authorization header goes
through Django's CSRF check (token from the ``csrftoken`` cookie echoed in
``X-CSRFToken``, plus its Origin and Referer checks). That covers
``refreshToken`` and ``revokeToken`` reading the cookie, and login CSRF
through ``tokenAuth`` and ``register`` setting it. A request with a valid
Bearer token needs no CSRF token: no cross-site page can add that header
without a CORS preflight, which only listed origins pass. A Bearer header
that does not verify is no such proof, and gets the check.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from schema.context import authenticate_request
from users.cookies import cookie_mode


def _no_response(request: HttpRequest) -> None:
    return None


def csrf_failure(request: HttpRequest) -> Any:
    """Return a 403 response when the request fails the CSRF check, else None."""
    if not cookie_mode() or request.method != "POST":
        return None
    if authenticate_request(request).user is not None:
        return None  # a valid Bearer token: the header itself is the proof
    # A checker per request: the middleware caches CSRF_TRUSTED_ORIGINS on
    # its instance, and a module-wide one would never see a settings change.
    checker = CsrfViewMiddleware(_no_response)
    rejection = checker.process_view(request, None, (), {})
    if rejection is None:
        return None
    body = {
        "errors": [
            {
                "message": "CSRF check failed: send the csrftoken cookie's value "
                "in the X-CSRFToken header.",
                "extensions": {"code": "CSRF_FAILED"},
            }
        ]
    }
    return JsonResponse(body, status=403)


@require_GET
@ensure_csrf_cookie
def csrf_token(request: HttpRequest) -> JsonResponse:
    """Set the csrftoken cookie and return its value for the X-CSRFToken header."""
    return JsonResponse({"csrfToken": get_token(request)})
