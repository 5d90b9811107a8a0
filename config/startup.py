"""Run the safety checks when a server starts, not only for manage.py."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def refuse_unsafe_settings() -> None:
    """Raise ImproperlyConfigured listing every serious system check failure."""
    problems = [m for m in checks.run_checks(tags=["graphql_auth"]) if m.is_serious()]
    if problems:
        raise ImproperlyConfigured("\n".join(str(problem) for problem in problems))
