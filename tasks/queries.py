"""Queries of the tasks app; every queryset is scoped to its caller."""

import strawberry
from strawberry.types import Info

from schema.errors import NotFound
from schema.permissions import current_user, requires_perm, signed_in
from tasks.listing import selected_names, task_list
from tasks.models import Task as TaskModel
from tasks.types import OffsetPaginationInput, Task, TaskFilter, TaskOrder

MAX_ID_DIGITS = 19  # a 64-bit primary key


def own_task(info: Info, task_id: strawberry.ID) -> TaskModel:
    """Return the caller's task; another user's is as missing as no task."""
    user = current_user(info)
    # Only the canonical spelling names a task: int() would also take "+7",
    # " 7", "07" or non-ASCII digits as 7, giving one task many ids.
    if (
        len(task_id) > MAX_ID_DIGITS
        or not (task_id.isascii() and task_id.isdigit())
        or task_id != str(int(task_id))
    ):
        raise NotFound()
    mine = TaskModel.objects.select_related("owner").filter(owner_id=user.pk)
    task = mine.filter(id=int(task_id)).first()
    if task is None:
        raise NotFound()
    return task


def _fields(info: Info) -> set[str]:
    return selected_names(info.selected_fields[0].selections)


@strawberry.type
class TaskQuery:
    @strawberry.field(extensions=signed_in(), description="Your tasks.")
    def tasks(
        self,
        info: Info,
        filters: TaskFilter | None = None,
        order: TaskOrder | None = None,
        pagination: OffsetPaginationInput | None = None,
    ) -> list[Task]:
        owner_id = current_user(info).pk
        return task_list(owner_id, filters, order, pagination, _fields(info))

    @strawberry.field(extensions=signed_in(), description="One of your tasks.")
    def task(self, info: Info, id: strawberry.ID) -> Task:
        return own_task(info, id)

    @strawberry.field(
        extensions=requires_perm("tasks.view_task"),
        description="Every user's tasks (needs the tasks.view_task permission).",
    )
    def all_tasks(
        self,
        info: Info,
        filters: TaskFilter | None = None,
        order: TaskOrder | None = None,
        pagination: OffsetPaginationInput | None = None,
    ) -> list[Task]:
        return task_list(None, filters, order, pagination, _fields(info))
