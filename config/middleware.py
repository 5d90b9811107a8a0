"""Refuse plain HTTP outside development instead of redirecting it."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequireHttps:
    """Answer 403 to any request that did not arrive over HTTPS.

    A redirect would still have carried the request, token and all, in the
    clear; refusing teaches the client to fix its URL.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.REQUIRE_HTTPS and not request.is_secure():
            body = {
                "errors": [
                    {
                        "message": "HTTPS is required.",
                        "extensions": {"code": "HTTPS_REQUIRED"},
                    }
                ]
            }
            return JsonResponse(body, status=403)
        return self.get_response(request)
