"""Turn the GraphQL filter, order and page arguments into a queryset."""

import re

from django.db.models import F, Q, QuerySet
from strawberry.types.nodes import SelectedField

from schema.errors import BadUserInput
from tasks.types import OffsetPaginationInput, Ordering, TaskFilter, TaskOrder

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_SEARCH_LENGTH = 200
ORDER_FIELDS = {
    "created_at": "created_at",
    "due_date": "due_date",
    "priority": "priority",
    "title": "title",
}


def apply_filters(tasks: QuerySet, filters: TaskFilter | None) -> QuerySet:
    if filters is None:
        return tasks
    if filters.status is not None:
        tasks = tasks.filter(status=filters.status.value)
    if filters.priority is not None:
        tasks = tasks.filter(priority=filters.priority.value)
    if filters.search:
        if len(filters.search) > MAX_SEARCH_LENGTH:
            raise BadUserInput({"search": [f"At most {MAX_SEARCH_LENGTH} characters."]})
        # A regex of the escaped text, not icontains: SQLite's LIKE ignores
        # case only for ASCII, so "zürich" would miss "ZÜRICH".
        text = re.escape(filters.search)
        tasks = tasks.filter(Q(title__iregex=text) | Q(description__iregex=text))
    if filters.due_before is not None:
        tasks = tasks.filter(due_date__lte=filters.due_before)
    if filters.due_after is not None:
        tasks = tasks.filter(due_date__gte=filters.due_after)
    return tasks


def apply_order(tasks: QuerySet, order: TaskOrder | None) -> QuerySet:
    keys = []
    for name, column in ORDER_FIELDS.items():
        direction = getattr(order, name, None) if order else None
        # Tasks without a due date come last either way; left to itself the
        # database decides, and SQLite and PostgreSQL decide differently.
        if direction == Ordering.ASC:
            keys.append(F(column).asc(nulls_last=True))
        elif direction == Ordering.DESC:
            keys.append(F(column).desc(nulls_last=True))
    if not keys:
        keys = ["-created_at"]
    # The primary key breaks ties, so pages never overlap or skip.
    return tasks.order_by(*keys, "-pk")


def apply_page(tasks: QuerySet, page: OffsetPaginationInput | None) -> QuerySet:
    offset = page.offset if page else 0
    limit = page.limit if page else DEFAULT_LIMIT
    errors = {}
    if offset < 0:
        errors["offset"] = ["Must be zero or more."]
    if limit < 1:
        errors["limit"] = ["Must be at least 1."]
    if errors:
        raise BadUserInput(errors)
    return tasks[offset : offset + min(limit, MAX_LIMIT)]


# GraphQL field of Task -> model column it reads.
COLUMNS = {
    "id": "id",
    "title": "title",
    "description": "description",
    "status": "status",
    "priority": "priority",
    "dueDate": "due_date",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "owner": "owner",
}


def selected_names(selections: list) -> set[str]:
    """Names of the fields selected at this level, fragments included."""
    names = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:
            names |= selected_names(selection.selections)
    return names


def task_list(
    tasks: QuerySet,
    filters: TaskFilter | None,
    order: TaskOrder | None,
    pagination: OffsetPaginationInput | None,
    fields: set[str] | None = None,
) -> list:
    """Return one page of tasks, loading only the columns ``fields`` need.

    Owners, when asked for, come in the same query. ``fields`` are the
    selected GraphQL field names; None loads every column.
    """
    if fields is not None:
        fields = {name for name in fields if not name.startswith("__")}
    if fields is None or "owner" in fields:
        tasks = tasks.select_related("owner")
    if fields is not None and fields <= COLUMNS.keys():
        # Skipping unread columns skips their conversion too (datetimes).
        tasks = tasks.only(*(COLUMNS[name] for name in fields | {"id"}))
    tasks = apply_filters(tasks, filters)
    return list(apply_page(apply_order(tasks, order), pagination))
