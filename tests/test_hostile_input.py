"""Weaknesses found by a security review, each pinned by a test."""

import json

import pytest

from tests.test_production import manage, production_env

SEARCH = "query($s: String) { tasks(filters: {search: $s}) { id } }"
CREATE = "mutation($t: String!) { createTask(input: {title: $t}) { id } }"
SIGN_IN = """
mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) {
  accessToken } }
"""


def post_raw(client, body: bytes):
    return client.post("/graphql/", body, content_type="application/json")


@pytest.mark.parametrize(
    "body",
    [
        # Not UTF-8.
        b'{"query": "{ me { id } }\xff"}',
        # An integer longer than Python converts (4300 digits).
        b'{"query": "{ me { id } }", "variables": {"n": 1' + b"0" * 5000 + b"}}",
        # Nested deeper than the JSON parser recurses, yet under 100 kB.
        b'{"query": "{ me { id } }", "variables": {"a": '
        + b"[" * 40000
        + b"]" * 40000
        + b"}}",
    ],
    ids=["invalid-utf8", "long-integer", "deep-nesting"],
)
def test_unreadable_json_bodies_are_a_400_not_a_500(client, body):
    response = post_raw(client, body)
    assert response.status_code == 400
    payload = json.loads(response.content)
    assert payload["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (SEARCH, {"s": "\ud800"}),
        (CREATE, {"t": "a\udfffb"}),
        (SIGN_IN, {"u": "alice", "p": "\ud800"}),
    ],
    ids=["search", "create-task", "sign-in"],
)
def test_lone_surrogates_in_variables_are_refused_not_a_fault(
    gql, access, query, variables
):
    result = gql(query, variables, token=access)
    assert result.status_code == 400
    assert result.codes == ["BAD_REQUEST"]


def test_lone_surrogates_in_get_variables_are_refused(client, access):
    response = client.get(
        "/graphql/",
        {"query": SEARCH, "variables": json.dumps({"s": "\ud800"})},
        HTTP_AUTHORIZATION=f"Bearer {access}",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400


def test_valid_astral_characters_still_pass(gql, access):
    result = gql(CREATE, {"t": "\U0001f600 ok"}, token=access)
    assert not result.errors, result.errors


def test_production_refuses_to_print_mail_with_its_tokens(tmp_path):
    # Without EMAIL_HOST mail goes to the console backend: every password
    # reset link (a credential for the account) would end up in the log.
    result = manage(production_env(tmp_path, EMAIL_HOST=""), "check")
    assert result.returncode != 0
    assert "users.E006" in result.stderr


# PostgreSQL refuses NUL in text (psycopg raises DataError before sending),
# so on the services suite these reached a resolver and failed as a fault.
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (SEARCH, {"s": "a\x00b"}),
        (CREATE, {"t": "a\x00b"}),
        (SIGN_IN, {"u": "ali\x00ce", "p": "x"}),
    ],
    ids=["search", "create-task", "sign-in"],
)
def test_nul_in_variables_is_refused(gql, access, query, variables):
    result = gql(query, variables, token=access)
    assert result.status_code == 400
    assert result.codes == ["BAD_REQUEST"]


def test_nul_in_a_string_literal_is_refused(gql, access):
    result = gql(
        'mutation { createTask(input: {title: "a\\u0000b"}) { id } }', token=access
    )
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.data is None
