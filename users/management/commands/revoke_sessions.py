"""Sign a user out of every device from the command line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from users.sessions import revoke_user_sessions


class Command(BaseCommand):
    help = "Revoke every session of a user; their access tokens stop at once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model()._default_manager
        user = users.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        count = revoke_user_sessions(user, "admin_command")
        self.stdout.write(f"Revoked {count} session(s) of {user.get_username()}.")
