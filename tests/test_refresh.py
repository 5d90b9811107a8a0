"""Refresh tokens: rotation, the retry grace window, reuse, expiry, storage."""

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from schema.errors import TokenReused, TokenRevoked
from tests.conftest import PASSWORD
from users import refresh
from users.models import RefreshToken, Session, User

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

ME = "query { me { id } }"
REFRESH = """
mutation Refresh($refreshToken: String) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken refreshToken accessExpiresAt refreshExpiresAt
  }
}
"""
REVOKE = """
mutation Revoke($refreshToken: String) { revokeToken(refreshToken: $refreshToken) }
"""


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def rotate(gql):
    """Refresh through the API; return (payload or None, error code or None)."""

    def run(token: str | None):
        result = gql(REFRESH, {"refreshToken": token})
        if result.errors:
            assert result.data is None
            return None, result.error["extensions"]["code"]
        return result.data["refreshToken"], None

    return run


def me_reason(gql, token: str) -> str | None:
    result = gql(ME, token=token)
    return result.error["extensions"]["reason"] if result.errors else None


def at(frozen, offset: timedelta) -> None:
    frozen.move_to(T0 + offset, tick=False)


def test_refresh_returns_new_pair_and_spends_old_token(gql, frozen, tokens, rotate):
    pair, code = rotate(tokens["refreshToken"])

    assert code is None
    assert pair["refreshToken"] != tokens["refreshToken"]
    assert pair["accessToken"] != tokens["accessToken"]
    assert me_reason(gql, pair["accessToken"]) is None
    old_hash = refresh.hash_token(tokens["refreshToken"])
    old = RefreshToken.objects.get(token_hash=old_hash)
    assert old.used_at == T0
    assert RefreshToken.objects.filter(session=old.session, used_at=None).count() == 1


def test_refresh_token_has_at_least_256_bits(tokens, rotate):
    successor = rotate(tokens["refreshToken"])[0]["refreshToken"]
    for token in (tokens["refreshToken"], successor):
        assert len(token) >= 43  # 256 bits in unpadded base64url


@pytest.mark.parametrize("seconds", [0, 10, 15])
def test_refresh_retry_within_grace_returns_same_successor(
    gql, frozen, tokens, rotate, seconds
):
    first, _ = rotate(tokens["refreshToken"])
    at(frozen, timedelta(seconds=seconds))

    retry, code = rotate(tokens["refreshToken"])

    assert code is None
    assert retry["refreshToken"] == first["refreshToken"]
    assert me_reason(gql, first["accessToken"]) is None
    assert me_reason(gql, retry["accessToken"]) is None
    assert rotate(first["refreshToken"])[1] is None


def test_refresh_retry_honours_grace_period_setting(
    gql, frozen, tokens, rotate, settings
):
    settings.JWT = {**settings.JWT, "REFRESH_GRACE_PERIOD": 60}
    first, _ = rotate(tokens["refreshToken"])
    at(frozen, timedelta(seconds=50))
    assert rotate(tokens["refreshToken"])[0]["refreshToken"] == first["refreshToken"]


def _assert_session_revoked(gql, rotate, access: str, refresh_token: str) -> None:
    assert me_reason(gql, access) == "TOKEN_REVOKED"
    assert rotate(refresh_token) == (None, "TOKEN_REVOKED")
    assert Session.objects.get().revoke_reason == "reuse"


@pytest.mark.parametrize("seconds", [16, 60, 600])
def test_refresh_with_rotated_token_after_grace_revokes_session(
    gql, frozen, tokens, rotate, seconds
):
    first, _ = rotate(tokens["refreshToken"])
    at(frozen, timedelta(seconds=seconds))

    assert rotate(tokens["refreshToken"]) == (None, "TOKEN_REUSED")
    _assert_session_revoked(gql, rotate, first["accessToken"], first["refreshToken"])


def test_refresh_with_rotated_token_after_successor_used_revokes_session(
    gql, frozen, tokens, rotate
):
    first, _ = rotate(tokens["refreshToken"])
    second, _ = rotate(first["refreshToken"])

    assert rotate(tokens["refreshToken"]) == (None, "TOKEN_REUSED")
    _assert_session_revoked(gql, rotate, second["accessToken"], second["refreshToken"])


@pytest.mark.parametrize("rotations", [2, 3, 5])
def test_refresh_with_token_two_or_more_rotations_old_is_reuse(
    gql, frozen, tokens, rotate, rotations
):
    chain = [tokens]
    for _ in range(rotations):
        chain.append(rotate(chain[-1]["refreshToken"])[0])
    latest = chain[-1]

    # The latest token's parent is a legitimate retry; its grandparent is not.
    retry, _ = rotate(chain[-2]["refreshToken"])
    assert retry["refreshToken"] == latest["refreshToken"]
    assert rotate(chain[-3]["refreshToken"]) == (None, "TOKEN_REUSED")
    _assert_session_revoked(gql, rotate, latest["accessToken"], latest["refreshToken"])


def test_reuse_in_one_session_leaves_other_sessions_alone(
    gql, frozen, user, sign_in, rotate
):
    stolen, other = sign_in(), sign_in()
    rotate(stolen["refreshToken"])
    rotate(rotate(stolen["refreshToken"])[0]["refreshToken"])

    assert rotate(stolen["refreshToken"]) == (None, "TOKEN_REUSED")
    assert me_reason(gql, other["accessToken"]) is None
    assert rotate(other["refreshToken"])[1] is None


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        " ",
        "A" * 43,
        "x" * 201,
        "x" * 10_000,
        "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    ],
    ids=["omitted", "empty", "blank", "unknown", "too long", "huge", "a JWT"],
)
def test_refresh_with_unknown_token_is_token_invalid(db, rotate, token):
    assert rotate(token) == (None, "TOKEN_INVALID")


def test_refresh_with_access_token_is_token_invalid(tokens, rotate):
    assert rotate(tokens["accessToken"]) == (None, "TOKEN_INVALID")


def test_refresh_after_idle_lifetime_is_token_expired(frozen, tokens, rotate):
    at(frozen, 7 * DAY + timedelta(seconds=1))
    assert rotate(tokens["refreshToken"]) == (None, "TOKEN_EXPIRED")


def test_refresh_within_idle_lifetime_extends_it(frozen, tokens, rotate):
    at(frozen, 6 * DAY)
    pair, _ = rotate(tokens["refreshToken"])
    assert pair["refreshExpiresAt"] == (T0 + 13 * DAY).isoformat()

    at(frozen, 12 * DAY)
    assert rotate(pair["refreshToken"])[1] is None


def test_refresh_never_extends_past_absolute_session_lifetime(
    gql, frozen, tokens, rotate
):
    end = T0 + 30 * DAY
    token = tokens["refreshToken"]
    for day in (6, 12, 18, 24, 29):
        at(frozen, day * DAY)
        pair, code = rotate(token)
        assert code is None
        assert datetime.fromisoformat(pair["refreshExpiresAt"]) <= end
        token = pair["refreshToken"]
    assert pair["refreshExpiresAt"] == end.isoformat()

    # The access token never outlives the session either.
    at(frozen, 30 * DAY - timedelta(minutes=5))
    pair, _ = rotate(token)
    assert pair["accessExpiresAt"] == end.isoformat()

    at(frozen, 30 * DAY + timedelta(seconds=1))
    assert rotate(pair["refreshToken"]) == (None, "TOKEN_EXPIRED")


@pytest.mark.parametrize("with_signal", [True, False], ids=["save", "update"])
def test_refresh_for_deactivated_user_is_token_revoked(
    gql, user, tokens, rotate, with_signal
):
    if with_signal:
        user.is_active = False
        user.save()
    else:
        # A bulk update skips signals; the refresh still checks the flag.
        User.objects.filter(pk=user.pk).update(is_active=False)

    assert rotate(tokens["refreshToken"]) == (None, "TOKEN_REVOKED")


def test_deactivating_user_revokes_access_tokens_at_once(gql, user, tokens):
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert me_reason(gql, tokens["accessToken"]) == "TOKEN_REVOKED"


def test_revoke_token_signs_device_out(gql, tokens, rotate):
    result = gql(REVOKE, {"refreshToken": tokens["refreshToken"]})

    assert result.data == {"revokeToken": True}
    assert me_reason(gql, tokens["accessToken"]) == "TOKEN_REVOKED"
    assert rotate(tokens["refreshToken"]) == (None, "TOKEN_REVOKED")
    assert Session.objects.get().revoke_reason == "sign_out"


@pytest.mark.parametrize("token", [None, "", "A" * 43])
def test_revoke_token_with_unknown_token_is_token_invalid(db, gql, token):
    result = gql(REVOKE, {"refreshToken": token})
    assert result.codes == ["TOKEN_INVALID"]


def test_database_stores_only_refresh_token_hashes(tokens, rotate):
    pair, _ = rotate(tokens["refreshToken"])
    secrets = [
        tokens["refreshToken"],
        pair["refreshToken"],
        tokens["accessToken"],
        pair["accessToken"],
    ]

    hashes = set(RefreshToken.objects.values_list("token_hash", flat=True))
    assert hashes == {refresh.hash_token(t) for t in secrets[:2]}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            dump = repr(cursor.fetchall())
            for secret in secrets:
                assert secret not in dump, table


# Concurrent refreshes of one token.

THREADS = 8


class Racer:
    """Call a function in many threads at once, each on its own connection.

    The test database is a file for SQLite (see TEST in config/settings.py)
    or a server for PostgreSQL, so the threads race as deployed processes do:
    WAL and BEGIN IMMEDIATE on SQLite, row locks on PostgreSQL.
    """

    def race(self, target: Callable, *args: Any, threads: int = THREADS) -> list:
        """Call ``target(*args)`` in many threads at once; return the outcomes."""
        barrier = threading.Barrier(threads)
        outcomes: list = [None] * threads

        def work(index: int) -> None:
            try:
                barrier.wait()
                outcomes[index] = target(*args)
            except Exception as error:
                outcomes[index] = error
            finally:
                connection.close()

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert not any(worker.is_alive() for worker in workers)
        return outcomes

    def call(self, target: Callable, *args: Any) -> Any:
        return target(*args)


@pytest.fixture
def file_db(transactional_db) -> Racer:
    return Racer()


def _session_state() -> tuple[Session, list[str]]:
    session = Session.objects.get()
    live = RefreshToken.objects.filter(session=session, used_at=None)
    return session, list(live.values_list("token_hash", flat=True))


def test_concurrent_rotations_of_one_token_leave_one_live_successor(file_db, tokens):
    outcomes = file_db.race(refresh.rotate, tokens["refreshToken"])

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert sum(not o.retried for o in outcomes) == 1
    assert {o.refresh_token for o in outcomes} == {outcomes[0].refresh_token}
    session, live = file_db.call(_session_state)
    assert session.revoked_at is None
    assert live == [refresh.hash_token(outcomes[0].refresh_token)]


def _refresh_over_http(token: str) -> dict:
    body = {"query": REFRESH, "variables": {"refreshToken": token}}
    response = Client().post(
        "/graphql/", json.dumps(body), content_type="application/json"
    )
    return json.loads(response.content)


def test_concurrent_api_refreshes_of_one_token_agree_on_successor(gql, file_db, tokens):
    outcomes = file_db.race(_refresh_over_http, tokens["refreshToken"])

    assert [o.get("errors") for o in outcomes] == [None] * THREADS
    pairs = [o["data"]["refreshToken"] for o in outcomes]
    assert len({p["refreshToken"] for p in pairs}) == 1
    session, live = file_db.call(_session_state)
    assert session.revoked_at is None
    assert live == [refresh.hash_token(pairs[0]["refreshToken"])]
    assert me_reason(gql, pairs[0]["accessToken"]) is None


def test_concurrent_reuse_of_spent_token_revokes_session(file_db, tokens):
    first = refresh.rotate(tokens["refreshToken"])
    refresh.rotate(first.refresh_token)
    outcomes = file_db.race(refresh.rotate, tokens["refreshToken"])

    # Each caller is refused: reuse, or the session already revoked by it.
    assert {type(o) for o in outcomes} <= {TokenReused, TokenRevoked}
    assert TokenReused in {type(o) for o in outcomes}
    session, _ = file_db.call(_session_state)
    assert session.revoke_reason == "reuse"


def test_retry_after_reauthentication_replaced_the_token_does_not_revoke(gql, tokens):
    first = gql(REFRESH, {"refreshToken": tokens["refreshToken"]})
    assert first.data
    reauth = gql(
        "mutation R($p: String!) { reauthenticate(password: $p) { accessToken } }",
        {"p": PASSWORD},
        token=first.data["refreshToken"]["accessToken"],
    )
    assert reauth.data

    retried = gql(REFRESH, {"refreshToken": tokens["refreshToken"]})

    assert retried.codes == ["TOKEN_INVALID"]
    assert Session.objects.get().revoked_at is None
