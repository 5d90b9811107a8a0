"""Two-factor sign-in: setup, confirmation, recovery codes, sign-in, disabling,
replay and brute force."""

import logging
import secrets
from base64 import b32decode
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from users.models import RecoveryCode

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)
WRONG_PASSWORD = "wrong horse battery staple"

SETUP = "mutation { setupTotp { secret otpauthUri } }"
CONFIRM = """
mutation Confirm($code: String!) { confirmTotp(code: $code) { recoveryCodes } }
"""
DISABLE = """
mutation Disable($password: String!, $code: String!) {
  disableTotp(password: $password, code: $code)
}
"""
TOKEN_AUTH = """
mutation SignIn($username: String!, $password: String!, $otp: String) {
  tokenAuth(username: $username, password: $password, otp: $otp) {
    accessToken refreshToken
  }
}
"""
REAUTH = """
mutation Reauth($password: String!, $otp: String) {
  reauthenticate(password: $password, otp: $otp) { accessToken }
}
"""
REFRESH = """
mutation Refresh($t: String) {
  refreshToken(refreshToken: $t) { accessToken refreshToken }
}
"""
ME = "query { me { totpEnabled } }"


def code_for(secret: str, offset: int = 0) -> str:
    """The authenticator app's code for ``secret`` now, or ``offset`` steps on."""
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))
    totp.drift = offset
    return f"{totp.token():06d}"


def wrong_code(secret: str) -> str:
    right = {code_for(secret, offset) for offset in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def sign_in_codes(gql, otp=None, password=PASSWORD, **headers) -> list[str]:
    variables = {"username": "alice", "password": password, "otp": otp}
    result = gql(TOKEN_AUTH, variables, **headers)
    return result.codes if result.errors else ["OK"]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def access(clock, user, sign_in) -> str:
    return sign_in()["accessToken"]


@pytest.fixture
def enrolled(gql, user, access, clock) -> dict:
    """Alice with two-factor on: her secret, recovery codes and access token."""
    secret = gql(SETUP, token=access).data["setupTotp"]["secret"]
    confirmed = gql(CONFIRM, {"code": code_for(secret)}, token=access)
    clock.shift(STEP)  # past the step of the code spent on confirming
    return {
        "secret": secret,
        "recovery": confirmed.data["confirmTotp"]["recoveryCodes"],
        "access": access,
    }


def test_setup_returns_a_base32_secret_and_an_otpauth_uri(gql, user, access):
    setup = gql(SETUP, token=access).data["setupTotp"]

    secret = setup["secret"]
    assert len(b32decode(secret + "=" * (-len(secret) % 8))) >= 20
    uri = urlsplit(setup["otpauthUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert "alice" in uri.path
    params = parse_qs(uri.query)
    assert params["secret"] == [secret]
    assert params["digits"] == ["6"]
    assert params["period"] == ["30"]
    assert params["issuer"]


@pytest.mark.django_db
def test_setup_without_sign_in_is_unauthenticated(gql):
    assert gql(SETUP).codes == ["UNAUTHENTICATED"]
    assert TOTPDevice.objects.count() == 0


def test_setup_on_an_old_authentication_needs_reauthentication(
    gql, user, sign_in, clock
):
    pair = sign_in()
    clock.shift(timedelta(minutes=11))
    fresh = gql(REFRESH, {"t": pair["refreshToken"]}).data["refreshToken"]

    refused = gql(SETUP, token=fresh["accessToken"])

    assert refused.codes == ["REAUTHENTICATION_REQUIRED"]
    assert TOTPDevice.objects.count() == 0
    renewed = gql(REAUTH, {"password": PASSWORD}, token=fresh["accessToken"])
    again = gql(SETUP, token=renewed.data["reauthenticate"]["accessToken"])
    assert again.data["setupTotp"]["secret"]


def test_confirm_with_wrong_code_is_otp_invalid_and_leaves_it_off(
    gql, user, access, clock
):
    secret = gql(SETUP, token=access).data["setupTotp"]["secret"]

    result = gql(CONFIRM, {"code": wrong_code(secret)}, token=access)

    assert result.codes == ["OTP_INVALID"]
    assert gql(ME, token=access).data["me"]["totpEnabled"] is False
    assert RecoveryCode.objects.count() == 0
    assert sign_in_codes(gql) == ["OK"]


def test_confirm_with_right_code_turns_it_on_with_ten_recovery_codes(
    gql, user, access, clock
):
    secret = gql(SETUP, token=access).data["setupTotp"]["secret"]

    result = gql(CONFIRM, {"code": code_for(secret)}, token=access)

    codes = result.data["confirmTotp"]["recoveryCodes"]
    assert len(codes) == len(set(codes)) == 10
    assert gql(ME, token=access).data["me"]["totpEnabled"] is True


def test_recovery_codes_are_stored_only_hashed(gql, enrolled):
    rows = list(RecoveryCode.objects.values())
    stored = repr(rows).lower()

    assert len(rows) == 10
    for code in enrolled["recovery"]:
        assert code.lower() not in stored
        assert code.replace("-", "").lower() not in stored


def test_confirm_without_setup_is_otp_invalid(gql, user, access, clock):
    result = gql(CONFIRM, {"code": "123456"}, token=access)

    assert result.codes == ["OTP_INVALID"]
    assert gql(ME, token=access).data["me"]["totpEnabled"] is False


def test_unconfirmed_setup_does_not_ask_for_a_code_at_sign_in(gql, user, access, clock):
    gql(SETUP, token=access)

    assert sign_in_codes(gql) == ["OK"]


def test_sign_in_with_two_factor_on_needs_the_right_code(gql, enrolled, clock):
    secret = enrolled["secret"]

    assert sign_in_codes(gql) == ["OTP_REQUIRED"]
    assert sign_in_codes(gql, "") == ["OTP_REQUIRED"]
    clock.shift(timedelta(seconds=5))  # past django-otp's delay after a failure
    assert sign_in_codes(gql, wrong_code(secret)) == ["OTP_INVALID"]
    clock.shift(timedelta(seconds=5))
    assert sign_in_codes(gql, code_for(secret)) == ["OK"]


def test_sign_in_with_wrong_password_is_refused_before_the_code(gql, enrolled):
    codes = sign_in_codes(gql, code_for(enrolled["secret"]), WRONG_PASSWORD)

    assert codes == ["INVALID_CREDENTIALS"]
    # The code was not spent on the failed attempt.
    assert sign_in_codes(gql, code_for(enrolled["secret"])) == ["OK"]


def test_code_replayed_within_its_step_is_otp_invalid(gql, enrolled, clock):
    code = code_for(enrolled["secret"])
    assert sign_in_codes(gql, code) == ["OK"]

    clock.shift(timedelta(seconds=10))

    assert sign_in_codes(gql, code) == ["OTP_INVALID"]


def test_older_code_after_a_newer_one_is_otp_invalid(gql, enrolled, clock):
    older = code_for(enrolled["secret"])
    clock.shift(STEP)
    assert sign_in_codes(gql, code_for(enrolled["secret"])) == ["OK"]

    # Still within django-otp's one-step drift tolerance, but not after.
    assert sign_in_codes(gql, older) == ["OTP_INVALID"]


def test_code_spent_on_confirming_cannot_sign_in(gql, user, access, clock):
    secret = gql(SETUP, token=access).data["setupTotp"]["secret"]
    code = code_for(secret)
    assert gql(CONFIRM, {"code": code}, token=access).data

    assert sign_in_codes(gql, code) == ["OTP_INVALID"]


def test_recovery_code_signs_in_once(gql, enrolled, clock):
    code = enrolled["recovery"][0]

    assert sign_in_codes(gql, code) == ["OK"]
    assert sign_in_codes(gql, code) == ["OTP_INVALID"]
    assert sign_in_codes(gql, enrolled["recovery"][1].upper()) == ["OK"]
    assert RecoveryCode.objects.filter(used_at__isnull=True).count() == 8


def test_recovery_code_without_its_dash_still_works(gql, enrolled):
    code = enrolled["recovery"][0].replace("-", "")

    assert sign_in_codes(gql, code) == ["OK"]


def test_recovery_code_of_digits_only_is_not_taken_for_a_totp_code(
    gql, user, access, clock, monkeypatch
):
    # One code in about two thousand is hex digits only; typed without its
    # dash it must still be read as a recovery code.
    counter = iter(range(10**6))
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):0{2 * n}d}")
    secret = gql(SETUP, token=access).data["setupTotp"]["secret"]
    confirmed = gql(CONFIRM, {"code": code_for(secret)}, token=access)
    code = confirmed.data["confirmTotp"]["recoveryCodes"][0].replace("-", "")
    assert code.isdigit()

    assert sign_in_codes(gql, code) == ["OK"]


def test_recovery_code_of_another_user_is_otp_invalid(
    gql, enrolled, other_user, sign_in, clock
):
    bob = sign_in("bob")["accessToken"]
    secret = gql(SETUP, token=bob).data["setupTotp"]["secret"]
    bobs = gql(CONFIRM, {"code": code_for(secret)}, token=bob)
    bob_code = bobs.data["confirmTotp"]["recoveryCodes"][0]

    assert sign_in_codes(gql, bob_code) == ["OTP_INVALID"]


def test_repeated_wrong_codes_hit_the_account_limit(gql, enrolled, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # leave only our account limit
    wrong = wrong_code(enrolled["secret"])
    for i in range(10):
        ip = f"10.0.0.{i}"  # spread over addresses: the limit is the account's
        assert sign_in_codes(gql, wrong, REMOTE_ADDR=ip) == ["OTP_INVALID"]

    right = code_for(enrolled["secret"])
    refused = gql(TOKEN_AUTH, {"username": "alice", "password": PASSWORD, "otp": right})

    assert refused.codes == ["RATE_LIMITED"]
    assert refused.error["extensions"]["retryAfter"] > 0


def test_wrong_codes_and_wrong_passwords_share_the_account_limit(
    gql, enrolled, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    wrong = wrong_code(enrolled["secret"])
    for _ in range(5):
        assert sign_in_codes(gql, wrong) == ["OTP_INVALID"]
        assert sign_in_codes(gql, password=WRONG_PASSWORD) == ["INVALID_CREDENTIALS"]

    assert sign_in_codes(gql, code_for(enrolled["secret"])) == ["RATE_LIMITED"]


def test_django_otp_delays_the_next_code_after_a_failure(gql, enrolled, clock):
    secret = enrolled["secret"]
    assert sign_in_codes(gql, wrong_code(secret)) == ["OTP_INVALID"]

    refused = gql(
        TOKEN_AUTH, {"username": "alice", "password": PASSWORD, "otp": code_for(secret)}
    )

    assert refused.codes == ["RATE_LIMITED"]
    assert 1 <= refused.error["extensions"]["retryAfter"] <= 2
    clock.shift(timedelta(seconds=2))
    assert sign_in_codes(gql, code_for(secret)) == ["OK"]


def test_wrong_confirm_codes_hit_the_limit(gql, user, access, clock, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    secret = gql(SETUP, token=access).data["setupTotp"]["secret"]
    for _ in range(10):
        result = gql(CONFIRM, {"code": wrong_code(secret)}, token=access)
        assert result.codes == ["OTP_INVALID"]

    refused = gql(CONFIRM, {"code": code_for(secret)}, token=access)

    assert refused.codes == ["RATE_LIMITED"]
    assert gql(ME, token=access).data["me"]["totpEnabled"] is False


def test_wrong_confirm_code_delays_the_next_one(gql, user, access, clock):
    secret = gql(SETUP, token=access).data["setupTotp"]["secret"]
    gql(CONFIRM, {"code": wrong_code(secret)}, token=access)
    gql(CONFIRM, {"code": wrong_code(secret)}, token=access)

    refused = gql(CONFIRM, {"code": code_for(secret)}, token=access)

    assert refused.codes == ["RATE_LIMITED"]


def test_disable_with_password_and_code_turns_it_off(gql, enrolled, clock):
    access = enrolled["access"]

    result = gql(
        DISABLE,
        {"password": PASSWORD, "code": code_for(enrolled["secret"])},
        token=access,
    )

    assert result.data == {"disableTotp": True}
    assert gql(ME, token=access).data["me"]["totpEnabled"] is False
    assert RecoveryCode.objects.count() == 0
    assert TOTPDevice.objects.count() == 0
    assert sign_in_codes(gql) == ["OK"]


@pytest.mark.parametrize(
    ("password", "right_code", "code"),
    [
        (WRONG_PASSWORD, True, "INVALID_CREDENTIALS"),
        (PASSWORD, False, "OTP_INVALID"),
    ],
    ids=["wrong password", "wrong code"],
)
def test_disable_with_a_wrong_secret_leaves_it_on(
    gql, enrolled, password, right_code, code
):
    secret = enrolled["secret"]
    otp = code_for(secret) if right_code else wrong_code(secret)

    result = gql(DISABLE, {"password": password, "code": otp}, token=enrolled["access"])

    assert result.codes == [code]
    assert gql(ME, token=enrolled["access"]).data["me"]["totpEnabled"] is True
    assert sign_in_codes(gql) == ["OTP_REQUIRED"]


def test_disable_on_an_old_authentication_needs_reauthentication(gql, enrolled, clock):
    secret = enrolled["secret"]
    pair = gql(
        TOKEN_AUTH, {"username": "alice", "password": PASSWORD, "otp": code_for(secret)}
    ).data["tokenAuth"]
    clock.shift(timedelta(minutes=11))
    fresh = gql(REFRESH, {"t": pair["refreshToken"]}).data["refreshToken"]

    result = gql(
        DISABLE,
        {"password": PASSWORD, "code": code_for(secret)},
        token=fresh["accessToken"],
    )

    assert result.codes == ["REAUTHENTICATION_REQUIRED"]
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1


def test_setup_again_after_disabling_gives_a_new_secret(gql, enrolled, clock):
    access = enrolled["access"]
    gql(
        DISABLE,
        {"password": PASSWORD, "code": code_for(enrolled["secret"])},
        token=access,
    )

    again = gql(SETUP, token=access).data["setupTotp"]

    assert again["secret"] != enrolled["secret"]
    assert enrolled["secret"] not in again["otpauthUri"]


def test_setup_while_on_is_refused_and_keeps_the_secret(gql, enrolled, clock):
    result = gql(SETUP, token=enrolled["access"])

    assert result.codes == ["BAD_USER_INPUT"]
    assert enrolled["secret"] not in str(result.json)
    assert sign_in_codes(gql, code_for(enrolled["secret"])) == ["OK"]


def test_setup_twice_before_confirming_replaces_the_secret(gql, user, access, clock):
    first = gql(SETUP, token=access).data["setupTotp"]["secret"]
    second = gql(SETUP, token=access).data["setupTotp"]["secret"]

    assert first != second
    assert gql(CONFIRM, {"code": code_for(first)}, token=access).codes == [
        "OTP_INVALID"
    ]
    clock.shift(timedelta(seconds=5))
    assert gql(CONFIRM, {"code": code_for(second)}, token=access).data


def test_reauthenticate_with_two_factor_on_needs_the_code(gql, enrolled, clock):
    access = enrolled["access"]
    secret = enrolled["secret"]

    assert gql(REAUTH, {"password": PASSWORD}, token=access).codes == ["OTP_REQUIRED"]
    clock.shift(timedelta(seconds=5))
    wrong = gql(REAUTH, {"password": PASSWORD, "otp": wrong_code(secret)}, token=access)
    assert wrong.codes == ["OTP_INVALID"]
    clock.shift(timedelta(seconds=5))
    right = gql(REAUTH, {"password": PASSWORD, "otp": code_for(secret)}, token=access)
    assert right.data["reauthenticate"]["accessToken"]


def test_secret_and_codes_never_reach_the_log(gql, user, access, clock, caplog):
    caplog.set_level(logging.DEBUG)
    setup = gql(SETUP, token=access).data["setupTotp"]
    secret = setup["secret"]
    first = code_for(secret)
    recovery = gql(CONFIRM, {"code": first}, token=access)
    codes = recovery.data["confirmTotp"]["recoveryCodes"]
    clock.shift(STEP)
    sign_in_codes(gql, wrong_code(secret))
    clock.shift(STEP)
    second = code_for(secret)
    sign_in_codes(gql, second)
    sign_in_codes(gql, codes[0])
    clock.shift(STEP)
    third = code_for(secret)
    gql(DISABLE, {"password": PASSWORD, "code": third}, token=access)

    security = [r for r in caplog.records if r.name == "users.security"]
    messages = [r.getMessage() for r in security]
    assert any("two-factor enabled" in m for m in messages)
    assert any("recovery code used" in m for m in messages)
    assert any("two-factor disabled" in m for m in messages)
    secret_key = b32decode(secret + "=" * (-len(secret) % 8)).hex()
    for leaked in [secret, secret_key, setup["otpauthUri"], *codes]:
        assert leaked.lower() not in caplog.text.lower()
    for code in (first, second, third):
        assert all(code not in m for m in messages)
