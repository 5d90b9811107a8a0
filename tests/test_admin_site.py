"""The admin login: staff with two-factor on give their code, others do not."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from users import totp

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LOGIN = "/admin/login/?next=/admin/"
INDEX = "/admin/"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def staff(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def device(staff) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)


def code_of(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key).token():06d}"


def log_in(client: Client, code: str | None = None, password: str = PASSWORD, **kw):
    form = {"username": "root", "password": password}
    if code is not None:
        form["otp_token"] = code
    return client.post(LOGIN, form, **kw)


def signed_in(client: Client) -> bool:
    return client.get(INDEX).status_code == 200


def test_login_page_offers_a_code_field(client, db):
    page = client.get(LOGIN)

    assert page.status_code == 200
    assert b'name="otp_token"' in page.content


def test_staff_without_two_factor_signs_in_with_password_alone(client, staff):
    response = log_in(client)

    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert signed_in(client)


def test_staff_with_two_factor_and_no_code_is_refused(client, device, clock):
    response = log_in(client)

    assert response.status_code == 200
    assert b"two-factor code" in response.content
    assert not signed_in(client)


def test_staff_with_two_factor_and_wrong_code_is_refused(client, device, clock):
    right = code_of(device)
    wrong = "000000" if right != "000000" else "111111"

    response = log_in(client, wrong)

    assert response.status_code == 200
    assert not signed_in(client)


def test_staff_with_two_factor_and_right_code_signs_in(client, device, clock):
    response = log_in(client, code_of(device))

    assert response.status_code == 302
    assert signed_in(client)


def test_code_replayed_at_the_admin_is_refused(client, device, clock):
    code = code_of(device)
    assert log_in(client, code).status_code == 302

    clock.shift(timedelta(seconds=10))
    other = Client()

    assert log_in(other, code).status_code == 200
    assert not signed_in(other)


def test_code_spent_at_the_api_is_refused_at_the_admin(gql, client, device, clock):
    code = code_of(device)
    signed = gql(
        'mutation($o: String) { tokenAuth(username: "root", '
        f'password: "{PASSWORD}", otp: $o) {{ accessToken }} }}',
        {"o": code},
    )
    assert signed.data["tokenAuth"]["accessToken"]

    assert log_in(client, code).status_code == 200
    assert not signed_in(client)


def test_recovery_code_signs_in_at_the_admin_once(client, staff, clock):
    unconfirmed = totp.start_setup(staff)
    codes = totp.confirm_setup(staff, code_of(unconfirmed))

    assert log_in(client, codes[0]).status_code == 302
    assert log_in(Client(), codes[0]).status_code == 200


def test_wrong_password_with_right_code_is_refused(client, device, clock):
    response = log_in(client, code_of(device), password="wrong horse battery")

    assert response.status_code == 200
    assert not signed_in(client)
    # The code was not spent by the refused attempt.
    assert log_in(client, code_of(device)).status_code == 302


def test_admin_login_attempts_share_the_account_limit(client, staff, settings):
    settings.RATE_LIMITS = {"sign_in_account": (3, 900)}
    for _ in range(3):
        log_in(client, password="wrong horse battery")

    response = log_in(client)

    assert response.status_code == 200
    assert b"Too many attempts" in response.content
    assert not signed_in(client)


def test_session_without_a_verified_code_is_not_let_in(client, device):
    # A session opened some other way (say, before two-factor was turned
    # on) does not reach the admin until the code is given.
    client.force_login(device.user)

    assert not signed_in(client)


def test_non_staff_user_is_refused_even_with_two_factor(client, make_user, clock):
    user = make_user("root")
    device = TOTPDevice.objects.create(user=user, name="authenticator")

    assert log_in(client, code_of(device)).status_code == 200
    assert not signed_in(client)


def test_admin_keeps_the_registered_models(admin_client):
    for path in ("/admin/users/user/", "/admin/users/session/", "/admin/auth/group/"):
        assert admin_client.get(path).status_code == 200


def test_admin_can_delete_a_user_with_sessions_and_their_tokens_stop(
    gql, admin_client, make_user, sign_in
):
    from users.models import User

    make_user("bob")
    access = sign_in("bob")["accessToken"]
    bob = User.objects.get(username="bob")

    response = admin_client.post(f"/admin/users/user/{bob.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(username="bob").exists()
    assert gql("{ me { id } }", token=access).codes == ["UNAUTHENTICATED"]
