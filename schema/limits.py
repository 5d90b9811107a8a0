"""Limits on the shape of a document: depth, aliases and tokens.

The rules are built once, at import: the validation cache keys its entries
by the rule classes, so rules made anew per request would never hit it.
"""

from django.conf import settings
from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

MAX_DEPTH = getattr(settings, "GRAPHQL_MAX_DEPTH", 10)
MAX_ALIASES = getattr(settings, "GRAPHQL_MAX_ALIASES", 15)
MAX_TOKENS = getattr(settings, "GRAPHQL_MAX_TOKENS", 2000)


class NoNulInStrings(ValidationRule):
    """Refuse string literals holding NUL ("\\u0000"): PostgreSQL cannot
    store it, so it would fail inside a resolver as a fault."""

    def enter_string_value(self, node: StringValueNode, *_args) -> None:
        if "\x00" in node.value:
            self.report_error(
                GraphQLError("Strings may not contain the NUL character.", node)
            )


_RULES = [
    depth_rule(MAX_DEPTH, None, None),
    alias_rule(MAX_ALIASES),
    NoNulInStrings,
]


class QueryShapeLimits(AddValidationRules):
    """Refuse documents nested deeper or with more aliases than allowed."""

    def __init__(self) -> None:
        super().__init__(_RULES)


class DocumentSizeLimit(MaxTokensLimiter):
    """Refuse documents of more tokens than allowed, before parsing ends."""

    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)
