"""Access tokens: issuing, decoding with a pinned algorithm, and what is refused.

Most bad tokens here are re-signed with the server's own secret, so each one
differs from a valid token in the single property under test; a check that
stopped looking at that property would let it through and fail the test.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from schema.errors import TokenExpired
from tests.conftest import PASSWORD
from users.keys import key_ring

SECRET = "server-secret-for-tests-" + "s" * 32
OTHER_SECRET = "attacker-secret-for-tests-" + "a" * 32
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

ME = "query { me { id username } }"
VERIFY = """
mutation Verify($token: String!) {
  verifyToken(token: $token) { tokenType expiresAt payload }
}
"""
REFRESH = """
mutation Refresh($refreshToken: String) {
  refreshToken(refreshToken: $refreshToken) { accessToken refreshToken }
}
"""
REVOKE = """
mutation Revoke($refreshToken: String) { revokeToken(refreshToken: $refreshToken) }
"""
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken user { username } }
}
"""
TOKEN_AUTH = """
mutation SignIn($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) { accessToken }
}
"""


@pytest.fixture(autouse=True)
def _hs256_secret(settings):
    settings.JWT = {**settings.JWT, "ALGORITHM": "HS256", "SIGNING_KEY": SECRET}


# Building a token by hand: the attacker's view of the format.


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _segment(obj: Any) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def split(token: str) -> tuple[dict, dict]:
    """Return a token's header and claims, unverified."""
    header, claims, _ = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(claims))


def hs256(header: dict, claims: dict, key: bytes) -> str:
    """Sign with HMAC-SHA256 whatever the header says, as an attacker would."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


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
    return f"{header}.{_segment(edited)}.{signature}"


def alg_none(token: str, signature: bool = False) -> str:
    header, claims = split(token)
    unsigned = f"{_segment({**header, 'alg': 'none'})}.{_segment(claims)}."
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


# Tokens refused, built from a valid sign-in (``tokens`` is its AuthPayload).

INVALID_TOKENS: dict[str, Callable[[dict], str]] = {
    "forged with another secret": lambda t: resign(t["accessToken"], OTHER_SECRET),
    "payload edited, signature kept": lambda t: tampered(t["accessToken"]),
    "alg none, no signature": lambda t: alg_none(t["accessToken"]),
    "alg none, signature kept": lambda t: alg_none(t["accessToken"], True),
    "alg HS512 header on HS256 key": lambda t: resign(
        t["accessToken"], header={"alg": "HS512"}
    ),
    "typ JWT": lambda t: resign(t["accessToken"], header={"typ": "JWT"}),
    "typ missing": lambda t: resign(t["accessToken"], drop=("typ",)),
    "jku header": lambda t: resign(
        t["accessToken"], header={"jku": "http://127.0.0.1:9/jwks.json"}
    ),
    "jwk header": lambda t: resign(
        t["accessToken"],
        header={"jwk": {"kty": "oct", "k": _b64(SECRET.encode())}},
    ),
    "x5u header": lambda t: resign(
        t["accessToken"], header={"x5u": "http://127.0.0.1:9/cert.pem"}
    ),
    "x5c header": lambda t: resign(t["accessToken"], header={"x5c": ["MIIB"]}),
    "crit header": lambda t: resign(t["accessToken"], header={"crit": ["exp"]}),
    "kid unknown": lambda t: resign(t["accessToken"], header={"kid": "hs-unknown"}),
    "kid missing": lambda t: resign(t["accessToken"], drop=("kid",)),
    "kid not a string": lambda t: resign(t["accessToken"], header={"kid": ["x"]}),
    "iss wrong": lambda t: resign(t["accessToken"], claims={"iss": "someone-else"}),
    "aud present, none configured": lambda t: resign(
        t["accessToken"], claims={"aud": "graphql-auth"}
    ),
    "token_type refresh": lambda t: resign(
        t["accessToken"], claims={"token_type": "refresh"}
    ),
    "token_type missing": lambda t: resign(t["accessToken"], drop=("token_type",)),
    "iat a minute ahead": lambda t: resign(
        t["accessToken"], claims={"iat": split(t["accessToken"])[1]["iat"] + 60}
    ),
    "exp missing": lambda t: resign(t["accessToken"], drop=("exp",)),
    "iat missing": lambda t: resign(t["accessToken"], drop=("iat",)),
    "iss missing": lambda t: resign(t["accessToken"], drop=("iss",)),
    "sub missing": lambda t: resign(t["accessToken"], drop=("sub",)),
    "jti missing": lambda t: resign(t["accessToken"], drop=("jti",)),
    "sid missing": lambda t: resign(t["accessToken"], drop=("sid",)),
    "sub not a user id": lambda t: resign(t["accessToken"], claims={"sub": "x1"}),
    "sub a number": lambda t: resign(t["accessToken"], claims={"sub": 1}),
    "sid not a string": lambda t: resign(t["accessToken"], claims={"sid": 5}),
    "username missing": lambda t: resign(t["accessToken"], drop=("username",)),
    "auth_time missing": lambda t: resign(t["accessToken"], drop=("auth_time",)),
    "refresh token as access token": lambda t: t["refreshToken"],
    "garbage": lambda t: "garbage",
    "three empty segments": lambda t: "..",
    "segments not base64 JSON": lambda t: "eyJhbGciOi.notjson.sig",
    "header a JSON list": lambda t: f"{_b64(b'[1]')}.{_segment({})}.",
}


@pytest.mark.parametrize("make_token", INVALID_TOKENS.values(), ids=INVALID_TOKENS)
def test_me_with_bad_access_token_is_token_invalid(gql, tokens, make_token):
    assert me_reason(gql, make_token(tokens)) == "TOKEN_INVALID"


@pytest.mark.parametrize("make_token", INVALID_TOKENS.values(), ids=INVALID_TOKENS)
def test_verify_token_with_bad_access_token_is_token_invalid(gql, tokens, make_token):
    assert verify_code(gql, make_token(tokens)) == "TOKEN_INVALID"


def test_resigned_token_without_edits_is_accepted(gql, tokens):
    # The helpers above must not break a token by themselves.
    assert me_reason(gql, resign(tokens["accessToken"])) is None
    assert verify_code(gql, resign(tokens["accessToken"])) is None


def test_valid_access_token_is_accepted_by_me_and_verify_token(gql, user, tokens):
    result = gql(ME, token=tokens["accessToken"])
    assert result.data["me"] == {"id": str(user.pk), "username": "alice"}

    info = gql(VERIFY, {"token": tokens["accessToken"]}).data["verifyToken"]
    assert info["tokenType"] == "access"
    assert info["payload"]["sub"] == str(user.pk)
    assert info["payload"]["token_type"] == "access"
    assert split(tokens["accessToken"])[0]["typ"] == "at+jwt"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "TOKEN_MISSING"),
        ({"HTTP_AUTHORIZATION": ""}, "TOKEN_INVALID"),
        ({"HTTP_AUTHORIZATION": "Bearer"}, "TOKEN_INVALID"),
        ({"HTTP_AUTHORIZATION": "Bearer "}, "TOKEN_INVALID"),
        ({"HTTP_AUTHORIZATION": "Bearer    "}, "TOKEN_INVALID"),
        ({"HTTP_AUTHORIZATION": "Basic YWxpY2U6c2VjcmV0"}, "TOKEN_INVALID"),
    ],
    ids=["absent", "empty", "scheme only", "empty bearer", "blank", "basic"],
)
def test_me_without_usable_bearer_token_reports_reason(gql, headers, reason):
    assert me_reason(gql, **headers) == reason


@pytest.mark.parametrize("scheme", ["Token", "JWT", "Bearer:", "Bearerx"])
def test_me_with_valid_token_under_wrong_scheme_is_token_invalid(gql, tokens, scheme):
    header = f"{scheme} {tokens['accessToken']}"
    assert me_reason(gql, HTTP_AUTHORIZATION=header) == "TOKEN_INVALID"


def test_me_with_lowercase_bearer_scheme_is_accepted(gql, tokens):
    # RFC 7235 section 2.1: the scheme is case-insensitive.
    header = f"bearer {tokens['accessToken']}"
    assert me_reason(gql, HTTP_AUTHORIZATION=header) is None


# Expiry, leeway and the clock.


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.mark.parametrize(
    ("seconds_past_exp", "reason"),
    [(-1, None), (0, None), (4, None), (5, "TOKEN_EXPIRED"), (3600, "TOKEN_EXPIRED")],
)
def test_access_token_expires_after_lifetime_plus_leeway(
    gql, user, sign_in, frozen, seconds_past_exp, reason
):
    token = sign_in()["accessToken"]
    exp = split(token)[1]["exp"]
    assert exp == int((T0 + timedelta(seconds=900)).timestamp())

    frozen.move_to(T0 + timedelta(seconds=900 + seconds_past_exp), tick=False)
    assert me_reason(gql, token) == reason
    assert verify_code(gql, token) == reason


def test_leeway_setting_is_honoured(gql, user, sign_in, frozen, settings):
    token = sign_in()["accessToken"]
    settings.JWT = {**settings.JWT, "LEEWAY": 30}
    frozen.move_to(T0 + timedelta(seconds=900 + 20), tick=False)
    assert me_reason(gql, token) is None

    settings.JWT = {**settings.JWT, "LEEWAY": 0}
    assert me_reason(gql, token) == "TOKEN_EXPIRED"


@pytest.mark.parametrize(("ahead", "reason"), [(3, None), (60, "TOKEN_INVALID")])
def test_iat_in_future_is_refused_beyond_leeway(
    gql, user, sign_in, frozen, ahead, reason
):
    token = sign_in()["accessToken"]
    iat = int(T0.timestamp()) + ahead
    future = resign(token, claims={"iat": iat, "exp": iat + 900})
    assert me_reason(gql, future) == reason
    assert verify_code(gql, future) == reason


def test_expired_signature_on_forged_token_is_invalid_not_expired(
    gql, user, sign_in, frozen
):
    # An attacker must not learn "expired" before the signature is checked.
    token = resign(sign_in()["accessToken"], OTHER_SECRET)
    frozen.move_to(T0 + timedelta(hours=2), tick=False)
    assert me_reason(gql, token) == "TOKEN_INVALID"


# Revocation.


def test_access_token_of_revoked_session_is_token_revoked(gql, tokens):
    assert gql(REVOKE, {"refreshToken": tokens["refreshToken"]}).data == {
        "revokeToken": True
    }
    assert me_reason(gql, tokens["accessToken"]) == "TOKEN_REVOKED"
    assert verify_code(gql, tokens["accessToken"]) == "TOKEN_REVOKED"


def test_revoking_one_session_leaves_another_session_signed_in(gql, user, sign_in):
    phone, laptop = sign_in(), sign_in()
    gql(REVOKE, {"refreshToken": phone["refreshToken"]})
    assert me_reason(gql, phone["accessToken"]) == "TOKEN_REVOKED"
    assert me_reason(gql, laptop["accessToken"]) is None


# Audience.


@pytest.fixture
def audience(settings):
    settings.JWT = {**settings.JWT, "AUDIENCE": "tasks-api"}


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({}, None),
        ({"claims": {"aud": "other-api"}}, "TOKEN_INVALID"),
        ({"claims": {"aud": ["other-api"]}}, "TOKEN_INVALID"),
        ({"claims": {"aud": ""}}, "TOKEN_INVALID"),
        ({"drop": ("aud",)}, "TOKEN_INVALID"),
    ],
    ids=["ours", "other", "other in list", "empty", "absent"],
)
def test_configured_audience_is_required(gql, audience, tokens, edit, reason):
    assert split(tokens["accessToken"])[1]["aud"] == "tasks-api"
    token = resign(tokens["accessToken"], **edit)
    assert me_reason(gql, token) == reason
    assert verify_code(gql, token) == reason


# Public mutations ignore a stale or bad Bearer token.


@pytest.fixture(params=["garbage", "forged", "expired", "revoked"])
def stale_bearer(request, gql, user, sign_in, frozen) -> str:
    kind = request.param
    pair = sign_in()
    if kind == "garbage":
        return "not-a-token"
    if kind == "forged":
        return resign(pair["accessToken"], OTHER_SECRET)
    if kind == "revoked":
        gql(REVOKE, {"refreshToken": pair["refreshToken"]})
        return pair["accessToken"]
    frozen.move_to(T0 + timedelta(hours=1), tick=False)
    return pair["accessToken"]


def test_token_auth_works_with_stale_bearer_token(gql, stale_bearer):
    variables = {"username": "alice", "password": PASSWORD}
    result = gql(TOKEN_AUTH, variables, token=stale_bearer)
    assert not result.errors
    assert me_reason(gql, result.data["tokenAuth"]["accessToken"]) is None


def test_register_works_with_stale_bearer_token(gql, stale_bearer):
    data = {"username": "carol", "email": "carol@example.com", "password": PASSWORD}
    result = gql(REGISTER, {"input": data}, token=stale_bearer)
    assert not result.errors
    assert result.data["register"]["user"] == {"username": "carol"}


def test_refresh_token_works_with_stale_bearer_token(gql, sign_in, stale_bearer):
    refresh = sign_in()["refreshToken"]
    result = gql(REFRESH, {"refreshToken": refresh}, token=stale_bearer)
    assert not result.errors
    assert me_reason(gql, result.data["refreshToken"]["accessToken"]) is None


def test_verify_token_works_with_stale_bearer_token(gql, sign_in, stale_bearer):
    token = sign_in()["accessToken"]
    assert gql(VERIFY, {"token": token}, token=stale_bearer).errors == []


# Asymmetric algorithms and key rotation.


@cache
def private_pem(algorithm: str, index: int = 0) -> str:
    """Return a PEM private key for the algorithm (``index`` picks another)."""
    if algorithm == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    elif algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(private: str) -> str:
    key = serialization.load_pem_private_key(private.encode(), None)
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


def configure(settings, algorithm: str, signing: str, verifying=()) -> None:
    settings.JWT = {
        **settings.JWT,
        "ALGORITHM": algorithm,
        "SIGNING_KEY": signing,
        "VERIFYING_KEYS": list(verifying),
    }


ASYMMETRIC = ["RS256", "ES256", "EdDSA"]


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_asymmetric_algorithm_signs_and_verifies(
    gql, user, sign_in, settings, algorithm
):
    configure(settings, algorithm, private_pem(algorithm))
    token = sign_in()["accessToken"]

    header, _ = split(token)
    assert header["alg"] == algorithm
    assert header["typ"] == "at+jwt"
    assert me_reason(gql, token) is None
    assert verify_code(gql, token) is None
    # An outside party holding only the public key can check the signature.
    claims = jwt.decode(
        token,
        public_pem(private_pem(algorithm)),
        algorithms=[algorithm],
        options={"verify_aud": False},
    )
    assert claims["sub"] == str(user.pk)


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_asymmetric_token_signed_by_another_key_is_invalid(
    gql, user, sign_in, settings, algorithm
):
    configure(settings, algorithm, private_pem(algorithm))
    header, claims = split(sign_in()["accessToken"])
    # Same kid and claims, signed by a key the server does not hold.
    forged = jwt.encode(claims, private_pem(algorithm, 1), algorithm, headers=header)
    assert me_reason(gql, forged) == "TOKEN_INVALID"


@pytest.mark.parametrize("header_alg", ["HS256", "RS256"])
def test_hs256_signed_with_rsa_public_key_is_invalid(
    gql, user, sign_in, settings, header_alg
):
    # Algorithm confusion: the public key used as an HMAC secret.
    private = private_pem("RS256")
    configure(settings, "RS256", private)
    header, claims = split(sign_in()["accessToken"])
    assert header["kid"] == key_ring().signing_kid

    pem = public_pem(private).encode()
    for secret in (pem, pem.strip()):
        forged = hs256({**header, "alg": header_alg}, claims, secret)
        assert me_reason(gql, forged) == "TOKEN_INVALID"
        assert verify_code(gql, forged) == "TOKEN_INVALID"


def test_hs256_token_is_invalid_once_server_moves_to_rs256(
    gql, user, sign_in, settings
):
    token = sign_in()["accessToken"]
    configure(settings, "RS256", private_pem("RS256"), [])
    assert me_reason(gql, token) == "TOKEN_INVALID"


@pytest.fixture(params=["HS256", *ASYMMETRIC])
def rotation(request) -> tuple[str, str, str, str]:
    """Return (algorithm, old signing key, new signing key, old verifying key)."""
    algorithm = request.param
    if algorithm == "HS256":
        return algorithm, SECRET, OTHER_SECRET, SECRET
    old, new = private_pem(algorithm), private_pem(algorithm, 1)
    return algorithm, old, new, public_pem(old)


def test_token_of_old_key_verifies_while_listed_and_fails_once_removed(
    gql, user, sign_in, settings, rotation
):
    algorithm, old, new, old_verifying = rotation
    configure(settings, algorithm, old)
    token = sign_in()["accessToken"]

    configure(settings, algorithm, new, [old_verifying])
    assert me_reason(gql, token) is None
    assert verify_code(gql, token) is None
    fresh = sign_in()["accessToken"]
    assert split(fresh)[0]["kid"] != split(token)[0]["kid"]
    assert me_reason(gql, fresh) is None

    configure(settings, algorithm, new)
    assert me_reason(gql, token) == "TOKEN_INVALID"
    assert verify_code(gql, token) == "TOKEN_INVALID"
    assert me_reason(gql, fresh) is None


# The claims hook.

HOOK = "tests.test_tokens.extra_claims"


def extra_claims(user) -> dict[str, Any]:
    """A claims hook that tries to override every reserved claim."""
    return {
        "plan": "pro",
        "roles": ["editor"],
        "sub": "1",
        "exp": 4102444800,
        "iat": 0,
        "nbf": 4102444800,
        "jti": "chosen-jti",
        "sid": "00000000-0000-0000-0000-000000000000",
        "token_type": "refresh",
        "iss": "hook-issuer",
        "aud": "hook-audience",
        "auth_time": 0,
    }


def test_claims_hook_adds_claims_but_cannot_override_reserved_ones(
    gql, make_user, sign_in, settings, frozen
):
    make_user("first")  # so the user below is not pk 1, the hook's sub
    user = make_user("alice")
    settings.JWT = {**settings.JWT, "CLAIMS_HOOK": HOOK}
    token = sign_in()["accessToken"]

    claims = gql(VERIFY, {"token": token}).data["verifyToken"]["payload"]
    assert claims["plan"] == "pro"
    assert claims["roles"] == ["editor"]
    now = int(T0.timestamp())
    assert claims["sub"] == str(user.pk)
    assert claims["iat"] == claims["auth_time"] == now
    assert claims["exp"] == now + 900
    assert claims["jti"] != "chosen-jti"
    assert claims["sid"] != "00000000-0000-0000-0000-000000000000"
    assert claims["token_type"] == "access"
    assert claims["iss"] == "graphql-auth"
    assert "aud" not in claims
    assert "nbf" not in claims
    assert gql(ME, token=token).data["me"]["id"] == str(user.pk)


def test_claims_hook_cannot_set_audience_when_one_is_configured(
    gql, user, sign_in, settings, audience
):
    settings.JWT = {**settings.JWT, "CLAIMS_HOOK": HOOK}
    token = sign_in()["accessToken"]
    assert split(token)[1]["aud"] == "tasks-api"
    assert me_reason(gql, token) is None


def test_a_token_verified_before_is_still_refused_once_expired(user, tokens):
    import time_machine
    from django.utils import timezone

    from users.tokens import decode_access_token

    assert decode_access_token(tokens["accessToken"])["sub"] == str(user.pk)
    later = timezone.now() + timedelta(minutes=16)
    with time_machine.travel(later), pytest.raises(TokenExpired):
        decode_access_token(tokens["accessToken"])
