"""Cookie mode (users.cookies): the refresh token in an httpOnly cookie.

Every request here goes through a client that enforces CSRF, as a browser
on the API's own origin would: it fetches /csrf/ first and echoes the token.
"""

import json
from datetime import UTC, datetime, timedelta
from http.cookies import Morsel
from typing import Any

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from users.models import RefreshToken, Session

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
COOKIE = "__Host-refresh_token"
IDLE_LIFETIME = 3600
SITE = "https://testserver"

PAYLOAD = "accessToken refreshToken refreshExpiresAt user { username }"
TOKEN_AUTH = f"""
mutation SignIn($username: String!, $password: String!) {{
  tokenAuth(username: $username, password: $password) {{ {PAYLOAD} }}
}}
"""
REGISTER = f"""
mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ {PAYLOAD} }}
}}
"""
REFRESH = f"""
mutation Refresh($refreshToken: String) {{
  refreshToken(refreshToken: $refreshToken) {{ {PAYLOAD} }}
}}
"""
REVOKE = """
mutation Revoke($refreshToken: String) { revokeToken(refreshToken: $refreshToken) }
"""
REVOKE_ALL = "mutation { revokeAllTokens }"
REVOKE_SESSION = "mutation Revoke($id: ID!) { revokeSession(id: $id) }"
CHANGE_PASSWORD = f"""
mutation Change($old: String!, $new: String!) {{
  changePassword(oldPassword: $old, newPassword: $new) {{ {PAYLOAD} }}
}}
"""
ME = "query { me { username } }"
SESSIONS = "query { sessions { id current } }"
NEW_USER = {
    "username": "carol",
    "email": "carol@example.com",
    "password": "a long and unusual passphrase",
}


class Browser:
    """A same-origin page over HTTPS: cookies kept, CSRF token echoed."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        token = self.client.get("/csrf/", secure=True).json()["csrfToken"]
        self.headers = {"HTTP_X_CSRFTOKEN": token, "HTTP_ORIGIN": SITE}

    def post(
        self, query: str, variables: dict | None = None, token: str | None = None
    ) -> Any:
        headers = dict(self.headers)
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        body = json.dumps({"query": query, "variables": variables or {}})
        return self.client.post(
            "/graphql/",
            body,
            content_type="application/json",
            secure=True,
            **headers,
        )

    def data(self, response: Any) -> dict:
        body = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def code(self, response: Any) -> str:
        body = response.json()
        assert body.get("data") is None, body
        return body["errors"][0]["extensions"]["code"]

    def sign_in(self) -> tuple[dict, Morsel]:
        response = self.post(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})
        return self.data(response)["tokenAuth"], response.cookies[COOKIE]

    @property
    def refresh_cookie(self) -> str:
        return self.client.cookies[COOKIE].value


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def cookie_mode(settings, frozen) -> None:
    settings.JWT = {
        **settings.JWT,
        "REFRESH_TOKEN_COOKIE": True,
        "REFRESH_COOKIE_NAME": COOKIE,
        "REFRESH_COOKIE_SECURE": True,
        "REFRESH_COOKIE_SAMESITE": "Strict",
        "REFRESH_TOKEN_IDLE_LIFETIME": IDLE_LIFETIME,
    }


@pytest.fixture
def browser(db) -> Browser:
    return Browser()


def assert_refresh_cookie(morsel: Morsel, payload: dict) -> None:
    """Check the cookie's flags and that it lives exactly as long as the token."""
    assert morsel.value
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == "/"
    assert morsel["domain"] == ""
    assert morsel["max-age"] == IDLE_LIFETIME
    expires_at = datetime.fromisoformat(payload["refreshExpiresAt"])
    assert expires_at == T0 + timedelta(seconds=IDLE_LIFETIME)
    assert payload["refreshToken"] is None


def assert_cleared(response: Any) -> None:
    morsel = response.cookies[COOKIE]
    assert morsel.value == ""
    assert morsel["max-age"] == 0
    assert morsel["path"] == "/"
    assert "1970" in morsel["expires"]


def stored_hashes() -> set[str]:
    return set(RefreshToken.objects.values_list("token_hash", flat=True))


# Issuing the cookie


def test_token_auth_in_cookie_mode_sets_cookie_and_nulls_body(
    cookie_mode, browser, user
):
    payload, morsel = browser.sign_in()

    assert_refresh_cookie(morsel, payload)
    assert payload["user"]["username"] == "alice"


def test_register_in_cookie_mode_sets_cookie_and_nulls_body(cookie_mode, browser):
    response = browser.post(REGISTER, {"input": NEW_USER})

    payload = browser.data(response)["register"]
    assert_refresh_cookie(response.cookies[COOKIE], payload)
    assert payload["user"]["username"] == "carol"


def test_cookie_answers_are_never_cached(cookie_mode, browser, user):
    response = browser.post(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})

    assert COOKIE in response.cookies
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("secure", "samesite", "name"),
    [(False, "Lax", "refresh_token"), (True, "None", "__Secure-refresh")],
)
def test_cookie_flags_follow_settings(
    settings, frozen, browser, user, secure, samesite, name
):
    settings.JWT = {
        **settings.JWT,
        "REFRESH_TOKEN_COOKIE": True,
        "REFRESH_COOKIE_NAME": name,
        "REFRESH_COOKIE_SECURE": secure,
        "REFRESH_COOKIE_SAMESITE": samesite,
    }

    response = browser.post(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})

    morsel = response.cookies[name]
    assert bool(morsel["secure"]) is secure
    assert morsel["samesite"] == samesite
    assert morsel["httponly"] is True
    assert browser.data(response)["tokenAuth"]["refreshToken"] is None


def test_failed_sign_in_sets_no_cookie(cookie_mode, browser, user):
    response = browser.post(TOKEN_AUTH, {"username": "alice", "password": "wrong"})

    assert browser.code(response) == "INVALID_CREDENTIALS"
    assert COOKIE not in response.cookies


# Rotating through the cookie


def test_refresh_without_argument_rotates_cookie_and_sets_successor(
    cookie_mode, browser, user
):
    _, first = browser.sign_in()
    before = stored_hashes()

    response = browser.post(REFRESH)

    payload = browser.data(response)["refreshToken"]
    second = response.cookies[COOKIE]
    assert_refresh_cookie(second, payload)
    assert second.value != first.value
    assert browser.refresh_cookie == second.value
    # The cookie's token was the one spent, and exactly one successor issued.
    assert RefreshToken.objects.filter(used_at__isnull=False).count() == 1
    assert len(stored_hashes() - before) == 1
    assert browser.data(browser.post(ME, token=payload["accessToken"]))["me"]


def test_refresh_extends_cookie_max_age_from_now(cookie_mode, browser, user, frozen):
    browser.sign_in()
    frozen.move_to(T0 + timedelta(minutes=20), tick=False)

    response = browser.post(REFRESH)

    payload = browser.data(response)["refreshToken"]
    assert response.cookies[COOKIE]["max-age"] == IDLE_LIFETIME
    expires_at = datetime.fromisoformat(payload["refreshExpiresAt"])
    assert expires_at == T0 + timedelta(minutes=20, seconds=IDLE_LIFETIME)


def test_refresh_cookie_max_age_is_capped_by_absolute_lifetime(
    settings, cookie_mode, browser, user
):
    settings.JWT = {**settings.JWT, "SESSION_ABSOLUTE_LIFETIME": 600}

    response = browser.post(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})

    assert response.cookies[COOKIE]["max-age"] == 600


def test_refresh_in_cookie_mode_without_cookie_is_token_invalid(
    cookie_mode, browser, user
):
    response = browser.post(REFRESH)

    assert browser.code(response) == "TOKEN_INVALID"
    assert COOKIE not in response.cookies


def test_reused_cookie_value_is_token_reused_and_ends_session(
    cookie_mode, browser, user, frozen
):
    payload, first = browser.sign_in()
    browser.data(browser.post(REFRESH))
    successor = browser.refresh_cookie
    frozen.move_to(T0 + timedelta(minutes=5), tick=False)

    # A thief replays the first cookie value after its grace window.
    browser.client.cookies[COOKIE] = first.value
    response = browser.post(REFRESH)

    assert browser.code(response) == "TOKEN_REUSED"
    # The dead cookie is cleared rather than left to fail again.
    assert response.cookies[COOKIE].value == ""
    assert response.cookies[COOKIE]["max-age"] == 0
    session = Session.objects.get()
    assert session.revoke_reason == "reuse"
    browser.client.cookies[COOKIE] = successor
    assert browser.code(browser.post(REFRESH)) == "TOKEN_REVOKED"
    assert browser.code(browser.post(ME, token=payload["accessToken"])) == (
        "UNAUTHENTICATED"
    )


def test_refresh_argument_wins_over_cookie(cookie_mode, browser, user):
    browser.sign_in()
    cookie_session = Session.objects.get()
    other = Browser()
    other.sign_in()
    argument = other.refresh_cookie

    response = browser.post(REFRESH, {"refreshToken": argument})

    browser.data(response)
    spent = RefreshToken.objects.get(used_at__isnull=False)
    assert spent.session_id != cookie_session.pk


# Clearing the cookie


def test_revoke_token_without_argument_signs_out_and_clears_cookie(
    cookie_mode, browser, user
):
    payload, _ = browser.sign_in()

    response = browser.post(REVOKE)

    assert browser.data(response) == {"revokeToken": True}
    assert_cleared(response)
    assert Session.objects.get().revoke_reason == "sign_out"
    me = browser.post(ME, token=payload["accessToken"])
    assert me.json()["errors"][0]["extensions"]["reason"] == "TOKEN_REVOKED"


def test_revoke_token_without_cookie_is_token_invalid(cookie_mode, browser, user):
    browser.sign_in()
    browser.client.cookies.pop(COOKIE)

    response = browser.post(REVOKE)

    assert browser.code(response) == "TOKEN_INVALID"
    assert Session.objects.get().revoked_at is None


def test_revoke_all_tokens_clears_cookie(cookie_mode, browser, user):
    payload, _ = browser.sign_in()
    Browser().sign_in()

    response = browser.post(REVOKE_ALL, token=payload["accessToken"])

    assert browser.data(response) == {"revokeAllTokens": 2}
    assert_cleared(response)
    assert not Session.objects.filter(revoked_at__isnull=True).exists()


def test_revoke_current_session_clears_cookie_but_other_session_does_not(
    cookie_mode, browser, user
):
    payload, _ = browser.sign_in()
    Browser().sign_in()
    sessions = browser.data(browser.post(SESSIONS, token=payload["accessToken"]))
    ids = {s["current"]: s["id"] for s in sessions["sessions"]}

    other = browser.post(REVOKE_SESSION, {"id": ids[False]}, payload["accessToken"])
    own = browser.post(REVOKE_SESSION, {"id": ids[True]}, payload["accessToken"])

    assert browser.data(other) == {"revokeSession": True}
    assert COOKIE not in other.cookies
    assert browser.data(own) == {"revokeSession": True}
    assert_cleared(own)


def test_change_password_replaces_cookie_and_old_value_stops_working(
    cookie_mode, browser, user
):
    payload, first = browser.sign_in()
    variables = {"old": PASSWORD, "new": "another long unusual passphrase"}

    response = browser.post(CHANGE_PASSWORD, variables, payload["accessToken"])

    changed = browser.data(response)["changePassword"]
    assert_refresh_cookie(response.cookies[COOKIE], changed)
    assert response.cookies[COOKIE].value != first.value
    browser.client.cookies[COOKIE] = first.value
    assert browser.code(browser.post(REFRESH)) == "TOKEN_INVALID"


# Cookie mode off


def test_cookie_mode_off_sets_no_cookie_and_returns_refresh_token_in_body(
    settings, browser, user
):
    settings.JWT = {**settings.JWT, "REFRESH_TOKEN_COOKIE": False}
    name = settings.JWT["REFRESH_COOKIE_NAME"]

    signed_in = browser.post(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})
    registered = browser.post(REGISTER, {"input": NEW_USER})
    token = browser.data(signed_in)["tokenAuth"]["refreshToken"]
    refreshed = browser.post(REFRESH, {"refreshToken": token})

    for response, field in [
        (signed_in, "tokenAuth"),
        (registered, "register"),
        (refreshed, "refreshToken"),
    ]:
        assert name not in response.cookies
        assert len(browser.data(response)[field]["refreshToken"]) >= 43


def test_cookie_mode_off_ignores_a_refresh_cookie(settings, browser, user):
    settings.JWT = {**settings.JWT, "REFRESH_TOKEN_COOKIE": False}
    signed_in = browser.post(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})
    name = settings.JWT["REFRESH_COOKIE_NAME"]
    browser.client.cookies[name] = browser.data(signed_in)["tokenAuth"]["refreshToken"]

    refreshed = browser.post(REFRESH)
    revoked = browser.post(REVOKE)

    assert browser.code(refreshed) == "TOKEN_INVALID"
    assert browser.code(revoked) == "TOKEN_INVALID"
    assert not RefreshToken.objects.filter(used_at__isnull=False).exists()
    assert Session.objects.get().revoked_at is None
