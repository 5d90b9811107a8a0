"""The admin site: staff with two-factor sign-in on give their code too.

django-otp's ``OTPAdminSite`` asks every staff member for a code; this site
asks only those with a confirmed TOTP device, so staff without one sign in
with their password alone. Admin sign-in attempts count against the same
limits as the API's ``tokenAuth``.
"""

from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from schema.errors import OtpInvalid, OtpRequired, RateLimited
from users import ratelimit, totp
from users.network import client_ip
from users.signin import account_subject


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's password form plus the second factor, when it is on."""

    otp_token = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=32,
        help_text="Only if two-factor sign-in is on: a code from your app "
        "or a recovery code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": "Enter the two-factor code from your app.",
        "otp_invalid": "The two-factor code is not correct.",
        "rate_limited": "Too many attempts; try again later.",
    }

    def clean(self) -> dict[str, Any]:
        subject = account_subject(self.cleaned_data.get("username") or "")
        self._count_attempt(subject)
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned

        self._check_second_factor(user)
        ratelimit.forgive("sign_in_account", subject)
        return cleaned

    def _count_attempt(self, subject: str) -> None:
        try:
            ratelimit.hit("sign_in_ip", client_ip(self.request))
            ratelimit.hit("sign_in_account", subject)
        except RateLimited:
            raise self._error("rate_limited")

    def _check_second_factor(self, user: Any) -> None:
        try:
            totp.check_second_factor(user, self.cleaned_data.get("otp_token"))
        except OtpRequired:
            raise self._error("otp_required")
        except OtpInvalid:
            raise self._error("otp_invalid")
        except RateLimited:
            raise self._error("rate_limited")
        # django-otp's user_logged_in receiver marks the session verified.
        device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
        if device is not None:
            user.otp_device = device

    def _error(self, code: str) -> ValidationError:
        return ValidationError(self.error_messages[code], code=code)


class StaffAdminSite(AdminSite):
    """The admin, closed to staff whose session has not shown their code."""

    login_form = StaffAuthenticationForm
    login_template = "users/admin_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        user = request.user
        # OTPMiddleware gives is_verified(); without it nobody counts as verified.
        is_verified = getattr(user, "is_verified", lambda: False)
        return is_verified() or not totp.enabled(user)

    def adopt(self, other: AdminSite) -> None:
        """Register every model ``other`` has, with the same ModelAdmin class.

        Apps (auth, django-otp, ours) register on Django's default site; this
        site takes their registrations over so it can replace that one.
        """
        for model, model_admin in other._registry.items():
            if not self.is_registered(model):
                self.register(model, type(model_admin))


site = StaffAdminSite(name="admin")
