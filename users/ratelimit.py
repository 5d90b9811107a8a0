"""Attempt limits for operations that check a secret, counted in the cache.

Each call of ``hit`` is one attempt, so a document with many aliases or a
batch of operations counts every one. Counters are fixed windows in the
"ratelimit" cache, shared by every app server that shares that cache. If the
cache fails, limiting goes on in this process's memory and an error is
logged, rather than silently letting every attempt through.
"""

import contextlib
import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.utils.connection import ConnectionProxy

from schema.errors import RateLimited
from users.network import UNKNOWN
from users.security_log import security_log

logger = logging.getLogger("users.ratelimit")
cache = ConnectionProxy(caches, "ratelimit")
_fallback = LocMemCache("ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


DEFAULT_RATES = {
    # A client address: every sign-in attempt, whatever the account.
    "sign_in_ip": Rate(30, 300),
    # An account: failed sign-ins (password or code), from any address. The
    # window ends by itself, so an attacker can delay, never lock out for good.
    "sign_in_account": Rate(10, 900),
    "register_ip": Rate(10, 3600),
    "refresh_ip": Rate(300, 60),
    "token_check_ip": Rate(300, 60),
    "password_check_user": Rate(10, 900),
    # Mail we send on request (verification, reset): per address and target.
    "mail_ip": Rate(5, 3600),
}


def rate(name: str) -> Rate:
    """Return the limit called ``name``: RATE_LIMITS over the defaults."""
    overrides = getattr(settings, "RATE_LIMITS", {})
    value = overrides.get(name, DEFAULT_RATES[name])
    return value if isinstance(value, Rate) else Rate(*value)


def _key(name: str, subject: str, window: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"rl:{name}:{digest}:{window}"


def _increment(key: str, timeout: int) -> int:
    try:
        cache.add(key, 0, timeout)
        return cache.incr(key)
    except Exception:
        logger.exception("Rate limit cache failed; counting in process memory.")
        _fallback.add(key, 0, timeout)
        return _fallback.incr(key)


def _window(name: str) -> tuple[Rate, int, int]:
    limit = rate(name)
    now = int(time.time())
    start = now - now % limit.period
    return limit, start, start + limit.period - now


def _is_ip(subject: str) -> bool:
    try:
        ipaddress.ip_address(subject)
    except ValueError:
        return subject == UNKNOWN
    return True


def _refuse(name: str, subject: str, retry_after: int) -> None:
    # Client addresses and user ids are logged; a typed name or an email
    # address stays out of the log.
    shown = subject if subject.startswith("user:") or _is_ip(subject) else "-"
    security_log.warning("rate limit reached limit=%s subject=%s", name, shown)
    raise RateLimited(retry_after=max(retry_after, 1))


def hit(name: str, subject: str | None) -> None:
    """Count one attempt; raise RATE_LIMITED once past the limit."""
    if not getattr(settings, "RATE_LIMIT_ENABLED", True) or not subject:
        return
    limit, start, retry_after = _window(name)
    count = _increment(_key(name, subject, start), limit.period)
    if count > limit.limit:
        _refuse(name, subject, retry_after)


def forgive(name: str, subject: str | None) -> None:
    """Take back one attempt, e.g. a sign-in that turned out to succeed.

    Counting before the check and forgiving after keeps concurrent attempts
    from all slipping under the limit while their passwords are hashed.
    """
    if not getattr(settings, "RATE_LIMIT_ENABLED", True) or not subject:
        return
    _, start, _ = _window(name)
    key = _key(name, subject, start)
    try:
        cache.decr(key)
    except ValueError:
        pass  # the window rolled over meanwhile
    except Exception:
        logger.exception("Rate limit cache failed; forgiving in process memory.")
        with contextlib.suppress(ValueError):
            _fallback.decr(key)
