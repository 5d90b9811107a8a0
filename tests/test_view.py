"""The /graphql/ endpoint: bad requests get JSON errors, faults stay private."""

import json

import pytest

from tests.conftest import PASSWORD


def post(client, body, content_type="application/json", **headers):
    return client.post("/graphql/", body, content_type=content_type, **headers)


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "42",
        '"a string"',
        "null",
        "[1, 2]",
        '{"query": 5}',
        '{"query": "{ __typename }", "variables": [1]}',
    ],
)
@pytest.mark.django_db
def test_malformed_body_is_a_400_with_a_json_error(client, body):
    response = post(client, body)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"]


@pytest.mark.django_db
def test_batched_operations_are_refused(client):
    body = json.dumps([{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.django_db
def test_unsupported_content_type_is_a_400(client):
    response = post(client, "query=x", content_type="text/plain")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.django_db
def test_oversized_body_is_a_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"query": "{ __typename }", "variables": {"x": "a" * 2000}})
    response = post(client, body)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.django_db
def test_get_serves_graphiql_to_browsers(client):
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()


@pytest.mark.django_db
def test_queries_over_get_are_answered(client):
    response = client.get("/graphql/", {"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.django_db
def test_mutations_over_get_are_refused(client, user):
    query = (
        f'mutation {{ tokenAuth(username: "alice", password: "{PASSWORD}") '
        "{ accessToken } }"
    )
    response = client.get("/graphql/", {"query": query})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert b"accessToken" not in response.content


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ me { id ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
@pytest.mark.django_db
def test_bad_documents_get_graphql_codes(gql, query, code):
    result = gql(query)
    assert result.codes == [code]


def test_unexpected_fault_is_generic_and_logged(gql, tokens, monkeypatch, caplog):
    from tasks import queries

    def explode(*args, **kwargs):
        raise RuntimeError("SELECT secret_column FROM users_user -- boom")

    monkeypatch.setattr(queries, "task_list", explode)

    result = gql("{ tasks { id } }", token=tokens["accessToken"])

    assert result.error["message"] == "An unexpected error occurred."
    assert result.error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret_column" not in json.dumps(result.json)
    assert "Traceback" not in json.dumps(result.json)
    assert "secret_column" in caplog.text


@pytest.mark.parametrize(
    ("query", "variables", "code", "field"),
    [
        (
            "query($l: Int) { tasks(pagination: {limit: $l}) { id } }",
            {"l": "x"},
            "BAD_USER_INPUT",
            "l",
        ),
        ("query($i: ID!) { task(id: $i) { id } }", {}, "BAD_USER_INPUT", "i"),
        ("query($x: Int) { __typename }", {"x": 1}, "GRAPHQL_VALIDATION_FAILED", None),
        (
            "{ tasks(pagination: {limit: $nope}) { id } }",
            {},
            "GRAPHQL_VALIDATION_FAILED",
            None,
        ),
    ],
)
@pytest.mark.django_db
def test_variable_values_are_input_errors_but_document_faults_are_not(
    gql, query, variables, code, field
):
    result = gql(query, variables)

    assert result.codes == [code]
    if field:
        assert field in result.error["extensions"]["fields"]
