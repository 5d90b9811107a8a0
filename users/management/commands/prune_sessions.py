"""Delete expired sessions and those revoked long ago; safe under load."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from users.models import Session


class Command(BaseCommand):
    help = (
        "Delete sessions that expired, or were revoked more than --keep-days "
        "ago, with their refresh tokens. Safe to run from cron while serving."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--keep-days",
            type=int,
            default=7,
            help="Keep revoked and expired sessions this many days (default 7).",
        )

    def handle(self, *args, keep_days: int, **options) -> None:
        if keep_days < 1:
            # Revocations younger than an access token's lifetime are reloaded
            # from these rows when a process starts; keep at least a day.
            raise CommandError("--keep-days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=keep_days)
        # Rows are chosen by times in the past only, so a session in use can
        # never match; a revoked session's tokens are void already.
        old = Session.objects.filter(
            Q(revoked_at__lt=cutoff) | Q(idle_expires_at__lt=cutoff)
        )
        _, by_model = old.delete()
        count = by_model.get("users.Session", 0)
        self.stdout.write(f"Deleted {count} session(s).")
