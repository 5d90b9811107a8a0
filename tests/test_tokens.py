"""Access tokens: issuing, decoding with a pinned algorithm, and what is refused.

Most bad tokens here are re-signed with the server's own secret, so each one
differs from a valid token in the single property under test; a check that
stopped looking at that property would let it through and fail the test.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schema.errors import TokenExpired
from tests.conftest import PASSWORD
from tests.tokenkit import (
    ME,
    OTHER_SECRET,
    SECRET,
    VERIFY,
    alg_none,
    b64,
    me_reason,
    resign,
    segment,
    split,
    tampered,
    verify_code,
)

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

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
        header={"jwk": {"kty": "oct", "k": b64(SECRET.encode())}},
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
    "header a JSON list": lambda t: f"{b64(b'[1]')}.{segment({})}.",
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
