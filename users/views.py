"""Plain HTTP views of the users app."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from users.keys import key_ring


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """Publish the public verifying keys (RFC 7517); empty for HMAC keys.

    Only public members are ever listed: HMAC secrets and private keys have
    no public form and never appear here.
    """
    response = JsonResponse({"keys": list(key_ring().public_jwks)})
    response["Cache-Control"] = "public, max-age=300"
    return response
