"""GraphQL types of the tasks app: Task, its enums, filter, order and page."""

from datetime import date, datetime
from enum import Enum

import strawberry

from tasks.models import Task as TaskModel
from users.types import User

TaskStatus = strawberry.enum(
    Enum("TaskStatus", {c.name: c.value for c in TaskModel.Status}),
    description="Where a task stands.",
)
TaskPriority = strawberry.enum(
    Enum("TaskPriority", {c.name: c.value for c in TaskModel.Priority}),
    description="How important a task is.",
)


@strawberry.enum(description="Sort direction.")
class Ordering(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.type(description="A task on its owner's list.")
class Task:
    id: strawberry.ID
    title: str
    description: str
    status: TaskStatus
    priority: TaskPriority
    due_date: date | None
    created_at: datetime
    updated_at: datetime
    owner: User


@strawberry.input(description="Every given condition must hold.")
class TaskFilter:
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Text found in the title or description, in any letter case.",
    )
    due_before: date | None = strawberry.field(
        default=None, description="Due on or before this day."
    )
    due_after: date | None = strawberry.field(
        default=None, description="Due on or after this day."
    )


@strawberry.input(
    description=(
        "Sort keys; several apply in the order listed here. Newest first when"
        " none is given."
    )
)
class TaskOrder:
    created_at: Ordering | None = None
    due_date: Ordering | None = strawberry.field(
        default=None, description="Tasks without a due date come last either way."
    )
    priority: Ordering | None = strawberry.field(
        default=None, description="By importance: LOW, MEDIUM, HIGH."
    )
    title: Ordering | None = None


@strawberry.input(description="A page of results: limit defaults to 20, at most 100.")
class OffsetPaginationInput:
    offset: int = 0
    limit: int = 20


@strawberry.input
class CreateTaskInput:
    title: str
    description: str = ""
    status: TaskStatus = TaskStatus.TODO
    priority: TaskPriority = TaskPriority.MEDIUM
    due_date: date | None = None


@strawberry.input(description="Only the fields given are changed.")
class UpdateTaskInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: TaskStatus | None = strawberry.UNSET
    priority: TaskPriority | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
