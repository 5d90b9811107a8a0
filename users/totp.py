"""Two-factor sign-in with TOTP (RFC 6238) through django-otp.

django-otp's ``TOTPDevice`` verifies codes with clock drift tolerance,
refuses a code at or before the last accepted time step (no replay), and
throttles failures with growing delays. Recovery codes are our own: ten
random codes, each stored as a keyed hash and spent on use.
"""

import secrets
from base64 import b32encode
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from schema.errors import OtpInvalid, OtpRequired, RateLimited
from users.models import RecoveryCode
from users.security_log import security_log

RECOVERY_SALT = "users.totp.recovery-code"
DEVICE_NAME = "authenticator"


def enabled(user: Any) -> bool:
    """Whether the user has two-factor sign-in on (a confirmed device)."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def start_setup(user: Any) -> TOTPDevice:
    """Replace any unconfirmed device with a new secret awaiting a code."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The base32 secret an authenticator app takes; shown at setup only."""
    return b32encode(device.bin_key).decode().rstrip("=")


def _hash_code(code: str) -> str:
    normal = code.strip().replace("-", "").lower()
    return salted_hmac(RECOVERY_SALT, normal, algorithm="sha256").hexdigest()


def _new_recovery_codes(user: Any) -> list[str]:
    codes = [
        f"{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        for _ in range(settings.RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user_id=user.pk, code_hash=_hash_code(c)) for c in codes
    )
    return codes


def _verify_device(device: TOTPDevice, code: str) -> bool:
    allowed, details = device.verify_is_allowed()
    if not allowed:
        locked_until = (details or {}).get("locked_until")
        wait = (locked_until - timezone.now()).total_seconds() if locked_until else 1
        raise RateLimited(retry_after=max(int(wait) + 1, 1))
    return device.verify_token(code)


def confirm_setup(user: Any, code: str) -> list[str]:
    """Turn two-factor on with a first good code; return the recovery codes."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user_id=user.pk, confirmed=False)
            .first()
        )
        # Raise only after the block: rolling back would also undo the
        # failure count that django-otp's throttling just saved.
        verified = device is not None and _verify_device(device, code.strip())
        if verified:
            TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
    if not verified:
        raise OtpInvalid()
    security_log.info("two-factor enabled user=%s", user.pk)
    return codes


def _use_recovery_code(user: Any, code: str) -> bool:
    spent = RecoveryCode.objects.filter(
        user_id=user.pk, code_hash=_hash_code(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if spent:
        security_log.info("recovery code used user=%s", user.pk)
    return spent == 1


def check_second_factor(user: Any, code: str | None) -> None:
    """Raise unless the user has no TOTP or ``code`` is a good one.

    A code is the current TOTP code or an unused recovery code. The device
    row is locked while checking, so one code cannot pass twice at once.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user_id=user.pk, confirmed=True)
            .first()
        )
        if device is None:
            return
        if not code:
            raise OtpRequired()
        if len(code) > 32:
            raise OtpInvalid()
        code = code.strip()
        # A recovery code may be all digits once its dash is left out; only
        # the device's code length makes a TOTP code.
        if code.isdigit() and len(code) == device.digits:
            if _verify_device(device, code):
                return
        elif _use_recovery_code(user, code):
            return
    security_log.info("second factor failed user=%s", user.pk)
    raise OtpInvalid()


def disable(user: Any) -> None:
    """Turn two-factor sign-in off: the device and recovery codes go."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk).delete()
        RecoveryCode.objects.filter(user_id=user.pk).delete()
    security_log.info("two-factor disabled user=%s", user.pk)
