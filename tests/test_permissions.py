"""Guards raise (never a silent null) and can decide from claims alone."""

import pytest
from django.contrib.auth.models import Permission

from tasks.models import Task

ALL_TASKS = "{ allTasks { title } }"


def perms_claim(user):
    return {"perms": sorted(user.get_all_permissions())}


@pytest.fixture
def claims_hook(settings):
    settings.JWT = {**settings.JWT, "CLAIMS_HOOK": f"{__name__}.perms_claim"}


def test_permission_from_claims_costs_no_query(
    gql, user, sign_in, claims_hook, django_assert_num_queries
):
    user.user_permissions.add(Permission.objects.get(codename="view_task"))
    Task.objects.create(owner=user, title="mine")
    access = sign_in()["accessToken"]
    gql("{ me { id } }", token=access)

    with django_assert_num_queries(1):  # the tasks themselves
        result = gql(ALL_TASKS, token=access)

    assert result.data == {"allTasks": [{"title": "mine"}]}


def test_claims_without_the_permission_are_forbidden(gql, user, sign_in, claims_hook):
    result = gql(ALL_TASKS, token=sign_in()["accessToken"])

    assert result.data is None
    assert result.error["extensions"]["code"] == "FORBIDDEN"


def test_permission_without_claims_is_read_from_the_database(gql, user, sign_in):
    access = sign_in()["accessToken"]
    assert gql(ALL_TASKS, token=access).codes == ["FORBIDDEN"]

    user.user_permissions.add(Permission.objects.get(codename="view_task"))

    assert gql(ALL_TASKS, token=access).data == {"allTasks": []}
