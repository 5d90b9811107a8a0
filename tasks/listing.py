"""Turn the GraphQL filter, order and page arguments into a queryset."""

import re
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from strawberry.types.nodes import SelectedField

from schema.errors import BadUserInput
from tasks import compiled
from tasks.models import Task
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
    """Narrow the tasks by every condition the filter gives."""
    if filters is None:
        return tasks
    if filters.status is not None:
        tasks = tasks.filter(status=filters.status.value)
    if filters.priority is not None:
        tasks = tasks.filter(priority=filters.priority.value)
    if filters.search:
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
    """Sort by the keys given (newest first by default), ties by id."""
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
    return tasks.order_by(*keys, "-id")


def apply_page(tasks: QuerySet, page: OffsetPaginationInput | None) -> QuerySet:
    """Slice one page: offset, and a limit of 20 by default, 100 at most."""
    offset = page.offset if page else 0
    limit = page.limit if page else DEFAULT_LIMIT
    return tasks[offset : offset + min(limit, MAX_LIMIT)]


def check_arguments(
    filters: TaskFilter | None, page: OffsetPaginationInput | None
) -> None:
    """Raise BAD_USER_INPUT for a search too long or a page out of bounds."""
    errors = {}
    search = filters.search if filters is not None else None
    if search and len(search) > MAX_SEARCH_LENGTH:
        errors["search"] = [f"At most {MAX_SEARCH_LENGTH} characters."]
    if page is not None and page.offset < 0:
        errors["offset"] = ["Must be zero or more."]
    if page is not None and page.limit < 1:
        errors["limit"] = ["Must be at least 1."]
    if errors:
        raise BadUserInput(errors)


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


def _shape_and_params(
    owner_id: int | None,
    filters: TaskFilter | None,
    order: TaskOrder | None,
    page: OffsetPaginationInput | None,
    columns: tuple[str, ...],
) -> tuple[tuple, list[Any]]:
    """The listing's shape (what its SQL depends on) and its SQL parameters,
    in the order ``apply_filters`` adds the conditions."""
    adapt = connection.ops.adapt_datefield_value
    values: list[tuple[str, Any]] = []
    if owner_id is not None:
        values.append(("owner", owner_id))
    if filters is not None:
        if filters.status is not None:
            values.append(("status", filters.status.value))
        if filters.priority is not None:
            values.append(("priority", filters.priority.value))
        if filters.search:
            text = re.escape(filters.search)
            values += [("search", text), ("search", text)]
        if filters.due_before is not None:
            values.append(("due_before", adapt(filters.due_before)))
        if filters.due_after is not None:
            values.append(("due_after", adapt(filters.due_after)))
    sort = tuple(
        (name, getattr(order, name))
        for name in ORDER_FIELDS
        if order and getattr(order, name)
    )
    bounds = (page.offset, page.limit) if page else None
    shape = (tuple(name for name, _ in values), sort, bounds, columns)
    return shape, [value for _, value in values]


def task_list(
    owner_id: int | None,
    filters: TaskFilter | None,
    order: TaskOrder | None,
    pagination: OffsetPaginationInput | None,
    fields: set[str] | None = None,
) -> list:
    """Return one page of tasks (the owner's, or everyone's for None).

    Only the columns the selected GraphQL ``fields`` need are loaded; None
    loads every column. Owners, when asked for, come in the same query.
    """
    check_arguments(filters, pagination)
    if fields is not None:
        fields = {name for name in fields if not name.startswith("__")}
    with_owner = fields is None or "owner" in fields
    columns: tuple[str, ...] = ()
    if fields is not None and fields <= COLUMNS.keys():
        columns = tuple(sorted(COLUMNS[name] for name in fields | {"id"}))

    def build() -> QuerySet:
        tasks = Task.objects.all()
        if owner_id is not None:
            tasks = tasks.filter(owner_id=owner_id)
        if with_owner:
            tasks = tasks.select_related("owner")
        if columns:
            # Skipping unread columns skips their conversion too (datetimes).
            tasks = tasks.only(*columns)
        tasks = apply_filters(tasks, filters)
        return apply_page(apply_order(tasks, order), pagination)

    if with_owner or not columns:
        return list(build())
    shape, params = _shape_and_params(owner_id, filters, order, pagination, columns)
    return compiled.evaluate(Task, shape, params, build)
