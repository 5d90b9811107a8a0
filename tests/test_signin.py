"""tokenAuth: username or email in any case, one answer for every failure."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.conftest import PASSWORD, TOKEN_AUTH
from users.models import Session, User
from users.tokens import decode_access_token


@pytest.mark.parametrize(
    "identifier", ["alice", "ALICE", "alice@example.com", "Alice@EXAMPLE.com"]
)
def test_token_auth_accepts_username_or_email_in_any_case(gql, user, identifier):
    result = gql(TOKEN_AUTH, {"username": identifier, "password": PASSWORD})

    payload = result.data["tokenAuth"]
    assert payload["user"]["username"] == "alice"
    assert payload["user"]["email"] == "alice@example.com"
    claims = decode_access_token(payload["accessToken"])
    assert claims["sub"] == str(user.pk)
    assert claims["token_type"] == "access"
    assert len(payload["refreshToken"]) >= 43


def test_token_auth_creates_one_session_per_sign_in(gql, user, sign_in):
    sign_in(HTTP_USER_AGENT="phone")
    sign_in(HTTP_USER_AGENT="laptop")

    agents = set(Session.objects.filter(user=user).values_list("user_agent", flat=True))
    assert agents == {"phone", "laptop"}


def test_token_auth_updates_last_login(gql, user, sign_in):
    assert user.last_login is None
    sign_in()
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "wrong password here"),
        ("nobody", PASSWORD),
        ("nobody@example.com", PASSWORD),
        ("", PASSWORD),
        ("alice", ""),
    ],
)
def test_token_auth_failures_share_one_answer(gql, user, username, password):
    result = gql(TOKEN_AUTH, {"username": username, "password": password})

    assert result.data is None
    assert result.error["extensions"] == {"code": "INVALID_CREDENTIALS"}
    assert result.error["message"] == "The username or password is not correct."
    assert Session.objects.count() == 0


def test_token_auth_refuses_inactive_user_like_a_wrong_password(gql, user):
    user.is_active = False
    user.save()

    result = gql(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})

    assert result.error["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert Session.objects.count() == 0


class CountingHasher(PBKDF2PasswordHasher):
    iterations = 1000
    calls = 0

    def encode(self, password, salt, iterations=None):
        CountingHasher.calls += 1
        return super().encode(password, salt, iterations)


@pytest.mark.django_db
def test_unknown_user_costs_one_hash_like_a_wrong_password(gql, settings):
    # Equal work for unknown users is what keeps the timing equal.
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    User.objects.create_user("alice", "alice@example.com", PASSWORD)

    CountingHasher.calls = 0
    gql(TOKEN_AUTH, {"username": "nobody", "password": PASSWORD})
    unknown = CountingHasher.calls
    CountingHasher.calls = 0
    gql(TOKEN_AUTH, {"username": "alice", "password": "wrong password here"})

    assert unknown == CountingHasher.calls == 1


def test_token_auth_works_with_a_stale_bearer_token(gql, user):
    result = gql(
        TOKEN_AUTH, {"username": "alice", "password": PASSWORD}, token="stale.token.x"
    )
    assert result.data["tokenAuth"]["user"]["username"] == "alice"
