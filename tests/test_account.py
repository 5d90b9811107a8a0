"""me, updateProfile and changePassword."""

import pytest

from tests.conftest import PASSWORD, TOKEN_AUTH
from users.models import Session

ME = "query { me { id username email firstName lastName isStaff dateJoined } }"
UPDATE = """
mutation Update($input: UpdateProfileInput!) {
  updateProfile(input: $input) { id username email firstName lastName }
}
"""
CHANGE = """
mutation Change($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) {
    accessToken refreshToken user { username }
  }
}
"""
REFRESH = "mutation R($t: String) { refreshToken(refreshToken: $t) { accessToken } }"
NEW_PASSWORD = "a brand new passphrase"


def test_me_returns_the_signed_in_user(gql, user, tokens):
    result = gql(ME, token=tokens["accessToken"])

    me = result.data["me"]
    assert me["id"] == str(user.pk)
    assert me["username"] == "alice"
    assert me["email"] == "alice@example.com"
    assert me["isStaff"] is False
    assert me["dateJoined"]


@pytest.mark.django_db
def test_me_without_token_is_unauthenticated_with_reason(gql):
    result = gql(ME)

    assert result.data is None
    assert result.error["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "TOKEN_MISSING",
    }


def test_me_id_and_username_cost_no_query(gql, tokens, django_assert_num_queries):
    gql("{ me { id } }", token=tokens["accessToken"])  # warm the process
    with django_assert_num_queries(0):
        result = gql("{ me { id username } }", token=tokens["accessToken"])
    assert result.data["me"]["username"] == "alice"


def test_update_profile_changes_the_given_fields_only(gql, user, tokens):
    result = gql(UPDATE, {"input": {"firstName": "Alice"}}, token=tokens["accessToken"])

    assert result.data["updateProfile"]["firstName"] == "Alice"
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == (
        "Alice",
        "",
        "alice@example.com",
    )


def test_update_profile_changes_email_within_recent_auth(gql, user, tokens):
    result = gql(
        UPDATE, {"input": {"email": "new@example.com"}}, token=tokens["accessToken"]
    )

    assert result.data["updateProfile"]["email"] == "new@example.com"
    assert gql(ME, token=tokens["accessToken"]).data["me"]["email"] == "new@example.com"


@pytest.mark.parametrize("email", ["BOB@example.com", "bob@EXAMPLE.COM", "nope"])
def test_update_profile_email_taken_or_invalid_is_refused(
    gql, user, other_user, tokens, email
):
    result = gql(UPDATE, {"input": {"email": email}}, token=tokens["accessToken"])

    assert result.error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "email" in result.error["extensions"]["fields"]
    user.refresh_from_db()
    assert user.email == "alice@example.com"


def test_update_profile_rejects_long_names_and_keeps_the_rest(gql, user, tokens):
    result = gql(
        UPDATE,
        {"input": {"firstName": "Alice", "lastName": "x" * 151}},
        token=tokens["accessToken"],
    )

    assert result.error["extensions"]["fields"] == {
        "lastName": ["At most 150 characters."]
    }
    user.refresh_from_db()
    assert user.first_name == ""


def test_change_password_keeps_this_session_and_ends_the_others(gql, user, sign_in):
    phone = sign_in()
    laptop = sign_in()

    result = gql(
        CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD}, token=laptop["accessToken"]
    )

    fresh = result.data["changePassword"]
    assert gql(ME, token=fresh["accessToken"]).data["me"]["username"] == "alice"
    assert gql(ME, token=laptop["accessToken"]).data["me"]["username"] == "alice"
    stale = gql(ME, token=phone["accessToken"])
    assert stale.error["extensions"]["reason"] == "TOKEN_REVOKED"
    refused = gql(REFRESH, {"t": phone["refreshToken"]})
    assert refused.error["extensions"]["code"] == "TOKEN_REVOKED"
    assert gql(REFRESH, {"t": fresh["refreshToken"]}).data["refreshToken"]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    signed_in = gql(TOKEN_AUTH, {"username": "alice", "password": NEW_PASSWORD})
    assert signed_in.data["tokenAuth"]


def test_change_password_with_wrong_old_password_changes_nothing(gql, user, tokens):
    result = gql(
        CHANGE,
        {"old": "not my password", "new": NEW_PASSWORD},
        token=tokens["accessToken"],
    )

    assert result.error["extensions"]["code"] == "INVALID_CREDENTIALS"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Session.objects.live().count() == 1


@pytest.mark.parametrize("new", ["short", "password1234", "alice@example.com"])
def test_change_password_runs_the_validators(gql, user, tokens, new):
    result = gql(CHANGE, {"old": PASSWORD, "new": new}, token=tokens["accessToken"])

    assert result.error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "newPassword" in result.error["extensions"]["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_change_password_needs_a_signed_in_user(gql):
    result = gql(CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD})
    assert result.error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(("is_staff", "shown"), [(True, True), (False, False)])
def test_other_users_email_is_shown_to_staff_only(
    gql, other_user, make_user, sign_in, is_staff, shown
):
    from django.contrib.auth.models import Permission

    from tasks.models import Task

    Task.objects.create(owner=other_user, title="bob's")
    viewer = make_user("viewer", is_staff=is_staff)
    viewer.user_permissions.add(Permission.objects.get(codename="view_task"))

    seen = gql(
        "{ allTasks { owner { username email } } }",
        token=sign_in("viewer")["accessToken"],
    )

    email = "bob@example.com" if shown else None
    assert seen.data["allTasks"] == [{"owner": {"username": "bob", "email": email}}]
