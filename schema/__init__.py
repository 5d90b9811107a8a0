"""The GraphQL layer: root schema, context, guards and error formatting.

``from schema import schema`` gives the root schema. It is built on first
access, so the apps can import ``schema.errors`` without a cycle.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "schema":
        from schema.root import schema

        return schema
    raise AttributeError(name)
