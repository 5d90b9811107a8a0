"""Queries per request on the paths that matter for speed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import PASSWORD, TOKEN_AUTH

REFRESH = """
mutation R($t: String) { refreshToken(refreshToken: $t) { accessToken refreshToken } }
"""


@pytest.fixture
def statements():
    """Capture SQL statements, leaving out the savepoints that only the test's
    own wrapping transaction adds (in production the block is the outermost
    transaction: BEGIN and COMMIT, which Django does not log)."""

    class Capture(CaptureQueriesContext):
        @property
        def sql(self) -> list[str]:
            return [
                q["sql"] for q in self.captured_queries if "SAVEPOINT" not in q["sql"]
            ]

    return Capture(connection)


def test_authenticating_a_request_costs_no_query(
    gql, tokens, django_assert_num_queries
):
    gql("{ me { id } }", token=tokens["accessToken"])  # warm the process
    with django_assert_num_queries(0):
        result = gql("{ me { id username } }", token=tokens["accessToken"])
    assert result.data["me"]["username"] == "alice"


def test_refresh_costs_four_statements(gql, tokens, statements):
    with statements:
        result = gql(REFRESH, {"t": tokens["refreshToken"]})

    assert result.data["refreshToken"]["refreshToken"]
    kinds = [sql.split()[0] for sql in statements.sql]
    # Find the token with its session and user; claim it; store the
    # successor; slide the session's idle expiry.
    assert kinds == ["SELECT", "UPDATE", "INSERT", "UPDATE"]


def test_sign_in_costs_seven_statements(gql, user, statements):
    with statements:
        result = gql(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})

    assert result.data["tokenAuth"]["accessToken"]
    # The account for its rate limit, the backend's lookup, the TOTP device,
    # last_login, the session, the live sessions over the cap, the refresh token.
    assert len(statements.sql) == 7
