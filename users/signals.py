"""End a user's sessions when the account is deactivated or deleted."""

from typing import Any

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from users.models import Session, User
from users.sessions import mark_revoked, revoke_user_sessions


@receiver(post_save, sender=User)
def revoke_when_deactivated(sender: type, instance: User, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "is_active" not in update_fields:
        return
    if not instance.is_active:
        revoke_user_sessions(instance, "user_deactivated")


@receiver(pre_delete, sender=Session)
def revoke_when_session_deleted(sender: type, instance: Session, **kwargs: Any) -> None:
    # Rows deleted early (the admin, a cascade) must stop their tokens too.
    if instance.is_live():
        mark_revoked([instance.pk], "deleted")


@receiver(pre_delete, sender=User)
def revoke_when_deleted(sender: type, instance: User, **kwargs: Any) -> None:
    # The rows go with the user; the cache must still reject their tokens.
    live = Session.objects.filter(user=instance, revoked_at__isnull=True)
    mark_revoked(live.values_list("pk", flat=True), "user_deleted")
