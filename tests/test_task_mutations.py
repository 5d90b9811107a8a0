"""The task mutations over HTTP: createTask, updateTask and deleteTask.

Each failure is checked twice: the error a client sees (its code and, for
validation, ``extensions.fields``) and the database, which must not change.
"""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.forms.models import model_to_dict
from django.utils import timezone

from tasks.models import Task

FIELDS = "id title description status priority dueDate createdAt updatedAt"

CREATE = f"""
mutation Create($input: CreateTaskInput!) {{
  createTask(input: $input) {{ {FIELDS} owner {{ username }} }}
}}
"""

UPDATE = f"""
mutation Update($id: ID!, $input: UpdateTaskInput!) {{
  updateTask(id: $id, input: $input) {{ {FIELDS} owner {{ username }} }}
}}
"""

DELETE = """
mutation Delete($id: ID!) {
  deleteTask(id: $id)
}
"""

PAST = datetime(2020, 1, 1, tzinfo=timezone.UTC)


@pytest.fixture
def task(user) -> Task:
    """A task of ``user`` with every field set, last changed long ago."""
    task = Task.objects.create(
        owner=user,
        title="Water the plants",
        description="Both balconies",
        status=Task.Status.IN_PROGRESS,
        priority=Task.Priority.HIGH,
        due_date=date(2030, 6, 1),
        created_at=PAST,
    )
    Task.objects.filter(pk=task.pk).update(updated_at=PAST)
    task.refresh_from_db()
    return task


@pytest.fixture
def their_task(other_user) -> Task:
    return Task.objects.create(
        owner=other_user, title="Bob's plans", description="Private", created_at=PAST
    )


def row(task: Task) -> dict:
    """Every stored column of the task, read afresh."""
    fresh = Task.objects.get(pk=task.pk)
    return {**model_to_dict(fresh), "updated_at": fresh.updated_at}


# createTask


def test_create_task_with_title_only_uses_the_defaults(gql, user, access):
    result = gql(CREATE, {"input": {"title": "Buy milk"}}, token=access)

    assert not result.errors, result.errors
    created = result.data["createTask"]
    assert created["title"] == "Buy milk"
    assert created["description"] == ""
    assert created["status"] == "TODO"
    assert created["priority"] == "MEDIUM"
    assert created["dueDate"] is None
    assert created["owner"] == {"username": "alice"}
    stored = Task.objects.get(pk=created["id"])
    assert (stored.owner, stored.title) == (user, "Buy milk")


def test_create_task_with_every_field_stores_them(gql, user, access):
    given = {
        "title": "Pay rent",
        "description": "Before the 5th",
        "status": "IN_PROGRESS",
        "priority": "HIGH",
        "dueDate": "2030-02-05",
    }

    result = gql(CREATE, {"input": given}, token=access)

    assert not result.errors, result.errors
    created = result.data["createTask"]
    assert {name: created[name] for name in given} == given
    stored = Task.objects.get(pk=created["id"])
    assert stored.owner == user
    assert stored.status == Task.Status.IN_PROGRESS
    assert stored.priority == Task.Priority.HIGH
    assert stored.due_date == date(2030, 2, 5)
    assert created["createdAt"] == stored.created_at.isoformat()


def test_create_task_trims_the_title(gql, access):
    result = gql(CREATE, {"input": {"title": "  Buy milk \n"}}, token=access)

    assert result.data["createTask"]["title"] == "Buy milk"
    assert Task.objects.get().title == "Buy milk"


@pytest.mark.parametrize(
    "given",
    [
        {"title": "x" * 200},
        {"title": "  " + "x" * 200 + "  "},
        {"title": "Long notes", "description": "x" * 10_000},
    ],
    ids=["title-200", "title-200-padded", "description-10000"],
)
def test_create_task_at_the_length_limits_is_stored(gql, access, given):
    result = gql(CREATE, {"input": given}, token=access)

    assert not result.errors, result.errors
    assert Task.objects.count() == 1


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        ({"title": ""}, ["title"]),
        ({"title": "   \t\n"}, ["title"]),
        ({"title": "x" * 201}, ["title"]),
        ({"title": "ok", "description": "x" * 10_001}, ["description"]),
        ({"title": "", "description": "x" * 10_001}, ["title", "description"]),
    ],
    ids=["empty-title", "blank-title", "long-title", "long-description", "both"],
)
def test_create_task_with_invalid_text_is_bad_user_input_and_stores_nothing(
    gql, access, given, fields
):
    result = gql(CREATE, {"input": given}, token=access)

    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert sorted(result.error["extensions"]["fields"]) == sorted(fields)
    assert Task.objects.count() == 0


@pytest.mark.parametrize(
    "given",
    [
        {"title": None},
        {"description": "no title"},
        {"title": "ok", "description": None},
        {"title": "ok", "status": "ARCHIVED"},
        {"title": "ok", "status": "todo"},
        {"title": "ok", "priority": "URGENT"},
        {"title": "ok", "priority": 3},
        {"title": "ok", "dueDate": "2030-02-30"},
        {"title": "ok", "dueDate": "next week"},
        {"title": "ok", "dueDate": "2030-02-01T10:00:00"},
        {"title": 42},
    ],
    ids=[
        "null-title",
        "missing-title",
        "null-description",
        "unknown-status",
        "lowercase-status",
        "unknown-priority",
        "numeric-priority",
        "impossible-date",
        "not-a-date",
        "datetime-for-date",
        "number-for-title",
    ],
)
def test_create_task_with_wrong_typed_input_is_bad_user_input_and_stores_nothing(
    gql, access, given
):
    result = gql(CREATE, {"input": given}, token=access)

    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert "$input" in result.error["message"]
    assert Task.objects.count() == 0


def test_create_task_with_bad_enum_literal_fails_validation_and_stores_nothing(
    gql, access
):
    query = 'mutation { createTask(input: {title: "x", status: LATER}) { id } }'

    result = gql(query, token=access)

    assert result.data is None
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert Task.objects.count() == 0


# updateTask


@pytest.mark.parametrize(
    ("given", "changed"),
    [
        ({"title": "Water the roses"}, {"title": "Water the roses"}),
        ({"title": "  Padded  "}, {"title": "Padded"}),
        ({"description": ""}, {"description": ""}),
        ({"status": "DONE"}, {"status": Task.Status.DONE}),
        ({"priority": "LOW"}, {"priority": Task.Priority.LOW}),
        ({"dueDate": "2031-01-31"}, {"due_date": date(2031, 1, 31)}),
        ({"dueDate": None}, {"due_date": None}),
        (
            {"status": "TODO", "priority": "MEDIUM", "dueDate": None},
            {
                "status": Task.Status.TODO,
                "priority": Task.Priority.MEDIUM,
                "due_date": None,
            },
        ),
        ({}, {}),
    ],
    ids=[
        "title",
        "title-trimmed",
        "description-emptied",
        "status",
        "priority",
        "due-date",
        "due-date-cleared",
        "several",
        "nothing",
    ],
)
def test_update_task_changes_only_the_fields_given(gql, access, task, given, changed):
    before = row(task)

    result = gql(UPDATE, {"id": str(task.pk), "input": given}, token=access)

    assert not result.errors, result.errors
    after = row(task)
    assert after["updated_at"] > before["updated_at"]
    del before["updated_at"], after["updated_at"]
    assert after == {**before, **changed}
    answered = result.data["updateTask"]
    assert answered["id"] == str(task.pk)
    assert answered["title"] == after["title"]
    assert answered["dueDate"] == (
        after["due_date"].isoformat() if after["due_date"] else None
    )
    assert answered["owner"] == {"username": "alice"}


def test_update_task_without_due_date_keeps_it(gql, access, task):
    result = gql(UPDATE, {"id": str(task.pk), "input": {"title": "New"}}, token=access)

    assert result.data["updateTask"]["dueDate"] == "2030-06-01"
    assert row(task)["due_date"] == date(2030, 6, 1)


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        ({"title": None}, ["title"]),
        ({"description": None}, ["description"]),
        ({"status": None}, ["status"]),
        ({"priority": None}, ["priority"]),
        ({"title": None, "priority": None}, ["title", "priority"]),
        ({"title": ""}, ["title"]),
        ({"title": "   "}, ["title"]),
        ({"title": "x" * 201}, ["title"]),
        ({"description": "x" * 10_001}, ["description"]),
        ({"title": None, "dueDate": None}, ["title"]),
    ],
)
def test_update_task_with_null_required_or_invalid_text_is_bad_user_input(
    gql, access, task, given, fields
):
    before = row(task)

    result = gql(UPDATE, {"id": str(task.pk), "input": given}, token=access)

    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert sorted(result.error["extensions"]["fields"]) == sorted(fields)
    assert row(task) == before


@pytest.mark.parametrize(
    "given",
    [
        {"status": "ARCHIVED"},
        {"priority": "urgent"},
        {"dueDate": "2030-13-01"},
        {"dueDate": ""},
        {"title": ["a", "b"]},
    ],
)
def test_update_task_with_wrong_typed_input_is_bad_user_input_and_changes_nothing(
    gql, access, task, given
):
    before = row(task)

    result = gql(UPDATE, {"id": str(task.pk), "input": given}, token=access)

    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert row(task) == before


def test_update_task_of_another_user_is_not_found_and_changes_nothing(
    gql, access, their_task
):
    before = row(their_task)
    given = {"title": "Hijacked", "dueDate": None}
    missing = gql(
        UPDATE, {"id": str(their_task.pk + 1000), "input": given}, token=access
    )

    result = gql(UPDATE, {"id": str(their_task.pk), "input": given}, token=access)

    assert result.data is None
    assert result.codes == ["NOT_FOUND"]
    assert result.error["message"] == missing.error["message"]
    assert result.error["extensions"] == missing.error["extensions"]
    assert row(their_task) == before


def test_update_task_of_another_user_with_bad_input_is_still_not_found(
    gql, access, their_task
):
    # Validation must not run first, or its answer would tell the id exists.
    given = {"title": None}

    result = gql(UPDATE, {"id": str(their_task.pk), "input": given}, token=access)

    assert result.codes == ["NOT_FOUND"]


# "{pk}" stands for the task's own id, spelled in a way that must not match.
BAD_IDS = ["abc", "", "-{pk}", "{pk}.0", "+{pk}", " {pk}", "0{pk}", "{pk}abc"]


@pytest.mark.parametrize("task_id", BAD_IDS)
def test_update_task_with_non_numeric_id_is_not_found(gql, access, task, task_id):
    before = row(task)
    task_id = task_id.format(pk=task.pk)

    result = gql(UPDATE, {"id": task_id, "input": {"title": "x"}}, token=access)

    assert result.codes == ["NOT_FOUND"]
    assert row(task) == before


# deleteTask


def test_delete_task_returns_its_id_and_removes_only_it(gql, user, access, task):
    later = Task.objects.create(owner=user, title="Later")

    result = gql(DELETE, {"id": str(later.pk)}, token=access)

    assert not result.errors, result.errors
    assert result.data == {"deleteTask": str(later.pk)}
    assert list(Task.objects.values_list("pk", flat=True)) == [task.pk]


def test_delete_task_twice_is_not_found_the_second_time(gql, access, task):
    gql(DELETE, {"id": str(task.pk)}, token=access)

    result = gql(DELETE, {"id": str(task.pk)}, token=access)

    assert result.data is None
    assert result.codes == ["NOT_FOUND"]


def test_delete_task_of_another_user_is_not_found_and_keeps_it(
    gql, access, task, their_task
):
    before = row(their_task)
    missing = gql(DELETE, {"id": str(their_task.pk + 1000)}, token=access)

    result = gql(DELETE, {"id": str(their_task.pk)}, token=access)

    assert result.data is None
    assert result.codes == ["NOT_FOUND"]
    assert result.error["message"] == missing.error["message"]
    assert result.error["extensions"] == missing.error["extensions"]
    assert row(their_task) == before
    assert Task.objects.count() == 2


@pytest.mark.parametrize("task_id", BAD_IDS)
def test_delete_task_with_non_numeric_id_is_not_found(gql, access, task, task_id):
    result = gql(DELETE, {"id": task_id.format(pk=task.pk)}, token=access)

    assert result.codes == ["NOT_FOUND"]
    assert Task.objects.filter(pk=task.pk).exists()


# Anonymous callers


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (CREATE, {"input": {"title": "Sneaky"}}),
        (UPDATE, {"id": "TASK", "input": {"title": "Sneaky", "dueDate": None}}),
        (DELETE, {"id": "TASK"}),
    ],
    ids=["createTask", "updateTask", "deleteTask"],
)
@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "TOKEN_MISSING"),
        ("Bearer not-a-jwt", "TOKEN_INVALID"),
    ],
)
def test_task_mutation_without_valid_token_is_unauthenticated_and_changes_nothing(
    gql, task, query, variables, authorization, reason
):
    before = row(task)
    variables = {
        key: str(task.pk) if value == "TASK" else value
        for key, value in variables.items()
    }
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    result = gql(query, variables, **headers)

    assert result.data is None
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.error["extensions"]["reason"] == reason
    assert Task.objects.count() == 1
    assert row(task) == before


def test_task_mutation_with_revoked_token_is_unauthenticated(gql, tokens, task):
    access = tokens["accessToken"]
    revoke = "mutation { revokeAllTokens }"
    assert not gql(revoke, token=access).errors

    result = gql(DELETE, {"id": str(task.pk)}, token=access)

    assert result.codes == ["UNAUTHENTICATED"]
    assert result.error["extensions"]["reason"] == "TOKEN_REVOKED"
    assert Task.objects.filter(pk=task.pk).exists()


def test_task_mutation_with_expired_token_is_unauthenticated(gql, tokens, task):
    # Past the access token lifetime (15 minutes by default) and any leeway.
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        result = gql(DELETE, {"id": str(task.pk)}, token=tokens["accessToken"])

    assert result.codes == ["UNAUTHENTICATED"]
    assert result.error["extensions"]["reason"] == "TOKEN_EXPIRED"
    assert Task.objects.filter(pk=task.pk).exists()
