"""Document limits: depth, aliases, size; introspection and GraphiQL switches."""

import json

import pytest

from schema.limits import MAX_ALIASES, MAX_DEPTH
from schema.root import build_schema


@pytest.mark.django_db
def test_too_deep_a_document_is_refused_before_running(gql):
    # Our schema nests three levels at most, so the depth rule is what has to
    # stop a document of made-up fields before anything resolves.
    query = "{ " + "a { " * (MAX_DEPTH + 1) + "b" + " }" * (MAX_DEPTH + 1) + " }"

    result = gql(query)

    assert set(result.codes) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("maximum operation depth" in e["message"] for e in result.errors)
    assert result.data is None


@pytest.mark.django_db
def test_too_many_aliases_are_refused(gql):
    fields = " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES + 1))
    result = gql(f"{{ {fields} }}")
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in result.error["message"]


@pytest.mark.django_db
def test_aliases_within_the_limit_are_answered(gql):
    fields = " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES))
    assert gql(f"{{ {fields} }}").data["a0"] == "Query"


@pytest.mark.django_db
def test_too_many_tokens_are_refused(gql):
    fields = " ".join(["__typename"] * 2100)
    result = gql(f"{{ {fields} }}")
    assert result.codes == ["GRAPHQL_PARSE_FAILED"]
    assert "token" in result.error["message"].lower()


def test_introspection_can_be_switched_off():
    closed = build_schema(introspection=False)
    result = closed.execute_sync("{ __schema { queryType { name } } }")
    assert result.errors
    opened = build_schema(introspection=True)
    assert opened.execute_sync("{ __schema { queryType { name } } }").data


@pytest.mark.django_db
def test_graphiql_can_be_switched_off(client, settings):
    settings.GRAPHIQL_ENABLED = False
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert json.loads(response.content)["errors"][0]["extensions"]["code"]
