"""The root schema: Query and Mutation joined from the users and tasks apps."""

from functools import partial

import strawberry
from django.conf import settings
from strawberry.extensions import DisableIntrospection, ParserCache, ValidationCache

from schema.limits import DocumentSizeLimit, QueryShapeLimits
from tasks.mutations import TaskMutation
from tasks.queries import TaskQuery
from users.account_mutations import AccountMutation
from users.mutations import UserMutation
from users.queries import UserQuery


@strawberry.type
class Query(UserQuery, TaskQuery):
    pass


@strawberry.type
class Mutation(UserMutation, AccountMutation, TaskMutation):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Errors are logged once, by schema.errors.format_error, which knows
        # which are expected answers and which are faults.
        return None


def build_schema(introspection: bool | None = None) -> Schema:
    """Build the schema; introspection follows GRAPHQL_INTROSPECTION."""
    if introspection is None:
        introspection = getattr(settings, "GRAPHQL_INTROSPECTION", True)
    extensions = [
        DocumentSizeLimit,
        QueryShapeLimits,
        # Both caches live at module level, shared by every request: a query
        # text seen before skips parsing and validation.
        partial(ParserCache, maxsize=256),
        partial(ValidationCache, maxsize=256),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return Schema(query=Query, mutation=Mutation, extensions=extensions)


schema = build_schema()
