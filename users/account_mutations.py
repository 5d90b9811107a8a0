"""Account lifecycle mutations: email verification, password reset, TOTP."""

import strawberry
from strawberry.types import Info

from schema.errors import BadUserInput, OtpInvalid
from schema.permissions import signed_in
from users import ratelimit, reset, totp, verification
from users.mutations import current_session
from users.network import client_ip
from users.passwords import confirm_identity
from users.recent_auth import require_recent_auth
from users.validation import MAX_EMAIL_LENGTH


@strawberry.type(description="A new authenticator secret, shown this once.")
class TotpSetup:
    secret: str = strawberry.field(description="Base32, for manual entry.")
    otpauth_uri: str = strawberry.field(description="otpauth:// URI, for a QR code.")


@strawberry.type(description="Two-factor sign-in is on.")
class TotpConfirmation:
    recovery_codes: list[str] = strawberry.field(
        description="One-time codes for when the authenticator is lost; shown once."
    )


def _mail_request(info: Info, email: str) -> None:
    """Check an address asked to be mailed, and count the request against
    the limits of the client's address and of the email address."""
    if len(email) > MAX_EMAIL_LENGTH:
        raise BadUserInput({"email": [f"At most {MAX_EMAIL_LENGTH} characters."]})
    ratelimit.hit("mail_ip", client_ip(info.context.request))
    ratelimit.hit("mail_ip", "email:" + email.strip().lower())


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Confirm an email address with its token.")
    def verify_email(self, info: Info, token: str) -> bool:
        ratelimit.hit("token_check_ip", client_ip(info.context.request))
        verification.verify(token)
        return True

    @strawberry.mutation(
        description="Send the verification link again. Answers true whether or "
        "not the address has an unverified account."
    )
    def resend_verification(self, info: Info, email: str) -> bool:
        _mail_request(info, email)
        verification.resend(email)
        return True

    @strawberry.mutation(
        description="Mail a password reset link. Answers true whether or not "
        "the address has an account."
    )
    def request_password_reset(self, info: Info, email: str) -> bool:
        _mail_request(info, email)
        reset.request_reset(email)
        return True

    @strawberry.mutation(
        description="Set a new password with a reset token. Every session ends; "
        "sign in afterwards (with your second factor, if on)."
    )
    def reset_password(self, info: Info, token: str, new_password: str) -> bool:
        ratelimit.hit("token_check_ip", client_ip(info.context.request))
        reset.reset_password(token, new_password)
        return True

    @strawberry.mutation(
        extensions=signed_in(),
        description="Start turning on two-factor sign-in (needs a recent "
        "authentication); confirm with confirmTotp.",
    )
    def setup_totp(self, info: Info) -> TotpSetup:
        require_recent_auth(info.context.auth.payload)
        user = current_session(info).user
        if totp.enabled(user):
            raise BadUserInput({"totp": ["Two-factor sign-in is already on."]})
        device = totp.start_setup(user)
        return TotpSetup(secret=totp.secret_of(device), otpauth_uri=device.config_url)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Turn two-factor sign-in on with a code from the app.",
    )
    def confirm_totp(self, info: Info, code: str) -> TotpConfirmation:
        require_recent_auth(info.context.auth.payload)
        user = current_session(info).user
        subject = f"user:{user.pk}"
        ratelimit.hit("password_check_user", subject)
        codes = totp.confirm_setup(user, code)
        ratelimit.forgive("password_check_user", subject)
        return TotpConfirmation(recovery_codes=codes)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Turn two-factor sign-in off; needs the password and a code.",
    )
    def disable_totp(self, info: Info, password: str, code: str) -> bool:
        require_recent_auth(info.context.auth.payload)
        session = current_session(info)
        if not totp.enabled(session.user):
            raise OtpInvalid("Two-factor sign-in is not on.")
        confirm_identity(session, password, code)
        totp.disable(session.user)
        return True
