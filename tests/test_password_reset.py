"""Password reset: the request, the mailed link, resetPassword and its attacks."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from users import emails, reset
from users.models import Session, User

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
NEW_PASSWORD = "a brand new passphrase"

REQUEST = "mutation Ask($email: String!) { requestPasswordReset(email: $email) }"
RESET = """
mutation Reset($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password)
}
"""
ME = "query { me { id } }"
TOKEN_AUTH = """
mutation SignIn($username: String!, $password: String!, $otp: String) {
  tokenAuth(username: $username, password: $password, otp: $otp) { accessToken }
}
"""
REFRESH = """
mutation Refresh($t: String) { refreshToken(refreshToken: $t) { accessToken } }
"""


def token_in(message: mail.EmailMessage) -> str:
    (link,) = re.findall(r"https?://\S+", message.body)
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token


def mailed_token(gql, email: str = "alice@example.com") -> str:
    assert gql(REQUEST, {"email": email}).data == {"requestPasswordReset": True}
    return token_in(mail.outbox[-1])


def sign_in_code(gql, password: str, otp: str | None = None) -> list[str]:
    variables = {"username": "alice", "password": password, "otp": otp}
    result = gql(TOKEN_AUTH, variables)
    return result.codes if result.errors else ["OK"]


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def test_request_answers_alike_for_known_and_unknown_addresses(gql, user):
    known = gql(REQUEST, {"email": "ALICE@example.com"})
    unknown = gql(REQUEST, {"email": "nobody@example.com"})

    assert known.json == unknown.json == {"data": {"requestPasswordReset": True}}
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]


@pytest.mark.parametrize(
    "fields",
    [{"is_active": False}, {"email": ""}],
    ids=["inactive", "no address"],
)
def test_request_for_inactive_or_blank_address_mails_nobody(
    gql, make_user, monkeypatch, fields
):
    make_user("carol", **fields)
    email = fields.get("email", "carol@example.com")
    sent = []
    monkeypatch.setattr(emails, "send_password_reset", lambda *a: sent.append(a))

    assert gql(REQUEST, {"email": email}).data == {"requestPasswordReset": True}
    assert sent == []
    assert mail.outbox == []


def test_request_for_user_without_usable_password_mails_nobody(gql, user):
    user.set_unusable_password()
    user.save()

    gql(REQUEST, {"email": "alice@example.com"})

    assert mail.outbox == []


def test_reset_link_uses_configured_url_despite_forged_host(gql, user, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_RESET_URL = "https://app.example.com/reset/{token}"

    gql(
        REQUEST,
        {"email": "alice@example.com"},
        HTTP_HOST="evil.example",
        HTTP_X_FORWARDED_HOST="evil.example",
    )

    (message,) = mail.outbox
    (link,) = re.findall(r"https?://\S+", message.body)
    assert link.startswith("https://app.example.com/reset/")
    assert "evil.example" not in message.body


def test_reset_link_defaults_to_the_site_url(gql, user, settings):
    gql(REQUEST, {"email": "alice@example.com"})

    (link,) = re.findall(r"https?://\S+", mail.outbox[0].body)
    assert link.startswith(settings.PASSWORD_RESET_URL.split("{token}")[0])
    assert link.startswith(settings.SITE_URL + "/")


def test_reset_sets_password_and_does_not_sign_in(gql, user):
    token = mailed_token(gql)

    result = gql(RESET, {"token": token, "password": NEW_PASSWORD})

    assert result.json == {"data": {"resetPassword": True}}
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert Session.objects.filter(user=user).count() == 0
    assert sign_in_code(gql, PASSWORD) == ["INVALID_CREDENTIALS"]
    assert sign_in_code(gql, NEW_PASSWORD) == ["OK"]


def test_reset_revokes_every_session(gql, user, sign_in):
    phone, laptop = sign_in(), sign_in()
    token = mailed_token(gql)

    assert gql(RESET, {"token": token, "password": NEW_PASSWORD}).data

    for pair in (phone, laptop):
        stale = gql(ME, token=pair["accessToken"])
        assert stale.error["extensions"] == {
            "code": "UNAUTHENTICATED",
            "reason": "TOKEN_REVOKED",
        }
        refused = gql(REFRESH, {"t": pair["refreshToken"]})
        assert refused.codes == ["TOKEN_REVOKED"]
    assert Session.objects.filter(user=user).live().count() == 0


@pytest.mark.parametrize(
    "weak", ["short", "password1234", "alice@example.com", "1234567890123"]
)
def test_reset_with_weak_password_is_bad_user_input_and_changes_nothing(
    gql, user, tokens, weak
):
    token = mailed_token(gql)

    result = gql(RESET, {"token": token, "password": weak})

    assert result.codes == ["BAD_USER_INPUT"]
    assert result.error["extensions"]["fields"]["newPassword"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert gql(ME, token=tokens["accessToken"]).data["me"]["id"] == str(user.pk)
    # The token was not spent by the refused attempt.
    assert gql(RESET, {"token": token, "password": NEW_PASSWORD}).data


def test_reset_with_same_token_twice_is_token_invalid(gql, user):
    token = mailed_token(gql)
    assert gql(RESET, {"token": token, "password": NEW_PASSWORD}).data

    again = gql(RESET, {"token": token, "password": "yet another passphrase"})

    assert again.codes == ["TOKEN_INVALID"]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def _uid(value: object) -> str:
    return urlsafe_base64_encode(force_bytes(value))


def _for_other_user(token: str, other: User) -> str:
    _, _, secret = token.partition(".")
    return f"{_uid(other.pk)}.{secret}"


TAMPERINGS = {
    "secret flipped": lambda t, o: t[:-1] + ("a" if t[-1] != "a" else "b"),
    "other user's uid": _for_other_user,
    "no secret": lambda t, o: t.partition(".")[0],
    "no uid": lambda t, o: "." + t.partition(".")[2],
    "uid not base64": lambda t, o: "!!!." + t.partition(".")[2],
    "uid not a number": lambda t, o: f"{_uid('abc')}.{t.partition('.')[2]}",
    "uid too big": lambda t, o: f"{_uid(10**30)}.{t.partition('.')[2]}",
    "uid not utf-8": lambda t, o: f"{_uid(b'\xff\xfe')}.{t.partition('.')[2]}",
    "garbage": lambda t, o: "garbage",
    "empty": lambda t, o: "",
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_reset_with_tampered_token_is_token_invalid(gql, user, other_user, tamper):
    token = tamper(mailed_token(gql), other_user)

    result = gql(RESET, {"token": token, "password": NEW_PASSWORD})

    assert result.codes == ["TOKEN_INVALID"]
    for account in (user, other_user):
        account.refresh_from_db()
        assert account.check_password(PASSWORD)


def test_reset_after_timeout_is_token_invalid(gql, user, settings, frozen):
    token = mailed_token(gql)

    frozen.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
    result = gql(RESET, {"token": token, "password": NEW_PASSWORD})

    assert result.codes == ["TOKEN_INVALID"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_token_mailed_before_an_email_change_is_token_invalid(gql, user):
    token = mailed_token(gql)
    user.email = "new@example.com"
    user.save(update_fields=["email"])

    result = gql(RESET, {"token": token, "password": NEW_PASSWORD})

    assert result.codes == ["TOKEN_INVALID"]


def test_reset_of_a_deactivated_user_is_token_invalid(gql, user):
    token = reset.make_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert gql(RESET, {"token": token, "password": NEW_PASSWORD}).codes == [
        "TOKEN_INVALID"
    ]


def test_request_past_the_limit_is_rate_limited(gql, user, settings):
    settings.RATE_LIMITS = {"mail_ip": (3, 3600)}
    for _ in range(3):
        gql(REQUEST, {"email": "alice@example.com"})

    refused = gql(REQUEST, {"email": "alice@example.com"})

    assert refused.codes == ["RATE_LIMITED"]
    assert refused.error["extensions"]["retryAfter"] > 0
    assert len(mail.outbox) == 3


def test_request_is_limited_per_address_across_ips(gql, user, settings):
    settings.RATE_LIMITS = {"mail_ip": (2, 3600)}
    for ip in ("10.0.0.1", "10.0.0.2"):
        gql(REQUEST, {"email": "alice@example.com"}, REMOTE_ADDR=ip)

    refused = gql(REQUEST, {"email": "Alice@Example.com "}, REMOTE_ADDR="10.0.0.3")

    assert refused.codes == ["RATE_LIMITED"]
    assert len(mail.outbox) == 2


def test_reset_attempts_past_the_limit_are_rate_limited(gql, user, settings):
    settings.RATE_LIMITS = {"token_check_ip": (3, 60)}
    token = mailed_token(gql)
    for _ in range(3):
        gql(RESET, {"token": "garbage", "password": NEW_PASSWORD})

    refused = gql(RESET, {"token": token, "password": NEW_PASSWORD})

    assert refused.codes == ["RATE_LIMITED"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_does_not_skip_the_second_factor(gql, user, frozen):
    device = TOTPDevice.objects.create(user=user, name="authenticator")
    token = mailed_token(gql)

    assert gql(RESET, {"token": token, "password": NEW_PASSWORD}).data

    assert sign_in_code(gql, NEW_PASSWORD) == ["OTP_REQUIRED"]
    code = f"{TOTP(device.bin_key).token():06d}"
    assert sign_in_code(gql, NEW_PASSWORD, code) == ["OK"]


def test_a_failing_mail_server_is_not_the_callers_error(gql, user, monkeypatch, caplog):
    from users import emails

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(emails, "send_mail", broken)

    result = gql('mutation { requestPasswordReset(email: "alice@example.com") }')

    assert result.data == {"requestPasswordReset": True}
    assert "failed" in caplog.text
