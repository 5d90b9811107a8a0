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

    def get_actions(
        self,
        request: HttpRequest,
        action_location: admin.ActionLocation = admin.ActionLocation.CHANGE_LIST,
    ) -> dict[str, Any]:
        # Offer revoking, not deleting: a revoked row keeps the record that
        # reuse checks rely on. (Deleting stays possible, for a user's
        # deletion to cascade, and still revokes: see users.signals.)
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions
