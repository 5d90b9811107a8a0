"""The security log: what it records, and that it never records a secret."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import PASSWORD
from users.models import Session
from users.refresh import hash_token

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WRONG_PASSWORD = "wrong horse battery staple"

ME = "query { me { id } }"
TOKEN_AUTH = """
mutation SignIn($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) { accessToken }
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
VERIFY = """
mutation Verify($token: String!) { verifyToken(token: $token) { tokenType } }
"""


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def security_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "users.security"]


def test_failed_sign_in_is_logged_without_the_password(gql, user, log):
    variables = {"username": "alice", "password": WRONG_PASSWORD}
    assert gql(TOKEN_AUTH, variables).codes == ["INVALID_CREDENTIALS"]

    (record,) = security_records(log)
    assert record.levelno == logging.INFO
    assert "sign-in failed" in record.getMessage()
    assert WRONG_PASSWORD not in log.text


def test_refresh_token_reuse_is_logged_as_warning_with_session_id(
    gql, user, sign_in, log, time_machine
):
    time_machine.move_to(T0, tick=False)
    pair = sign_in()
    gql(REFRESH, {"refreshToken": pair["refreshToken"]})
    time_machine.move_to(T0 + timedelta(minutes=1), tick=False)
    log.clear()

    assert gql(REFRESH, {"refreshToken": pair["refreshToken"]}).codes == [
        "TOKEN_REUSED"
    ]

    warnings = [r for r in security_records(log) if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "reuse" in message
    assert f"user={user.pk} sid={Session.objects.get().pk}" in message


def test_revocation_is_logged_with_reason(gql, tokens, log):
    log.clear()
    gql(REVOKE, {"refreshToken": tokens["refreshToken"]})

    messages = [r.getMessage() for r in security_records(log)]
    assert len(messages) == 1
    assert "session revoked" in messages[0]
    assert "reason=sign_out" in messages[0]


def test_log_never_contains_tokens_or_passwords(gql, user, sign_in, log, time_machine):
    time_machine.move_to(T0, tick=False)
    gql(TOKEN_AUTH, {"username": "alice", "password": WRONG_PASSWORD})
    pair = sign_in()
    rotated = gql(REFRESH, {"refreshToken": pair["refreshToken"]}).data
    successor = rotated["refreshToken"]
    gql(ME, token=successor["accessToken"])
    gql(ME, token=pair["accessToken"] + "x")  # a bad Bearer token
    gql(VERIFY, {"token": pair["accessToken"]})
    other = sign_in()
    gql(REVOKE, {"refreshToken": other["refreshToken"]})
    gql(ME, token=other["accessToken"])  # revoked
    time_machine.move_to(T0 + timedelta(minutes=1), tick=False)
    gql(REFRESH, {"refreshToken": pair["refreshToken"]})  # reuse

    text = log.text + "".join(repr(r.args) + r.getMessage() for r in log.records)
    events = " ".join(r.getMessage() for r in security_records(log))
    for event in ("sign-in failed", "sign-in user=", "reuse", "session revoked"):
        assert event in events
    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "access token": pair["accessToken"],
        "access signature": pair["accessToken"].rsplit(".", 1)[1],
        "refresh token": pair["refreshToken"],
        "rotated access token": successor["accessToken"],
        "rotated refresh token": successor["refreshToken"],
        "other refresh token": other["refreshToken"],
        "stored hash": hash_token(pair["refreshToken"]),
    }
    leaked = [name for name, secret in secrets.items() if secret in text]
    assert leaked == []


def test_rate_limit_trips_log_ids_and_addresses_but_no_typed_names(
    gql, user, settings, caplog
):
    settings.RATE_LIMITS = {"sign_in_account": (1, 900)}
    query = 'mutation S($u: String!) { tokenAuth(username: $u, password: "nope") '
    query += "{ accessToken } }"
    for _ in range(2):
        gql(query, {"u": "someone@private.example"})
    for _ in range(2):
        gql(query, {"u": "alice"})

    assert f"subject=user:{user.pk}" in caplog.text
    assert "someone@private.example" not in caplog.text
    assert "sign-in failed user=-" in caplog.text
