"""Shared fixtures: users, a GraphQL client, signed-in tokens, a clean cache."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from tasks.models import Task
from users.models import User

PASSWORD = "correct horse battery staple"


LOCAL_CACHES = {
    alias: {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"test-{alias}",
    }
    for alias in ("default", "ratelimit")
}


@pytest.fixture(autouse=True)
def _fast_hasher_and_clean_cache(settings):
    # MD5 keeps the suite fast; the server's first hasher is Argon2id.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests keep their cache in memory, away from a developer's var/cache.
    settings.CACHES = LOCAL_CACHES
    for alias in LOCAL_CACHES:
        caches[alias].clear()
    yield
    for alias in LOCAL_CACHES:
        caches[alias].clear()


class GraphQLResponse:
    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.http = response
        self.json = json.loads(response.content)
        self.data = self.json.get("data")
        self.errors = self.json.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    @property
    def error(self) -> dict:
        assert len(self.errors) == 1, self.errors
        return self.errors[0]


@pytest.fixture
def gql(client: Client) -> Callable[..., GraphQLResponse]:
    """Post a GraphQL operation; ``token`` goes in the Bearer header."""

    def run(
        query: str,
        variables: dict | None = None,
        token: str | None = None,
        **headers: str,
    ) -> GraphQLResponse:
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        body = {"query": query, "variables": variables or {}}
        response = client.post(
            "/graphql/", json.dumps(body), content_type="application/json", **headers
        )
        return GraphQLResponse(response)

    return run


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str = "alice", **fields: Any) -> User:
        fields.setdefault("email", f"{username}@example.com")
        return User.objects.create_user(username, password=PASSWORD, **fields)

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user("alice")


@pytest.fixture
def other_user(make_user) -> User:
    return make_user("bob")


TOKEN_AUTH = """
mutation SignIn($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) {
    accessToken refreshToken expiresIn user { id username email }
  }
}
"""


@pytest.fixture
def sign_in(gql) -> Callable[..., dict]:
    """Sign a user in through the API; return the AuthPayload as a dict."""

    def run(username: str = "alice", password: str = PASSWORD, **headers) -> dict:
        result = gql(
            TOKEN_AUTH, {"username": username, "password": password}, **headers
        )
        assert not result.errors, result.errors
        return result.data["tokenAuth"]

    return run


@pytest.fixture
def tokens(user, sign_in) -> dict:
    """A fresh sign-in of ``user``."""
    return sign_in()


@pytest.fixture
def access(tokens) -> str:
    """The access token of a fresh sign-in of ``user``."""
    return tokens["accessToken"]


@pytest.fixture
def make_task(user):
    """Create a task straight in the database; ``user`` owns it by default."""

    def make(title: str = "Task", owner: User | None = None, **fields: Any) -> Task:
        return Task.objects.create(owner=owner or user, title=title, **fields)

    return make
