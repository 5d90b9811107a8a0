"""Sign-in and secret-checking limits that aliases and batches cannot dodge."""

import json

import pytest
from django.core.cache.backends.base import BaseCache

from tests.conftest import PASSWORD, TOKEN_AUTH
from users import ratelimit
from users.models import Session

WRONG = "not the password!"


def sign_in_as(gql, username, password=WRONG, ip="10.0.0.1", **headers):
    return gql(
        TOKEN_AUTH,
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        **headers,
    )


@pytest.fixture
def tight(settings):
    settings.RATE_LIMITS = {"sign_in_account": (3, 900), "sign_in_ip": (5, 300)}


def test_account_limit_refuses_with_retry_after(gql, user, tight):
    for _ in range(3):
        assert sign_in_as(gql, "alice").codes == ["INVALID_CREDENTIALS"]

    result = sign_in_as(gql, "alice", PASSWORD, ip="10.0.0.2")

    assert result.error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= result.error["extensions"]["retryAfter"] <= 900
    assert Session.objects.count() == 0


def test_account_limit_holds_across_username_and_email(gql, user, tight):
    sign_in_as(gql, "alice", ip="10.0.0.1")
    sign_in_as(gql, "ALICE@example.com", ip="10.0.0.2")
    sign_in_as(gql, "Alice", ip="10.0.0.3")

    result = sign_in_as(gql, "alice@example.com", ip="10.0.0.4")
    assert result.codes == ["RATE_LIMITED"]


def test_successful_sign_ins_do_not_use_up_the_account_limit(gql, user, tight):
    for n in range(4):
        result = sign_in_as(gql, "alice", PASSWORD, ip=f"10.0.1.{n}")
        assert result.data["tokenAuth"]["accessToken"]


def test_ip_limit_counts_attempts_on_any_account(gql, user, tight):
    for name in ["a", "b", "c", "d", "e"]:
        assert sign_in_as(gql, name).codes == ["INVALID_CREDENTIALS"]
    assert sign_in_as(gql, "alice", PASSWORD).codes == ["RATE_LIMITED"]
    assert sign_in_as(gql, "alice", PASSWORD, ip="10.0.0.9").data["tokenAuth"]


def test_aliases_in_one_document_each_count(gql, user, tight):
    fields = " ".join(
        f'a{n}: tokenAuth(username: "alice", password: "{PASSWORD}") {{ accessToken }}'
        for n in range(6)
    )

    result = gql(f"mutation {{ {fields} }}", REMOTE_ADDR="10.0.0.1")

    # Five attempts fit the address's limit; the sixth alias is refused.
    assert result.codes == ["RATE_LIMITED"]
    assert result.error["path"] == ["a5"]
    assert Session.objects.count() == 5


def test_a_failing_alias_ends_the_document(gql, user, tight):
    fields = " ".join(
        f'a{n}: tokenAuth(username: "alice", password: "{WRONG}") {{ accessToken }}'
        for n in range(6)
    )

    result = gql(f"mutation {{ {fields} }}", REMOTE_ADDR="10.0.0.1")

    # A non-null mutation field that fails stops the rest of the document.
    assert result.codes == ["INVALID_CREDENTIALS"]


def test_batched_operations_cannot_dodge_the_limit(client, user, tight):
    batch = [
        {"query": TOKEN_AUTH, "variables": {"username": "alice", "password": WRONG}}
    ] * 10
    response = client.post(
        "/graphql/", json.dumps(batch), content_type="application/json"
    )

    assert response.status_code == 400
    assert b"accessToken" not in response.content


class CountingHasherCalls:
    calls = 0


def test_password_is_not_checked_past_the_limit(gql, user, tight, monkeypatch):
    for _ in range(3):
        sign_in_as(gql, "alice")
    from users.models import User

    original = User.check_password

    def counting(self, raw):
        CountingHasherCalls.calls += 1
        return original(self, raw)

    monkeypatch.setattr(User, "check_password", counting)
    sign_in_as(gql, "alice", PASSWORD)
    assert CountingHasherCalls.calls == 0


def test_register_is_limited_per_address(gql, db, settings):
    settings.RATE_LIMITS = {"register_ip": (2, 3600)}
    query = """
    mutation R($u: String!) { register(input: {username: $u, email: "x@x.io",
      password: "short"}) { accessToken } }
    """
    codes = [gql(query, {"u": f"u{n}"}).codes for n in range(3)]
    assert codes[:2] == [["BAD_USER_INPUT"], ["BAD_USER_INPUT"]]
    assert codes[2] == ["RATE_LIMITED"]


def test_refresh_is_limited_per_address(gql, db, settings):
    settings.RATE_LIMITS = {"refresh_ip": (2, 60)}
    query = 'mutation { refreshToken(refreshToken: "nope") { accessToken } }'
    codes = [gql(query).codes for _ in range(3)]
    assert codes == [["TOKEN_INVALID"], ["TOKEN_INVALID"], ["RATE_LIMITED"]]


def test_reauthenticate_is_limited_per_user(gql, user, tokens, settings):
    settings.RATE_LIMITS = {"password_check_user": (2, 900)}
    query = "mutation R($p: String!) { reauthenticate(password: $p) { accessToken } }"
    codes = [
        gql(query, {"p": WRONG}, token=tokens["accessToken"]).codes for _ in range(3)
    ]
    assert codes[2] == ["RATE_LIMITED"]


class BrokenCache(BaseCache):
    def __init__(self, *args, **kwargs):
        super().__init__({})

    def add(self, *args, **kwargs):
        raise ConnectionError("cache down")

    incr = decr = get = set = delete = add


def test_limits_fall_back_to_process_memory_when_the_cache_fails(
    gql, user, tight, monkeypatch, caplog
):
    monkeypatch.setattr(ratelimit, "cache", BrokenCache())
    ratelimit._fallback.clear()

    codes = [sign_in_as(gql, "alice").codes for _ in range(4)]

    assert codes[-1] == ["RATE_LIMITED"]
    assert "Rate limit cache failed" in caplog.text


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        ([], "203.0.113.9", "10.0.0.1"),
        (["10.0.0.0/8"], "203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], "198.51.100.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (["10.0.0.1"], "not-an-ip", "10.0.0.1"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    rf, settings, proxies, forwarded, expected
):
    from users.network import client_ip

    settings.TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_spoofed_forwarded_for_cannot_reset_the_ip_limit(gql, user, tight):
    for n in range(5):
        sign_in_as(gql, "x", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    result = sign_in_as(gql, "y", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert result.codes == ["RATE_LIMITED"]


def test_requests_without_an_address_are_still_limited(gql, user, tight):
    for _ in range(5):
        sign_in_as(gql, "nobody", ip="")
    assert sign_in_as(gql, "alice", PASSWORD, ip="").codes == ["RATE_LIMITED"]
