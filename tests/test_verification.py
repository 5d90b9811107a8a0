"""Email verification: the mailed link, verifyEmail, resend, the sign-in gate,
and an address change."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail, signing

from tests.conftest import PASSWORD
from users import verification
from users.models import User

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
NEW_PASSWORD = "a brand new passphrase"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken user { username emailVerified } }
}
"""
VERIFY = "mutation Verify($token: String!) { verifyEmail(token: $token) }"
RESEND = "mutation Resend($email: String!) { resendVerification(email: $email) }"
ME = "query { me { email emailVerified } }"
TOKEN_AUTH = """
mutation SignIn($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) { accessToken }
}
"""
UPDATE = """
mutation Update($input: UpdateProfileInput!) {
  updateProfile(input: $input) { email emailVerified }
}
"""
REFRESH = """
mutation Refresh($t: String) { refreshToken(refreshToken: $t) { accessToken } }
"""
REAUTH = """
mutation Reauth($password: String!) {
  reauthenticate(password: $password) { accessToken }
}
"""


def new_account(username: str = "carol") -> dict:
    return {
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
    }


def link_in(message: mail.EmailMessage) -> str:
    (link,) = re.findall(r"https?://\S+", message.body)
    return link


def token_in(message: mail.EmailMessage) -> str:
    (token,) = parse_qs(urlsplit(link_in(message)).query)["token"]
    return token


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def required(settings):
    settings.REQUIRE_VERIFIED_EMAIL = True
    return settings


@pytest.mark.django_db
def test_register_mails_one_verification_link_to_the_address(gql, settings):
    gql(REGISTER, {"input": new_account()})

    (message,) = mail.outbox
    assert message.to == ["carol@example.com"]
    prefix = settings.EMAIL_VERIFY_URL.split("{token}")[0]
    assert prefix.startswith(settings.SITE_URL)
    assert link_in(message).startswith(prefix)
    assert token_in(message)


@pytest.mark.django_db
def test_verification_link_ignores_a_forged_host_header(gql, settings):
    # Even with a lax ALLOWED_HOSTS, the link comes from settings alone.
    settings.ALLOWED_HOSTS = ["*"]
    settings.EMAIL_VERIFY_URL = "https://app.example.com/verify?token={token}"

    result = gql(
        REGISTER,
        {"input": new_account()},
        HTTP_HOST="evil.example",
        HTTP_X_FORWARDED_HOST="evil.example",
    )

    assert result.data["register"]["accessToken"]
    (message,) = mail.outbox
    assert link_in(message).startswith("https://app.example.com/verify?token=")
    assert "evil.example" not in message.body


@pytest.mark.django_db
def test_verify_email_with_mailed_token_marks_address_verified(gql):
    registered = gql(REGISTER, {"input": new_account()}).data["register"]
    access = registered["accessToken"]
    assert registered["user"]["emailVerified"] is False

    result = gql(VERIFY, {"token": token_in(mail.outbox[0])})

    assert result.data == {"verifyEmail": True}
    assert gql(ME, token=access).data["me"]["emailVerified"] is True
    assert User.objects.get(username="carol").email_verified is True


@pytest.mark.django_db
def test_verify_email_twice_with_same_token_is_token_invalid(gql):
    gql(REGISTER, {"input": new_account()})
    token = token_in(mail.outbox[0])
    assert gql(VERIFY, {"token": token}).data == {"verifyEmail": True}

    again = gql(VERIFY, {"token": token})

    assert again.data is None
    assert again.codes == ["TOKEN_INVALID"]


def _flip_last(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _other_user(token: str) -> str:
    _, _, rest = token.partition(":")
    forged = signing.dumps({"u": 999, "e": "carol@example.com"}, salt="other")
    return forged.partition(":")[0] + ":" + rest


TAMPERINGS = {
    "signature flipped": _flip_last,
    "payload swapped": _other_user,
    "garbage": lambda token: "not-a-token",
    "empty": lambda token: "",
    "wrong salt": lambda token: signing.dumps({"u": 1, "e": "carol@example.com"}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_verify_email_with_tampered_token_is_token_invalid(gql, tamper):
    gql(REGISTER, {"input": new_account()})

    result = gql(VERIFY, {"token": tamper(token_in(mail.outbox[0]))})

    assert result.codes == ["TOKEN_INVALID"]
    assert User.objects.get(username="carol").email_verified is False


@pytest.mark.django_db
def test_verify_email_after_max_age_is_token_expired(gql, settings, frozen):
    gql(REGISTER, {"input": new_account()})
    token = token_in(mail.outbox[0])

    frozen.shift(timedelta(seconds=settings.EMAIL_VERIFICATION_MAX_AGE + 1))
    result = gql(VERIFY, {"token": token})

    assert result.codes == ["TOKEN_EXPIRED"]
    assert User.objects.get(username="carol").email_verified is False


@pytest.mark.django_db
def test_verify_email_just_before_max_age_still_works(gql, settings, frozen):
    gql(REGISTER, {"input": new_account()})
    token = token_in(mail.outbox[0])

    frozen.shift(timedelta(seconds=settings.EMAIL_VERIFICATION_MAX_AGE - 1))

    assert gql(VERIFY, {"token": token}).data == {"verifyEmail": True}


def test_verify_email_for_an_address_since_changed_is_token_invalid(gql, user, tokens):
    old_token = verification.make_token(user)
    changed = gql(
        UPDATE, {"input": {"email": "new@example.com"}}, token=tokens["accessToken"]
    )
    assert changed.data["updateProfile"]["email"] == "new@example.com"

    result = gql(VERIFY, {"token": old_token})

    assert result.codes == ["TOKEN_INVALID"]
    user.refresh_from_db()
    assert user.email_verified is False


def test_verify_email_of_a_deactivated_user_is_token_invalid(gql, user):
    token = verification.make_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert gql(VERIFY, {"token": token}).codes == ["TOKEN_INVALID"]


def test_resend_verification_answers_alike_and_mails_only_the_unverified(
    gql, make_user
):
    make_user("unverified")
    make_user("verified", email_verified=True)
    make_user("gone", is_active=False)
    addresses = [
        "nobody@example.com",
        "verified@example.com",
        "gone@example.com",
        "UNVERIFIED@example.com",
    ]

    answers = [gql(RESEND, {"email": a}).json for a in addresses]

    assert answers == [{"data": {"resendVerification": True}}] * 4
    (message,) = mail.outbox
    assert message.to == ["unverified@example.com"]
    user = User.objects.get(username="unverified")
    assert gql(VERIFY, {"token": token_in(message)}).data == {"verifyEmail": True}
    user.refresh_from_db()
    assert user.email_verified is True


def test_resend_verification_with_blank_address_mails_nobody(
    gql, make_user, monkeypatch
):
    # An account made without an address (createsuperuser) must not match "".
    make_user("noaddress", email="")
    sent = []
    monkeypatch.setattr(verification, "send", sent.append)

    result = gql(RESEND, {"email": " "})

    assert result.data == {"resendVerification": True}
    assert sent == []


def test_resend_verification_past_the_limit_is_rate_limited(gql, user, settings):
    settings.RATE_LIMITS = {"mail_ip": (3, 3600)}
    for _ in range(3):
        assert gql(RESEND, {"email": user.email}).data == {"resendVerification": True}

    refused = gql(RESEND, {"email": user.email})

    assert refused.codes == ["RATE_LIMITED"]
    assert refused.error["extensions"]["retryAfter"] > 0
    assert len(mail.outbox) == 3


def test_resend_verification_is_limited_per_address_across_ips(gql, user, settings):
    settings.RATE_LIMITS = {"mail_ip": (2, 3600)}
    for ip in ("10.0.0.1", "10.0.0.2"):
        gql(RESEND, {"email": user.email}, REMOTE_ADDR=ip)

    refused = gql(RESEND, {"email": user.email}, REMOTE_ADDR="10.0.0.3")

    assert refused.codes == ["RATE_LIMITED"]
    assert len(mail.outbox) == 2


def test_unverified_user_with_right_password_gets_email_not_verified(
    gql, user, required
):
    result = gql(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})

    assert result.data is None
    assert result.codes == ["EMAIL_NOT_VERIFIED"]


def test_unverified_user_with_wrong_password_gets_invalid_credentials(
    gql, user, required
):
    result = gql(TOKEN_AUTH, {"username": "alice", "password": "wrong horse"})

    assert result.codes == ["INVALID_CREDENTIALS"]


@pytest.mark.django_db
def test_register_when_verification_required_creates_user_but_no_tokens(gql, required):
    result = gql(REGISTER, {"input": new_account()})

    assert result.data is None
    assert result.codes == ["EMAIL_NOT_VERIFIED"]
    user = User.objects.get(username="carol")
    assert user.check_password(PASSWORD)
    assert user.auth_sessions.count() == 0
    (message,) = mail.outbox
    assert message.to == ["carol@example.com"]


@pytest.mark.django_db
def test_sign_in_after_verifying_works_when_verification_required(gql, required):
    gql(REGISTER, {"input": new_account()})
    credentials = {"username": "carol", "password": PASSWORD}
    assert gql(TOKEN_AUTH, credentials).codes == ["EMAIL_NOT_VERIFIED"]

    assert gql(VERIFY, {"token": token_in(mail.outbox[0])}).data
    result = gql(TOKEN_AUTH, credentials)

    assert result.data["tokenAuth"]["accessToken"]


def test_email_change_mails_new_address_and_notifies_old(gql, make_user, sign_in):
    make_user("alice", email_verified=True)
    access = sign_in()["accessToken"]

    result = gql(UPDATE, {"input": {"email": "new@example.com"}}, token=access)

    assert result.data["updateProfile"] == {
        "email": "new@example.com",
        "emailVerified": False,
    }
    verify, notice = sorted(mail.outbox, key=lambda m: m.to != ["new@example.com"])
    assert verify.to == ["new@example.com"]
    assert notice.to == ["alice@example.com"]
    assert "new@example.com" in notice.body
    assert re.search(r"https?://", notice.body) is None
    assert gql(VERIFY, {"token": token_in(verify)}).data == {"verifyEmail": True}
    assert gql(ME, token=access).data["me"]["emailVerified"] is True


def test_email_change_with_old_auth_time_needs_reauthentication(
    gql, make_user, sign_in, frozen
):
    make_user("alice", email_verified=True)
    pair = sign_in()
    frozen.shift(timedelta(minutes=11))
    access = gql(REFRESH, {"t": pair["refreshToken"]}).data["refreshToken"]
    change = {"input": {"email": "new@example.com"}}

    refused = gql(UPDATE, change, token=access["accessToken"])

    assert refused.codes == ["REAUTHENTICATION_REQUIRED"]
    user = User.objects.get(username="alice")
    assert (user.email, user.email_verified) == ("alice@example.com", True)
    assert mail.outbox == []
    renewed = gql(REAUTH, {"password": PASSWORD}, token=access["accessToken"])
    fresh = renewed.data["reauthenticate"]["accessToken"]
    assert gql(UPDATE, change, token=fresh).data["updateProfile"]["email"] == (
        "new@example.com"
    )


def test_email_change_in_case_only_keeps_the_address_verified(gql, make_user, sign_in):
    make_user("alice", email_verified=True)
    access = sign_in()["accessToken"]

    gql(UPDATE, {"input": {"email": "Alice@Example.com"}}, token=access)

    assert mail.outbox == []
    assert gql(ME, token=access).data["me"]["emailVerified"] is True


def test_changing_a_verified_address_does_not_lock_the_owner_out(
    gql, user, tokens, settings
):
    from tests.conftest import PASSWORD, TOKEN_AUTH
    from users import verification

    verification.verify(verification.make_token(user))
    settings.REQUIRE_VERIFIED_EMAIL = True
    changed = gql(
        'mutation { updateProfile(input: {email: "typo@exampel.com"}) { email } }',
        token=tokens["accessToken"],
    )
    assert changed.data["updateProfile"]["email"] == "typo@exampel.com"

    again = gql(TOKEN_AUTH, {"username": "alice", "password": PASSWORD})

    assert again.data["tokenAuth"]["accessToken"]
