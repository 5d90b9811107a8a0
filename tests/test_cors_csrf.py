"""Cross-site attacks on /graphql/: forged requests, login CSRF, CORS.

The clients here enforce CSRF checks as a browser-facing server would; the
default test client skips them. The victim's browser is simulated by one
client that signed in legitimately and so holds the refresh cookie and the
csrftoken cookie; the attacker's page can make it send those cookies but
can neither read them nor add a header without passing a CORS preflight.
"""

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from config.startup import refuse_unsafe_settings
from tasks.models import Task
from tests.conftest import PASSWORD
from users.models import RefreshToken, Session, User

COOKIE = "__Host-refresh_token"
SITE = "https://testserver"
EVIL = "https://evil.example"
APP = "https://app.example"

CREDENTIALS = f'username: "alice", password: "{PASSWORD}"'
TOKEN_AUTH = f"mutation {{ tokenAuth({CREDENTIALS}) {{ accessToken }} }}"
REGISTER = """
mutation {
  register(input: {username: "mallory", email: "mallory@example.com",
                   password: "a long and unusual passphrase"}) { accessToken }
}
"""
REFRESH = "mutation { refreshToken { accessToken refreshToken } }"
REVOKE = "mutation { revokeToken }"
CREATE_TASK = 'mutation { createTask(input: {title: "planted"}) { id } }'
ME = "query { me { username } }"

PREFLIGHT = {
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type, x-csrftoken",
}


@pytest.fixture
def cookie_mode(settings) -> None:
    settings.JWT = {
        **settings.JWT,
        "REFRESH_TOKEN_COOKIE": True,
        "REFRESH_COOKIE_NAME": COOKIE,
        "REFRESH_COOKIE_SECURE": True,
    }


@pytest.fixture
def listed_origin(settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [APP]
    settings.CORS_ALLOW_CREDENTIALS = True


def post(client: Client, query: str, **headers: Any) -> Any:
    body = json.dumps({"query": query})
    return client.post(
        "/graphql/", body, content_type="application/json", secure=True, **headers
    )


def csrf_token(client: Client) -> str:
    return client.get("/csrf/", secure=True).json()["csrfToken"]


def error_code(response: Any) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


@pytest.fixture
def victim(cookie_mode, user) -> Client:
    """A browser signed in to the API: refresh and csrftoken cookies set."""
    client = Client(enforce_csrf_checks=True)
    headers = {"HTTP_X_CSRFTOKEN": csrf_token(client), "HTTP_ORIGIN": SITE}
    response = post(client, TOKEN_AUTH, **headers)
    assert response.status_code == 200, response.json()
    client.access_token = response.json()["data"]["tokenAuth"]["accessToken"]
    assert client.cookies[COOKIE].value
    assert client.cookies["csrftoken"].value
    return client


def assert_session_untouched(client: Client) -> None:
    session = Session.objects.get()
    assert session.revoked_at is None
    assert not RefreshToken.objects.filter(used_at__isnull=False).exists()
    me = post(client, ME, HTTP_AUTHORIZATION=f"Bearer {client.access_token}")
    assert me.json()["data"] == {"me": {"username": "alice"}}


# Forged requests riding the refresh cookie


FORGERIES = {
    "no token, foreign Origin": lambda token: {"HTTP_ORIGIN": EVIL},
    "no token, own Origin": lambda token: {"HTTP_ORIGIN": SITE},
    "no token, no Origin": lambda token: {},
    "malformed token, own Origin": lambda token: {
        "HTTP_ORIGIN": SITE,
        "HTTP_X_CSRFTOKEN": "x" * 64,
    },
    "well-formed wrong token, own Origin": lambda token: {
        "HTTP_ORIGIN": SITE,
        "HTTP_X_CSRFTOKEN": "a" * 32,
    },
    "right token, foreign Origin": lambda token: {
        "HTTP_ORIGIN": EVIL,
        "HTTP_X_CSRFTOKEN": token,
    },
    "right token, foreign Referer": lambda token: {
        "HTTP_REFERER": f"{EVIL}/page",
        "HTTP_X_CSRFTOKEN": token,
    },
    "right token, no Origin or Referer": lambda token: {"HTTP_X_CSRFTOKEN": token},
    "Authorization without Bearer": lambda token: {
        "HTTP_ORIGIN": EVIL,
        "HTTP_AUTHORIZATION": "Basic YWxpY2U6eA==",
    },
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
@pytest.mark.parametrize("query", [REFRESH, REVOKE], ids=["refresh", "revoke"])
def test_forged_cookie_request_is_refused_and_changes_nothing(victim, forgery, query):
    # "right token" cases stand for a token leaked to the attacker: the
    # Origin and Referer checks still refuse the foreign page.
    headers = forgery(victim.cookies["csrftoken"].value)

    response = post(victim, query, **headers)

    assert response.status_code == 403
    assert error_code(response) == "CSRF_FAILED"
    assert COOKIE not in response.cookies
    assert_session_untouched(victim)


def test_forged_request_over_plain_http_without_token_is_refused(victim):
    body = json.dumps({"query": REFRESH})

    response = victim.post("/graphql/", body, content_type="application/json")

    assert response.status_code == 403
    assert_session_untouched(victim)


def test_mutation_over_get_with_refresh_cookie_is_refused(victim):
    response = victim.get("/graphql/", {"query": REFRESH}, secure=True)

    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"
    assert COOKIE not in response.cookies
    assert_session_untouched(victim)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_with_refresh_cookie_execute_nothing(victim, method):
    body = json.dumps({"query": REFRESH})

    send = getattr(victim, method)
    response = send(
        "/graphql/",
        body,
        content_type="application/json",
        secure=True,
        HTTP_ORIGIN=EVIL,
    )

    assert response.status_code == 405
    assert COOKIE not in response.cookies
    assert_session_untouched(victim)


# Login CSRF: signing the victim in to the attacker's account


@pytest.mark.django_db
def test_login_csrf_through_token_auth_is_refused(cookie_mode, user):
    client = Client(enforce_csrf_checks=True)

    response = post(client, TOKEN_AUTH, HTTP_ORIGIN=EVIL)

    assert response.status_code == 403
    assert error_code(response) == "CSRF_FAILED"
    assert COOKIE not in response.cookies
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_login_csrf_through_register_is_refused(cookie_mode):
    client = Client(enforce_csrf_checks=True)

    response = post(client, REGISTER, HTTP_ORIGIN=EVIL)

    assert response.status_code == 403
    assert COOKIE not in response.cookies
    assert not User.objects.exists()
    assert not Session.objects.exists()


# The legitimate flows


@pytest.mark.django_db
def test_csrf_endpoint_sets_cookie_and_returns_matching_token():
    client = Client(enforce_csrf_checks=True)

    response = client.get("/csrf/", secure=True)

    assert response.status_code == 200
    assert response.json()["csrfToken"]
    assert response.cookies["csrftoken"].value


def test_token_from_csrf_endpoint_in_header_lets_refresh_through(victim):
    headers = {"HTTP_X_CSRFTOKEN": csrf_token(victim), "HTTP_ORIGIN": SITE}

    response = post(victim, REFRESH, **headers)

    assert response.status_code == 200
    assert response.json()["data"]["refreshToken"]["refreshToken"] is None
    assert response.cookies[COOKIE].value
    assert RefreshToken.objects.filter(used_at__isnull=False).count() == 1


def test_bearer_request_needs_no_csrf_token_in_cookie_mode(victim):
    bearer = f"Bearer {victim.access_token}"

    response = post(victim, CREATE_TASK, HTTP_AUTHORIZATION=bearer)

    assert response.status_code == 200, response.json()
    assert Task.objects.get().title == "planted"


@pytest.mark.django_db
def test_csrf_is_not_checked_outside_cookie_mode(user):
    client = Client(enforce_csrf_checks=True)

    response = post(client, TOKEN_AUTH, HTTP_ORIGIN=EVIL)

    # Tokens only in a body the foreign page cannot read: nothing to ride.
    assert response.status_code == 200
    assert not response.cookies


def test_listed_origin_needs_csrf_trusted_origins_in_cookie_mode(
    settings, listed_origin, victim
):
    headers = {"HTTP_X_CSRFTOKEN": csrf_token(victim), "HTTP_ORIGIN": APP}

    refused = post(victim, REFRESH, **headers)
    settings.CSRF_TRUSTED_ORIGINS = [APP]
    allowed = post(victim, REFRESH, **headers)

    assert refused.status_code == 403
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == APP


# Simple requests: content types a page may send cross-site unpreflighted


def simple_bodies(query: str) -> dict[str, tuple[Any, str]]:
    operation = json.dumps({"query": query})
    return {
        "text/plain": (operation, "text/plain"),
        "text/plain;charset=UTF-8": (operation, "text/plain;charset=UTF-8"),
        "urlencoded": (
            urlencode({"query": query}),
            "application/x-www-form-urlencoded",
        ),
        "multipart": (
            {"query": query, "operations": operation, "map": "{}"},
            MULTIPART_CONTENT,
        ),
    }


OPERATIONS = {
    "register": (REGISTER, False),
    "tokenAuth": (TOKEN_AUTH, False),
    "createTask": (CREATE_TASK, True),
}


@pytest.mark.parametrize("kind", simple_bodies("").keys())
@pytest.mark.parametrize("operation", OPERATIONS.keys())
@pytest.mark.parametrize("cookies", [True, False], ids=["cookie", "body"])
def test_simple_content_types_never_execute(
    settings, make_user, sign_in, kind, operation, cookies
):
    make_user("alice")
    access = sign_in()["accessToken"]
    sessions = set(Session.objects.values_list("pk", flat=True))
    users = set(User.objects.values_list("pk", flat=True))
    settings.JWT = {**settings.JWT, "REFRESH_TOKEN_COOKIE": cookies}
    query, bearer = OPERATIONS[operation]
    body, content_type = simple_bodies(query)[kind]
    headers = {"HTTP_ORIGIN": EVIL}
    if bearer:
        # A cross-site page cannot add this header; sent here to show the
        # content type alone is refused even when no CSRF check applies.
        headers["HTTP_AUTHORIZATION"] = f"Bearer {access}"
    client = Client(enforce_csrf_checks=True)
    csrf_token(client)

    response = client.post(
        "/graphql/", body, content_type=content_type, secure=True, **headers
    )

    csrf_applies = cookies and not bearer
    assert response.status_code == (403 if csrf_applies else 400)
    assert "data" not in response.json()
    assert not response.cookies.get(COOKIE)
    assert set(User.objects.values_list("pk", flat=True)) == users
    assert set(Session.objects.values_list("pk", flat=True)) == sessions
    assert not Task.objects.exists()


@pytest.mark.parametrize("kind", simple_bodies("").keys())
def test_simple_content_type_with_valid_csrf_token_still_executes_nothing(victim, kind):
    body, content_type = simple_bodies(REFRESH)[kind]
    headers = {"HTTP_X_CSRFTOKEN": csrf_token(victim), "HTTP_ORIGIN": SITE}

    response = victim.post(
        "/graphql/", body, content_type=content_type, secure=True, **headers
    )

    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"
    assert_session_untouched(victim)


# CORS


@pytest.mark.parametrize("path", ["/graphql/", "/csrf/"])
def test_preflight_from_listed_origin_is_allowed_with_credentials(
    client, listed_origin, path
):
    response = client.options(path, HTTP_ORIGIN=APP, **PREFLIGHT)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = response["Access-Control-Allow-Headers"].split(", ")
    assert {"authorization", "content-type", "x-csrftoken"} <= set(allowed)
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "origin" in response["Vary"].lower()


def test_preflight_from_listed_origin_without_credentials_setting(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    settings.CORS_ALLOW_CREDENTIALS = False

    response = client.options("/graphql/", HTTP_ORIGIN=APP, **PREFLIGHT)

    assert response["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "origin",
    [
        EVIL,
        "http://app.example",
        "https://app.example:8443",
        "https://app.example.evil.example",
        "https://evil-app.example",
        "null",
        "*",
    ],
)
def test_preflight_from_unlisted_origin_gets_no_cors_headers(
    client, listed_origin, origin
):
    response = client.options("/graphql/", HTTP_ORIGIN=origin, **PREFLIGHT)

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_unlisted_origin_cannot_read_a_csrf_token_or_answer(client, listed_origin):
    token = client.get("/csrf/", HTTP_ORIGIN=EVIL)
    answer = post(client, ME, HTTP_ORIGIN=EVIL)

    for response in (token, answer):
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Credentials" not in response


def test_cors_headers_only_on_api_paths(client, listed_origin):
    response = client.options("/admin/login/", HTTP_ORIGIN=APP, **PREFLIGHT)

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_wildcard_origins_without_credentials_answer_star(client, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = True
    settings.CORS_ALLOW_CREDENTIALS = False

    response = post(client, ME, HTTP_ORIGIN=EVIL)

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_star_in_allowed_origins_is_not_echoed(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["*"]
    settings.CORS_ALLOW_CREDENTIALS = False

    response = post(client, ME, HTTP_ORIGIN=EVIL)

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(
    "wildcard",
    [{"CORS_ALLOW_ALL_ORIGINS": True}, {"CORS_ALLOWED_ORIGINS": ["*", APP]}],
    ids=["allow-all", "star-listed"],
)
def test_wildcard_origin_with_credentials_refuses_to_start(settings, wildcard):
    # The library would echo any origin with credentials; never get there.
    for name, value in wildcard.items():
        setattr(settings, name, value)
    settings.CORS_ALLOW_CREDENTIALS = True

    with pytest.raises(ImproperlyConfigured, match=r"users\.E004"):
        refuse_unsafe_settings()


def test_junk_bearer_header_does_not_skip_the_csrf_check(settings, user):
    from django.test import Client

    settings.JWT = {**settings.JWT, "REFRESH_TOKEN_COOKIE": True}
    browser = Client(enforce_csrf_checks=True)
    body = json.dumps({"query": "mutation { refreshToken { accessToken } }"})

    response = browser.post(
        "/graphql/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer junk",
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
