"""Mutations of the tasks app: create, update and delete your own tasks."""

import strawberry
from strawberry.types import Info

from schema.errors import BadUserInput
from schema.permissions import current_user, signed_in
from tasks.models import Task as TaskModel
from tasks.queries import own_task
from tasks.types import CreateTaskInput, Task, UpdateTaskInput

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000


def _check_text(title: str | None, description: str | None) -> None:
    errors = {}
    # The title is stored trimmed, so its trimmed length is what must fit.
    title = title.strip() if title is not None else None
    if title is not None and not title:
        errors["title"] = ["This field may not be blank."]
    elif title is not None and len(title) > TITLE_MAX:
        errors["title"] = [f"At most {TITLE_MAX} characters."]
    if description is not None and len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"At most {DESCRIPTION_MAX} characters."]
    if errors:
        raise BadUserInput(errors)


@strawberry.type
class TaskMutation:
    @strawberry.mutation(extensions=signed_in(), description="Add a task.")
    def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        _check_text(input.title, input.description)
        return TaskModel.objects.create(
            owner_id=current_user(info).pk,
            title=input.title.strip(),
            description=input.description,
            status=input.status.value,
            priority=input.priority.value,
            due_date=input.due_date,
        )

    @strawberry.mutation(
        extensions=signed_in(), description="Change the fields given of a task."
    )
    def update_task(
        self, info: Info, id: strawberry.ID, input: UpdateTaskInput
    ) -> Task:
        task = own_task(info, id)
        given = {
            name: getattr(input, name)
            for name in ("title", "description", "status", "priority", "due_date")
            if getattr(input, name) is not strawberry.UNSET
        }
        required = [
            n
            for n in ("title", "description", "status", "priority")
            if n in given and given[n] is None
        ]
        if required:
            raise BadUserInput({n: ["This field may not be null."] for n in required})
        _check_text(given.get("title"), given.get("description"))

        for name, value in given.items():
            value = value.value if name in ("status", "priority") else value
            setattr(task, name, value.strip() if name == "title" else value)
        task.save(update_fields=[*given, "updated_at"])
        return task

    @strawberry.mutation(
        extensions=signed_in(), description="Delete a task; returns its id."
    )
    def delete_task(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        task = own_task(info, id)
        task_id = task.pk
        task.delete()
        return strawberry.ID(str(task_id))
