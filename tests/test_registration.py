"""register: Django's validators, unique names in any case, signed in at once."""

import pytest

from tests.conftest import PASSWORD
from users.models import Session, User

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken refreshToken tokenType expiresIn accessExpiresAt refreshExpiresAt
    user { id username email firstName lastName isStaff }
  }
}
"""
ME = "query { me { id username email } }"


def registration(**fields):
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "password": PASSWORD,
        "firstName": "Carol",
        "lastName": "King",
    }
    data.update(fields)
    return {"input": data}


@pytest.mark.django_db
def test_register_creates_user_and_signs_in(gql):
    result = gql(REGISTER, registration())

    payload = result.data["register"]
    assert payload["tokenType"] == "Bearer"
    assert payload["expiresIn"] == 900
    assert payload["user"]["username"] == "carol"
    assert payload["user"]["email"] == "carol@example.com"
    assert payload["user"]["isStaff"] is False
    user = User.objects.get(username="carol")
    assert user.check_password(PASSWORD)
    assert Session.objects.filter(user=user).count() == 1
    me = gql(ME, token=payload["accessToken"])
    assert me.data["me"]["username"] == "carol"


@pytest.mark.django_db
def test_register_stores_no_plain_password(gql):
    gql(REGISTER, registration())
    assert PASSWORD not in User.objects.get(username="carol").password


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "12345678901234"}, "password"),
        ({"password": "password12345"}, "password"),
        ({"password": "carol@example.com1"}, "password"),
        ({"passwordConfirm": "something else entirely"}, "passwordConfirm"),
        ({"username": ""}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "at@sign"}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"firstName": "x" * 151}, "firstName"),
    ],
)
@pytest.mark.django_db
def test_register_with_bad_input_is_bad_user_input(gql, fields, field):
    result = gql(REGISTER, registration(**fields))

    assert result.data is None
    assert result.error["extensions"]["code"] == "BAD_USER_INPUT"
    assert field in result.error["extensions"]["fields"]
    assert User.objects.count() == 0
    assert Session.objects.count() == 0


@pytest.mark.django_db
def test_register_accepts_matching_password_confirm(gql):
    result = gql(REGISTER, registration(passwordConfirm=PASSWORD))
    assert result.data["register"]["user"]["username"] == "carol"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "ALICE"}, "username"),
        ({"email": "Alice@Example.COM"}, "email"),
    ],
)
def test_register_taken_name_in_other_case_is_refused(gql, user, fields, field):
    result = gql(REGISTER, registration(**fields))

    assert result.error["extensions"]["code"] == "BAD_USER_INPUT"
    assert field in result.error["extensions"]["fields"]
    assert User.objects.count() == 1


def test_email_is_unique_regardless_of_case_in_the_database(user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("other", email="ALICE@example.com", password="x")


def test_username_is_unique_regardless_of_case_in_the_database(user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("Alice", email="a2@example.com", password="x")


@pytest.mark.django_db
def test_register_with_missing_argument_is_a_graphql_error(gql):
    result = gql(REGISTER, {"input": {"username": "carol"}})
    assert set(result.codes) == {"BAD_USER_INPUT"}
    assert User.objects.count() == 0
