"""Building access tokens by hand: the attacker's view of the format.

Shared by the token and key tests. ``SECRET`` is the HS256 key the tests
configure; ``OTHER_SECRET`` an attacker's.
"""

import base64
import hashlib
import hmac
import json
from typing import Any

SECRET = "server-secret-for-tests-" + "s" * 32
OTHER_SECRET = "attacker-secret-for-tests-" + "a" * 32

ME = "query { me { id username } }"
VERIFY = """
mutation Verify($token: String!) {
  verifyToken(token: $token) { tokenType expiresAt payload }
}
"""


# Building a token by hand: the attacker's view of the format.


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segment(obj: Any) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def split(token: str) -> tuple[dict, dict]:
    """Return a token's header and claims, unverified."""
    header, claims, _ = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(claims))


def hs256(header: dict, claims: dict, key: bytes) -> str:
    """Sign with HMAC-SHA256 whatever the header says, as an attacker would."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def resign(
    token: str,
    key: str = SECRET,
    header: dict | None = None,
    claims: dict | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    """Edit a token's header and claims, then sign it with ``key``."""
    old_header, old_claims = split(token)
    new_header = {**old_header, **(header or {})}
    new_claims = {**old_claims, **(claims or {})}
    for name in drop:
        new_header.pop(name, None)
        new_claims.pop(name, None)
    return hs256(new_header, new_claims, key.encode())


def tampered(token: str) -> str:
    """Edit the claims but keep the original signature."""
    header, _, signature = token.split(".")
    edited = {**split(token)[1], "sub": "999999", "is_staff": True}
    return f"{header}.{segment(edited)}.{signature}"


def alg_none(token: str, signature: bool = False) -> str:
    header, claims = split(token)
    unsigned = f"{segment({**header, 'alg': 'none'})}.{segment(claims)}."
    return unsigned + (token.rsplit(".", 1)[1] if signature else "")


def me_reason(gql, token: str | None = None, **headers: str) -> str | None:
    result = gql(ME, token=token, **headers)
    if not result.errors:
        return None
    assert result.data is None
    assert result.codes == ["UNAUTHENTICATED"]
    return result.error["extensions"]["reason"]


def verify_code(gql, token: str) -> str | None:
    result = gql(VERIFY, {"token": token})
    return result.codes[0] if result.errors else None
