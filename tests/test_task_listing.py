"""The ``tasks`` listing over HTTP: scope, filters, order and pages.

``tasks/listing.py`` turns the arguments into one queryset; these tests
drive it through ``POST /graphql/`` and read back the titles in order.
"""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from tasks.models import Task

TASKS = """
query Tasks(
  $filters: TaskFilter, $order: TaskOrder, $pagination: OffsetPaginationInput
) {
  tasks(filters: $filters, order: $order, pagination: $pagination) {
    id title owner { username }
  }
}
"""

START = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.UTC)


@pytest.fixture
def list_titles(gql, access):
    """Run ``tasks`` as the signed-in user; return the titles in order."""

    def run(**variables):
        result = gql(TASKS, variables, token=access)
        assert not result.errors, result.errors
        return [task["title"] for task in result.data["tasks"]]

    return run


# tasks: scope and defaults


def test_tasks_lists_only_the_callers_own_tasks(list_titles, make_task, other_user):
    make_task("Mine")
    make_task("Theirs", owner=other_user)

    assert list_titles() == ["Mine"]


def test_tasks_for_a_user_without_tasks_is_an_empty_list(
    list_titles, make_task, other_user
):
    make_task("Theirs", owner=other_user)

    assert list_titles() == []


def test_tasks_default_order_is_newest_first(list_titles, make_task):
    for day, title in [(2, "Middle"), (1, "Oldest"), (3, "Newest")]:
        make_task(title, created_at=START + timedelta(days=day))

    assert list_titles() == ["Newest", "Middle", "Oldest"]


# tasks: filters


@pytest.fixture
def filter_tasks(make_task):
    make_task(
        "Buy milk",
        status=Task.Status.TODO,
        priority=Task.Priority.LOW,
        due_date=date(2030, 1, 10),
        created_at=START,
    )
    make_task(
        "Pay rent",
        description="Transfer to the LANDLORD",
        status=Task.Status.DONE,
        priority=Task.Priority.HIGH,
        due_date=date(2030, 1, 20),
        created_at=START + timedelta(days=1),
    )
    make_task(
        "Call the landlord",
        status=Task.Status.IN_PROGRESS,
        priority=Task.Priority.HIGH,
        due_date=None,
        created_at=START + timedelta(days=2),
    )
    make_task(
        "File taxes",
        status=Task.Status.TODO,
        priority=Task.Priority.MEDIUM,
        due_date=date(2030, 1, 30),
        created_at=START + timedelta(days=3),
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "TODO"}, ["File taxes", "Buy milk"]),
        ({"status": "DONE"}, ["Pay rent"]),
        ({"status": "IN_PROGRESS"}, ["Call the landlord"]),
        ({"priority": "HIGH"}, ["Call the landlord", "Pay rent"]),
        ({"priority": "LOW"}, ["Buy milk"]),
        ({"search": "landlord"}, ["Call the landlord", "Pay rent"]),
        ({"search": "MILK"}, ["Buy milk"]),
        ({"search": "nothing like it"}, []),
        ({"dueBefore": "2030-01-20"}, ["Pay rent", "Buy milk"]),
        ({"dueAfter": "2030-01-20"}, ["File taxes", "Pay rent"]),
        (
            {"dueAfter": "2030-01-11", "dueBefore": "2030-01-29"},
            ["Pay rent"],
        ),
        ({"status": "TODO", "priority": "MEDIUM"}, ["File taxes"]),
        ({"search": "landlord", "status": "DONE"}, ["Pay rent"]),
        ({"search": "landlord", "dueBefore": "2030-12-31"}, ["Pay rent"]),
        (
            {"status": None, "priority": None, "search": None},
            [
                "File taxes",
                "Call the landlord",
                "Pay rent",
                "Buy milk",
            ],
        ),
        (
            {"search": ""},
            [
                "File taxes",
                "Call the landlord",
                "Pay rent",
                "Buy milk",
            ],
        ),
    ],
)
def test_tasks_filter_keeps_only_matching_tasks(
    list_titles, filter_tasks, filters, expected
):
    assert list_titles(filters=filters) == expected


def test_tasks_filter_never_reaches_another_users_tasks(
    list_titles, make_task, other_user
):
    make_task("Bob's landlord", owner=other_user, status=Task.Status.TODO)

    assert list_titles(filters={"search": "landlord", "status": "TODO"}) == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("100%", ["Give 100%"]),
        ("%", ["Give 100%"]),
        ("a_b", ["Rename a_b"]),
        ("(a+b)*", ["Fix (a+b)*2"]),
        (".*", []),
        ("[", []),
        ("\\", []),
    ],
)
def test_tasks_search_matches_wildcard_and_regex_characters_literally(
    list_titles, make_task, search, expected
):
    make_task("Give 100%")
    make_task("Rename a_b")
    make_task("Rename axb 1000")
    make_task("Fix (a+b)*2")

    assert list_titles(filters={"search": search}) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [("zürich", ["Été à Zürich"]), ("ÉTÉ", ["Été à Zürich"]), ("ÇA", ["Ça va"])],
)
def test_tasks_search_ignores_case_beyond_ascii(
    list_titles, make_task, search, expected
):
    make_task("Été à Zürich")
    make_task("Ça va")

    assert list_titles(filters={"search": search}) == expected


def test_tasks_search_over_200_characters_is_bad_user_input(gql, access):
    result = gql(TASKS, {"filters": {"search": "x" * 201}}, token=access)

    assert result.codes == ["BAD_USER_INPUT"]
    assert list(result.error["extensions"]["fields"]) == ["search"]


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "ARCHIVED"},
        {"priority": "URGENT"},
        {"priority": "high"},
        {"dueBefore": "2030-02-30"},
        {"dueAfter": "tomorrow"},
    ],
)
def test_tasks_filter_with_bad_value_is_bad_user_input(gql, access, filters):
    result = gql(TASKS, {"filters": filters}, token=access)

    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]


# tasks: ordering


@pytest.fixture
def order_tasks(make_task):
    make_task(
        "banana",
        priority=Task.Priority.HIGH,
        due_date=date(2030, 5, 1),
        created_at=START + timedelta(days=1),
    )
    make_task(
        "Apple",
        priority=Task.Priority.LOW,
        due_date=date(2030, 3, 1),
        created_at=START + timedelta(days=3),
    )
    make_task(
        "cherry",
        priority=Task.Priority.MEDIUM,
        due_date=date(2030, 4, 1),
        created_at=START + timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"createdAt": "ASC"}, ["banana", "cherry", "Apple"]),
        ({"createdAt": "DESC"}, ["Apple", "cherry", "banana"]),
        ({"dueDate": "ASC"}, ["Apple", "cherry", "banana"]),
        ({"dueDate": "DESC"}, ["banana", "cherry", "Apple"]),
        ({"priority": "ASC"}, ["Apple", "cherry", "banana"]),
        ({"priority": "DESC"}, ["banana", "cherry", "Apple"]),
        ({"title": "ASC"}, ["Apple", "banana", "cherry"]),
        ({"title": "DESC"}, ["cherry", "banana", "Apple"]),
        ({}, ["Apple", "cherry", "banana"]),
    ],
)
def test_tasks_order_sorts_by_the_given_key(list_titles, order_tasks, order, expected):
    assert list_titles(order=order) == expected


def test_tasks_order_by_priority_is_by_importance_not_by_name(list_titles, make_task):
    # Alphabetically HIGH < LOW < MEDIUM; by importance LOW < MEDIUM < HIGH.
    make_task("medium", priority=Task.Priority.MEDIUM)
    make_task("high", priority=Task.Priority.HIGH)
    make_task("low", priority=Task.Priority.LOW)

    assert list_titles(order={"priority": "ASC"}) == ["low", "medium", "high"]


def test_tasks_order_with_two_keys_breaks_ties_with_the_second(list_titles, make_task):
    make_task("b-high", priority=Task.Priority.HIGH)
    make_task("a-low", priority=Task.Priority.LOW)
    make_task("a-high", priority=Task.Priority.HIGH)

    titles = list_titles(order={"priority": "DESC", "title": "ASC"})

    assert titles == ["a-high", "b-high", "a-low"]


def test_tasks_created_at_the_same_moment_list_the_latest_added_first(
    list_titles, make_task
):
    for title in ["first", "second", "third"]:
        make_task(title, created_at=START)

    assert list_titles() == ["third", "second", "first"]
    assert list_titles(order={"createdAt": "ASC"}) == ["third", "second", "first"]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("ASC", ["March", "May", "No date"]),
        ("DESC", ["May", "March", "No date"]),
    ],
)
def test_tasks_order_by_due_date_puts_tasks_without_one_last(
    list_titles, make_task, direction, expected
):
    make_task("No date", due_date=None)
    make_task("May", due_date=date(2030, 5, 1))
    make_task("March", due_date=date(2030, 3, 1))

    assert list_titles(order={"dueDate": direction}) == expected


def test_tasks_order_with_bad_direction_is_bad_user_input(gql, access):
    result = gql(TASKS, {"order": {"title": "UP"}}, token=access)

    assert result.codes == ["BAD_USER_INPUT"]


# tasks: pagination


@pytest.fixture
def numbered_tasks(user):
    """Create 120 tasks, ``Task 000`` oldest to ``Task 119`` newest."""
    Task.objects.bulk_create(
        Task(owner=user, title=f"Task {n:03}", created_at=START + timedelta(minutes=n))
        for n in range(120)
    )


def newest(first: int, count: int) -> list[str]:
    """Titles of ``count`` tasks from the ``first``-th newest on."""
    return [f"Task {n:03}" for n in range(119 - first, 119 - first - count, -1)]


@pytest.mark.parametrize(
    ("pagination", "expected"),
    [
        (None, newest(0, 20)),
        ({}, newest(0, 20)),
        ({"limit": 5}, newest(0, 5)),
        ({"offset": 10, "limit": 3}, newest(10, 3)),
        ({"offset": 115}, newest(115, 5)),
        ({"offset": 120}, []),
        ({"offset": 5000}, []),
        ({"limit": 100}, newest(0, 100)),
        ({"limit": 101}, newest(0, 100)),
        ({"limit": 500}, newest(0, 100)),
        ({"offset": 10, "limit": 500}, newest(10, 100)),
    ],
)
def test_tasks_pagination_returns_one_capped_page(
    list_titles, numbered_tasks, pagination, expected
):
    assert list_titles(pagination=pagination) == expected


def test_tasks_pages_neither_overlap_nor_skip_when_created_at_ties(
    list_titles, make_task
):
    for n in range(7):
        make_task(f"Same time {n}", created_at=START)

    pages = [list_titles(pagination={"offset": o, "limit": 3}) for o in (0, 3, 6)]

    seen = [title for page in pages for title in page]
    assert sorted(seen) == [f"Same time {n}" for n in range(7)]


@pytest.mark.parametrize(
    ("pagination", "fields"),
    [
        ({"offset": -1}, ["offset"]),
        ({"limit": 0}, ["limit"]),
        ({"limit": -5}, ["limit"]),
        ({"offset": -1, "limit": 0}, ["offset", "limit"]),
    ],
)
def test_tasks_negative_offset_or_limit_below_one_is_bad_user_input(
    gql, access, pagination, fields
):
    result = gql(TASKS, {"pagination": pagination}, token=access)

    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert sorted(result.error["extensions"]["fields"]) == sorted(fields)


def test_listing_reused_sql_still_shows_each_user_only_their_own(
    gql, make_user, sign_in
):
    from tasks import compiled
    from tasks.models import Task

    compiled.clear()
    for name in ("alice", "bob"):
        owner = make_user(name)
        Task.objects.create(owner=owner, title=f"{name}'s task")
    query = "{ tasks(filters: {status: TODO}) { title } }"

    first = gql(query, token=sign_in("alice")["accessToken"])
    second = gql(query, token=sign_in("bob")["accessToken"])

    assert len(compiled._sql) == 1  # the second listing reused the SQL
    assert first.data["tasks"] == [{"title": "alice's task"}]
    assert second.data["tasks"] == [{"title": "bob's task"}]


def test_search_too_long_is_refused_even_for_a_shape_seen_before(gql, tokens):
    query = "query S($s: String) { tasks(filters: {search: $s}) { title } }"
    assert gql(query, {"s": "short"}, token=tokens["accessToken"]).data == {"tasks": []}

    result = gql(query, {"s": "x" * 201}, token=tokens["accessToken"])

    assert result.error["extensions"]["fields"] == {
        "search": ["At most 200 characters."]
    }
