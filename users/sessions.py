"""Sessions: start one per sign-in, revoke one or all, and check revocation.

Revocation is written to the database and mirrored in Django's cache, which
the request path reads, so checking an access token costs no query. The
cache only has to remember a revoked session for as long as an access token
of it can still be valid; a process that starts with an empty cache, or sees
the cache fail, reloads that window from the database once
(``load_recent_revocations``).
"""

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from users.conf import jwt_settings
from users.models import Session
from users.network import UNKNOWN, client_ip
from users.security_log import security_log

REVOKED_PREFIX = "auth:revoked-sid:"
_loaded = threading.Event()
logger = logging.getLogger("users.sessions")


def _marker_lifetime() -> int:
    # An access token of a revoked session stays decodable for at most its
    # lifetime plus the leeway; a minute more covers clock steps.
    return jwt_settings.ACCESS_TOKEN_LIFETIME + jwt_settings.LEEWAY + 60


def mark_revoked(session_ids: Iterable[Any], reason: str) -> None:
    """Record in the cache that these sessions' access tokens are void.

    A cache failure is logged, not raised: the database row is what counts,
    and ``is_session_revoked`` falls back to it while the cache is down.
    """
    markers = {f"{REVOKED_PREFIX}{sid}": reason for sid in session_ids}
    if not markers:
        return
    try:
        cache.set_many(markers, timeout=_marker_lifetime())
    except Exception:
        logger.exception("Revocation cache failed; the database still records it.")
        _loaded.clear()  # reload recent revocations once the cache is back


def is_session_revoked(session_id: str) -> bool:
    """Return whether the session was revoked (a cache read, no query).

    If the cache cannot be read, the database answers instead: slower, but
    neither a revoked token let through nor every caller turned away.
    """
    try:
        if not _loaded.is_set():
            load_recent_revocations()
        return cache.get(f"{REVOKED_PREFIX}{session_id}") is not None
    except Exception:
        logger.exception("Revocation cache failed; asking the database.")
        _loaded.clear()  # reload recent revocations once the cache is back
        live = Session.objects.filter(pk=session_id, revoked_at__isnull=True)
        return not live.exists()  # a deleted session counts as revoked


def load_recent_revocations() -> None:
    """Copy revocations recent enough to matter from the database to cache."""
    since = timezone.now() - timedelta(seconds=_marker_lifetime())
    rows = Session.objects.filter(revoked_at__gte=since).values_list(
        "pk", "revoke_reason"
    )
    for reason in {r for _, r in rows}:
        mark_revoked([pk for pk, r in rows if r == reason], reason)
    _loaded.set()


def start_session(
    user: Any, request: Any, auth_time: datetime | None = None
) -> Session:
    """Create the session row for a new sign-in on one device."""
    now = timezone.now()
    idle = timedelta(seconds=jwt_settings.REFRESH_TOKEN_IDLE_LIFETIME)
    absolute = now + timedelta(seconds=jwt_settings.SESSION_ABSOLUTE_LIFETIME)
    session = Session.objects.create(
        user=user,
        created_at=now,
        last_used_at=now,
        auth_time=auth_time or now,
        idle_expires_at=min(now + idle, absolute),
        expires_at=absolute,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        ip_address=ip if (ip := client_ip(request)) != UNKNOWN else None,
    )
    _enforce_session_cap(user)
    return session


def _enforce_session_cap(user: Any) -> None:
    """Revoke the least recently used live sessions beyond the cap."""
    cap = jwt_settings.MAX_SESSIONS_PER_USER
    live = Session.objects.filter(user_id=user.pk).live()
    excess = live.order_by("-last_used_at", "-created_at")[cap:]
    excess_ids = list(excess.values_list("pk", flat=True))
    if excess_ids:
        revoke_sessions(Session.objects.filter(pk__in=excess_ids), "session_cap")


def revoke_sessions(sessions: Any, reason: str, ip: str | None = None) -> int:
    """Revoke every live session of the queryset; return how many.

    ``ip`` is the address of the client that asked, for the security log.
    """
    live = sessions.filter(revoked_at__isnull=True)
    rows = list(live.values_list("pk", "user_id"))
    if not rows:
        return 0
    ids = [pk for pk, _ in rows]
    mark_revoked(ids, reason)
    count = Session.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason
    )
    for pk, user_id in rows:
        security_log.info(
            "session revoked user=%s sid=%s reason=%s ip=%s", user_id, pk, reason, ip
        )
    return count


def revoke_user_sessions(
    user: Any, reason: str, keep: Any = None, ip: str | None = None
) -> int:
    """Revoke all of the user's sessions, except ``keep`` when given."""
    sessions = Session.objects.filter(user_id=user.pk)
    if keep is not None:
        sessions = sessions.exclude(pk=keep)
    return revoke_sessions(sessions, reason, ip)
