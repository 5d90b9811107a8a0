"""The user, the session (one sign-in on one device), its refresh tokens, and
the recovery codes of two-factor sign-in."""

import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class User(AbstractUser):
    """A person who signs in; username and email are unique in any case."""

    email = models.EmailField("email address")
    email_verified = models.BooleanField(
        default=False, help_text="The owner proved they receive mail at it."
    )
    verified_once = models.BooleanField(
        default=False,
        help_text="The owner has proved an address before; a new, unverified "
        "one does not lock them out.",
    )

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"), name="users_user_username_ci_unique"
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="users_user_email_ci_unique",
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        # AbstractBaseUser.save() clears _password, so read it first: a set
        # password (API, admin, management command) ends the other sessions.
        password_changed = self._password is not None
        super().save(*args, **kwargs)
        if password_changed and self.pk:
            from users.sessions import revoke_user_sessions

            keep = getattr(self, "_keep_session_id", None)
            revoke_user_sessions(self, "password_changed", keep=keep)


class SessionQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None) -> "SessionQuerySet":
        """Sessions that are neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(
            revoked_at__isnull=True, idle_expires_at__gt=now, expires_at__gt=now
        )


class Session(models.Model):
    """One sign-in on one device; access tokens name it in their ``sid``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="auth_sessions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    auth_time = models.DateTimeField(
        default=timezone.now, help_text="When this session last proved a password."
    )
    idle_expires_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Absolute end; no refresh extends it.")
    user_agent = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=40, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "-last_used_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.pk}"

    @property
    def refresh_expires_at(self) -> datetime:
        return min(self.idle_expires_at, self.expires_at)

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and now < self.refresh_expires_at


class RefreshToken(models.Model):
    """A refresh token, kept only as its SHA-256; used once, then rotated."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.session_id}@{self.created_at:%Y-%m-%d %H:%M:%S}"


class RecoveryCode(models.Model):
    """A one-time code that stands in for a TOTP code; kept only as a keyed hash."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"
