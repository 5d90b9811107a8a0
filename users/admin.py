"""Admin for users and their sessions; an admin can revoke a session."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from users.models import Session, User
from users.network import client_ip
from users.sessions import revoke_sessions


@admin.register(User)
class AccountAdmin(UserAdmin):
    pass


@admin.action(description="Revoke the selected sessions")
def revoke_selected(modeladmin, request, queryset) -> None:
    count = revoke_sessions(queryset, "admin", client_ip(request))
    modeladmin.message_user(request, f"{count} session(s) revoked.")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "created_at",
        "last_used_at",
        "ip_address",
        "revoked_at",
        "revoke_reason",
    )
    list_filter = ("revoke_reason",)
    search_fields = ("user__username", "user__email", "ip_address")
    readonly_fields = [f.name for f in Session._meta.fields]
    actions = [revoke_selected]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoke instead: a revoked row is the record reuse checks rely on.
        return False
