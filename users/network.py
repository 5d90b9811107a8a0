"""The client's address, trusting X-Forwarded-For only from listed proxies."""

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

UNKNOWN = "unknown"


@lru_cache(maxsize=4)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Any) -> str | None:
    """Return the client's IP address.

    ``REMOTE_ADDR`` is the client unless it is a proxy listed in
    ``TRUSTED_PROXIES``; then X-Forwarded-For is read from the right, past
    every trusted hop, to the first address a trusted proxy vouched for.
    """
    # No address at all (a unix socket) still counts as one client, so
    # per-address limits never switch off.
    remote = request.META.get("REMOTE_ADDR") or UNKNOWN
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return remote
