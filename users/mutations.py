"""Mutations of the users app: sign-up, sign-in, tokens, sessions, profile."""

import uuid
from datetime import UTC, datetime

import strawberry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from strawberry.types import Info

from schema.errors import (
    EmailNotVerified,
    NotFound,
    TokenInvalid,
    TokenRevoked,
    Unauthenticated,
)
from schema.permissions import signed_in
from users import cookies, emails, ratelimit, verification
from users import refresh as refresh_tokens
from users.models import RefreshToken, Session, User
from users.network import client_ip
from users.passwords import confirm_identity
from users.recent_auth import require_recent_auth
from users.security_log import security_log
from users.sessions import is_session_revoked, revoke_sessions, revoke_user_sessions
from users.signin import check_credentials, sign_in, token_pair
from users.tokens import decode_access_token
from users.types import AuthPayload, TokenInfo, auth_payload
from users.types import User as UserType
from users.validation import (
    email_errors,
    name_errors,
    password_errors,
    raise_if_any,
    username_errors,
)


@strawberry.input
class RegisterInput:
    username: str
    email: str
    password: str
    password_confirm: str | None = strawberry.field(
        default=None, description="When given, must equal password."
    )
    first_name: str = ""
    last_name: str = ""


@strawberry.input
class UpdateProfileInput:
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


def _fresh_tokens(info: Info, session: Session) -> AuthPayload:
    """Replace the session's refresh token and issue a new pair."""
    with transaction.atomic():
        RefreshToken.objects.filter(session=session, used_at__isnull=True).delete()
        refresh = refresh_tokens.issue_refresh_token(session)
    return auth_payload(info, token_pair(session, refresh))


def current_session(info: Info) -> Session:
    """The caller's session row, with its user."""
    sid = info.context.auth.session_id
    session = Session.objects.select_related("user").filter(pk=sid).first()
    if session is None:  # deleted since the token was checked
        raise Unauthenticated("TOKEN_REVOKED")
    return session


@strawberry.type
class UserMutation:
    @strawberry.mutation(description="Create an account and sign it in.")
    def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        ratelimit.hit("register_ip", client_ip(info.context.request))
        user = User(
            username=input.username,
            email=input.email.strip(),
            first_name=input.first_name,
            last_name=input.last_name,
        )
        errors = {
            "username": username_errors(input.username),
            "email": email_errors(user.email),
            "password": password_errors(input.password, user),
            **name_errors({"firstName": input.first_name, "lastName": input.last_name}),
        }
        if (
            input.password_confirm is not None
            and input.password_confirm != input.password
        ):
            errors["passwordConfirm"] = ["The two passwords do not match."]
        raise_if_any(errors)

        user.set_password(input.password)
        must_verify = settings.REQUIRE_VERIFIED_EMAIL
        try:
            with transaction.atomic():
                user.save()
                pair = None if must_verify else sign_in(info.context.request, user)
        except IntegrityError:
            # Two sign-ups raced for one name; the loser gets the usual error.
            raise_if_any(
                {
                    "username": username_errors(input.username),
                    "email": email_errors(user.email),
                }
            )
            raise
        security_log.info("registered user=%s", user.pk)
        verification.send(user)
        if pair is None:
            raise EmailNotVerified(
                "Account created. Confirm your email address, then sign in."
            )
        return auth_payload(info, pair)

    @strawberry.mutation(description="Sign in with a username or email address.")
    def token_auth(
        self, info: Info, username: str, password: str, otp: str | None = None
    ) -> AuthPayload:
        request = info.context.request
        user = check_credentials(request, username, password, otp)
        return auth_payload(info, sign_in(request, user))

    @strawberry.mutation(
        description="Exchange a refresh token for a new pair; the old one is spent."
    )
    def refresh_token(
        self, info: Info, refresh_token: str | None = None
    ) -> AuthPayload:
        request = info.context.request
        ip = client_ip(request)
        ratelimit.hit("refresh_ip", ip)
        raw = cookies.read(request, refresh_token)
        try:
            rotation = refresh_tokens.rotate(raw, ip)
        except TokenInvalid:
            if refresh_token is None and raw is not None:
                cookies.clear(info.context.response)  # a dead cookie goes
            raise
        session = rotation.session
        security_log.info(
            "refresh user=%s sid=%s retried=%s ip=%s",
            session.user_id,
            session.pk,
            rotation.retried,
            ip,
        )
        return auth_payload(info, token_pair(session, rotation.refresh_token))

    @strawberry.mutation(description="Check an access token and show its claims.")
    def verify_token(self, info: Info, token: str) -> TokenInfo:
        ratelimit.hit("token_check_ip", client_ip(info.context.request))
        payload = decode_access_token(token)
        if is_session_revoked(payload["sid"]):
            raise TokenRevoked()
        expires_at = datetime.fromtimestamp(payload["exp"], tz=UTC)
        # A copy: the verified payload is shared with later requests.
        return TokenInfo(
            token_type="access", expires_at=expires_at, payload=dict(payload)
        )

    @strawberry.mutation(
        description="Sign this device out: the session of the refresh token given, "
        "else of the refresh cookie, else of the Bearer access token."
    )
    def revoke_token(self, info: Info, refresh_token: str | None = None) -> bool:
        request = info.context.request
        ratelimit.hit("token_check_ip", client_ip(request))
        raw = cookies.read(request, refresh_token)
        if raw is None and info.context.auth.session_id:
            # No refresh token at hand: the Bearer token names this device.
            session_id = info.context.auth.session_id
        else:
            session_id = refresh_tokens.find_token(raw).session_id
        revoke_sessions(
            Session.objects.filter(pk=session_id), "sign_out", client_ip(request)
        )
        if refresh_token is None or refresh_token == cookies.read(request, None):
            cookies.clear(info.context.response)
        return True

    @strawberry.mutation(
        extensions=signed_in(), description="Sign one of your devices out."
    )
    def revoke_session(self, info: Info, id: strawberry.ID) -> bool:
        auth = info.context.auth
        try:
            session_id = uuid.UUID(str(id))
        except ValueError:
            raise NotFound()
        if str(session_id) != auth.session_id:
            require_recent_auth(auth.payload)
        sessions = Session.objects.filter(user_id=auth.user.pk, pk=session_id)
        if not sessions.exists():
            raise NotFound()
        revoke_sessions(sessions, "sign_out", client_ip(info.context.request))
        if str(session_id) == auth.session_id:
            cookies.clear(info.context.response)
        return True

    @strawberry.mutation(
        extensions=signed_in(),
        description="Sign every device out; returns how many sessions ended.",
    )
    def revoke_all_tokens(self, info: Info) -> int:
        auth = info.context.auth
        require_recent_auth(auth.payload)
        cookies.clear(info.context.response)
        ip = client_ip(info.context.request)
        return revoke_user_sessions(auth.user, "sign_out_all", ip=ip)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Prove the password again to renew auth_time for this session.",
    )
    def reauthenticate(
        self, info: Info, password: str, otp: str | None = None
    ) -> AuthPayload:
        session = current_session(info)
        confirm_identity(session, password, otp)
        with transaction.atomic():
            session.auth_time = timezone.now()
            session.save(update_fields=["auth_time"])
            return _fresh_tokens(info, session)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Change the password; every other session is signed out.",
    )
    def change_password(
        self, info: Info, old_password: str, new_password: str
    ) -> AuthPayload:
        session = current_session(info)
        user = session.user
        confirm_identity(session, old_password)
        errors = password_errors(new_password, user)
        if new_password == old_password:
            errors.append("The new password must differ from the current one.")
        raise_if_any({"newPassword": errors})

        with transaction.atomic():
            user.set_password(new_password)
            user._keep_session_id = session.pk
            user.save(update_fields=["password"])
            session.auth_time = timezone.now()
            session.save(update_fields=["auth_time"])
            payload = _fresh_tokens(info, session)
        security_log.info("password changed user=%s sid=%s", user.pk, session.pk)
        return payload

    @strawberry.mutation(extensions=signed_in(), description="Update your profile.")
    def update_profile(self, info: Info, input: UpdateProfileInput) -> UserType:
        auth = info.context.auth
        user = User.objects.get(pk=auth.user.pk)
        email = input.email.strip() if input.email is not None else None
        old_email = user.email
        email_changed = email is not None and email.lower() != old_email.lower()
        errors = name_errors(
            {"firstName": input.first_name, "lastName": input.last_name}
        )
        if email_changed:
            require_recent_auth(auth.payload)
            errors["email"] = email_errors(email, exclude_pk=user.pk)
        raise_if_any(errors)

        changes = {
            "email": email,
            "first_name": input.first_name,
            "last_name": input.last_name,
            # A new address is unproven until its owner follows the link.
            "email_verified": False if email_changed else None,
        }
        fields = [name for name, value in changes.items() if value is not None]
        if not fields:
            return user
        for name in fields:
            setattr(user, name, changes[name])
        try:
            with transaction.atomic():
                user.save(update_fields=fields)
        except IntegrityError:
            raise_if_any({"email": ["A user with that email address already exists."]})
            raise
        if email_changed:
            verification.send(user)
            emails.send_address_changed(user, old_email)
            security_log.info("email changed user=%s", user.pk)
        return user
