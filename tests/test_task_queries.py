"""The task queries over HTTP: task(id), allTasks, guards and query counts.

Every test goes through ``POST /graphql/``. The filters, order and pages of
``tasks`` are in ``test_task_listing.py``.
"""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tasks.models import Task

FIELDS = "id title description status priority dueDate createdAt updatedAt"

TASK = f"""
query Task($id: ID!) {{
  task(id: $id) {{ {FIELDS} owner {{ username }} }}
}}
"""

TASKS = """
query Tasks(
  $filters: TaskFilter, $order: TaskOrder, $pagination: OffsetPaginationInput
) {
  tasks(filters: $filters, order: $order, pagination: $pagination) {
    id title owner { username }
  }
}
"""

ALL_TASKS = """
query AllTasks(
  $filters: TaskFilter, $order: TaskOrder, $pagination: OffsetPaginationInput
) {
  allTasks(filters: $filters, order: $order, pagination: $pagination) {
    id title owner { username }
  }
}
"""

START = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.UTC)


def grant(user, codename: str) -> None:
    user.user_permissions.add(Permission.objects.get(codename=codename))


# task(id)


def test_task_by_id_returns_every_field(gql, access, make_task):
    task = make_task(
        "Write report",
        description="Quarterly numbers",
        status=Task.Status.IN_PROGRESS,
        priority=Task.Priority.HIGH,
        due_date=date(2030, 3, 1),
    )

    result = gql(TASK, {"id": str(task.pk)}, token=access)

    assert not result.errors, result.errors
    assert result.data["task"] == {
        "id": str(task.pk),
        "title": "Write report",
        "description": "Quarterly numbers",
        "status": "IN_PROGRESS",
        "priority": "HIGH",
        "dueDate": "2030-03-01",
        "createdAt": task.created_at.isoformat(),
        "updatedAt": task.updated_at.isoformat(),
        "owner": {"username": "alice"},
    }


def test_task_of_another_user_is_not_found_like_a_missing_id(
    gql, access, make_task, other_user
):
    theirs = make_task("Bob's secret", owner=other_user)
    missing = gql(TASK, {"id": str(theirs.pk + 1000)}, token=access)

    result = gql(TASK, {"id": str(theirs.pk)}, token=access)

    assert result.data is None
    assert result.codes == ["NOT_FOUND"]
    assert result.error["message"] == missing.error["message"]
    assert result.error["extensions"] == missing.error["extensions"]
    assert "Bob's secret" not in result.http.content.decode()


@pytest.mark.parametrize(
    "task_id", ["abc", "", "1.0", "1e3", "-1", "0", "99999999999999999999999"]
)
def test_task_with_non_numeric_or_out_of_range_id_is_not_found(
    gql, access, make_task, task_id
):
    make_task()

    result = gql(TASK, {"id": task_id}, token=access)

    assert result.data is None
    assert result.codes == ["NOT_FOUND"]


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "spell",
    [
        lambda pk: f"+{pk}",
        lambda pk: f" {pk}",
        lambda pk: f"{pk}\n",
        lambda pk: f"0{pk}",
        lambda pk: f"{pk}".translate(ARABIC_INDIC),
    ],
    ids=["plus-sign", "leading-space", "trailing-newline", "leading-zero", "arabic"],
)
def test_task_with_another_spelling_of_an_existing_id_is_not_found(
    gql, access, make_task, spell
):
    task = make_task()

    result = gql(TASK, {"id": spell(task.pk)}, token=access)

    assert result.data is None
    assert result.codes == ["NOT_FOUND"]


# allTasks


def test_all_tasks_anonymous_is_unauthenticated_with_token_missing(gql, make_task):
    make_task()

    result = gql(ALL_TASKS)

    assert result.data is None
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.error["extensions"]["reason"] == "TOKEN_MISSING"


def test_all_tasks_without_view_permission_is_forbidden(gql, access, make_task):
    make_task()

    result = gql(ALL_TASKS, token=access)

    assert result.data is None
    assert result.codes == ["FORBIDDEN"]


def test_all_tasks_with_another_permission_is_still_forbidden(gql, user, access):
    grant(user, "change_task")

    result = gql(ALL_TASKS, token=access)

    assert result.codes == ["FORBIDDEN"]


def test_all_tasks_with_view_permission_lists_every_users_tasks(
    gql, user, access, make_task, other_user
):
    grant(user, "view_task")
    make_task("Mine", created_at=START)
    make_task("Theirs", owner=other_user, created_at=START + timedelta(days=1))

    result = gql(ALL_TASKS, token=access)

    assert not result.errors, result.errors
    assert [(t["title"], t["owner"]["username"]) for t in result.data["allTasks"]] == [
        ("Theirs", "bob"),
        ("Mine", "alice"),
    ]


def test_all_tasks_with_view_permission_through_a_group_lists_every_task(
    gql, user, access, make_task, other_user
):
    group = Group.objects.create(name="auditors")
    group.permissions.add(Permission.objects.get(codename="view_task"))
    user.groups.add(group)
    make_task("Theirs", owner=other_user)

    result = gql(ALL_TASKS, token=access)

    assert [t["title"] for t in result.data["allTasks"]] == ["Theirs"]


def test_all_tasks_for_a_superuser_lists_every_task(
    gql, make_user, sign_in, make_task, other_user
):
    make_user("root", is_superuser=True)
    make_task("Theirs", owner=other_user)
    access = sign_in("root")["accessToken"]

    result = gql(ALL_TASKS, token=access)

    assert [t["title"] for t in result.data["allTasks"]] == ["Theirs"]


@pytest.mark.parametrize(
    ("is_staff", "their_email"), [(False, None), (True, "bob@example.com")]
)
def test_all_tasks_shows_other_owners_email_to_staff_only(
    gql, user, access, make_task, other_user, is_staff, their_email
):
    type(user).objects.filter(pk=user.pk).update(is_staff=is_staff)
    grant(user, "view_task")
    make_task("Mine", created_at=START)
    make_task("Theirs", owner=other_user, created_at=START + timedelta(days=1))
    query = "{ allTasks { title owner { username email } } }"

    result = gql(query, token=access)

    assert result.data["allTasks"] == [
        {"title": "Theirs", "owner": {"username": "bob", "email": their_email}},
        {"title": "Mine", "owner": {"username": "alice", "email": "alice@example.com"}},
    ]


def test_all_tasks_applies_filters_order_and_pagination(
    gql, user, access, make_task, other_user
):
    grant(user, "view_task")
    make_task("alpha", owner=other_user, status=Task.Status.DONE)
    make_task("beta", status=Task.Status.DONE)
    make_task("gamma", owner=other_user, status=Task.Status.DONE)
    make_task("delta", status=Task.Status.TODO)
    variables = {
        "filters": {"status": "DONE"},
        "order": {"title": "ASC"},
        "pagination": {"offset": 1, "limit": 5},
    }

    result = gql(ALL_TASKS, variables, token=access)

    assert [t["title"] for t in result.data["allTasks"]] == ["beta", "gamma"]


def test_all_tasks_with_negative_offset_is_bad_user_input(gql, user, access):
    grant(user, "view_task")

    result = gql(ALL_TASKS, {"pagination": {"offset": -1}}, token=access)

    assert result.codes == ["BAD_USER_INPUT"]
    assert list(result.error["extensions"]["fields"]) == ["offset"]


# Anonymous callers


@pytest.mark.parametrize(
    "query",
    [
        "{ tasks { id } }",
        '{ task(id: "1") { id } }',
        "{ allTasks { id } }",
    ],
)
@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "TOKEN_MISSING"),
        ("Bearer not-a-jwt", "TOKEN_INVALID"),
        ("Basic YWxpY2U6cHc=", "TOKEN_INVALID"),
    ],
)
def test_task_query_without_valid_token_is_unauthenticated_never_null(
    gql, make_task, query, authorization, reason
):
    make_task(pk=1)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    result = gql(query, **headers)

    assert result.data is None
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.error["extensions"]["reason"] == reason


# Query counts


@pytest.fixture
def warm(gql, access) -> None:
    # The first authenticated request of a process may load recent
    # revocations into the cache; make it before counting.
    assert not gql("{ me { id } }", token=access).errors


@pytest.mark.parametrize("count", [1, 30])
def test_tasks_listing_costs_one_query_however_many_tasks(
    gql, access, warm, make_task, django_assert_num_queries, count
):
    for n in range(count):
        make_task(f"Task {n}")

    with django_assert_num_queries(1):
        result = gql(TASKS, {"pagination": {"limit": 100}}, token=access)

    assert len(result.data["tasks"]) == count


@pytest.mark.parametrize("count", [1, 30])
def test_all_tasks_listing_costs_four_queries_however_many_owners(
    gql, user, access, warm, make_user, make_task, django_assert_num_queries, count
):
    # Loading the caller, their permissions, their groups' permissions, tasks.
    grant(user, "view_task")
    for n in range(count):
        make_task(f"Task {n}", owner=make_user(f"owner{n}"))

    with django_assert_num_queries(4):
        result = gql(ALL_TASKS, {"pagination": {"limit": 100}}, token=access)

    assert len(result.data["allTasks"]) == count
    assert {t["owner"]["username"] for t in result.data["allTasks"]} == {
        f"owner{n}" for n in range(count)
    }


def test_task_by_id_with_owner_costs_one_query(
    gql, access, warm, make_task, django_assert_num_queries
):
    task = make_task()

    with django_assert_num_queries(1):
        result = gql(TASK, {"id": str(task.pk)}, token=access)

    assert result.data["task"]["owner"] == {"username": "alice"}


@pytest.mark.parametrize(
    "selection",
    [
        "id owner { username }",
        "id ...F",
        "id ... on Task { owner { username } }",
    ],
)
def test_owner_in_any_selection_form_costs_no_extra_query(
    gql, user, tokens, django_assert_num_queries, selection
):
    from tasks.models import Task

    for n in range(5):
        Task.objects.create(owner=user, title=f"t{n}")
    fragment = "fragment F on Task { owner { username } }"
    query = (
        "{ tasks { "
        + selection
        + " } }"
        + (" " + fragment if "...F" in selection else "")
    )
    gql("{ me { id } }", token=tokens["accessToken"])

    with django_assert_num_queries(1):
        result = gql(query, token=tokens["accessToken"])

    assert [t["owner"]["username"] for t in result.data["tasks"]] == ["alice"] * 5


def test_an_id_of_thousands_of_digits_is_not_found(gql, access):
    result = gql(
        "query T($i: ID!) { task(id: $i) { id } }", {"i": "1" * 5000}, token=access
    )
    assert result.codes == ["NOT_FOUND"]
