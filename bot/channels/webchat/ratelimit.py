"""A token bucket per client address, for the routes that mint Direct Line tokens.

Each token starts a conversation (memory, a welcome turn), so minting is what a flood
would aim at. The limiter's own memory is bounded too: past `max_clients` addresses the
least recently seen is forgotten (a forgotten address simply starts with a full bucket).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_BURST = 5
DEFAULT_MAX_CLIENTS = 10_000
IPV6_PREFIX = 64  # one IPv6 client usually owns a whole /64: rotating inside it must not reset the bucket


@dataclass(frozen=True)
class RateDecision:
    """Whether one more request is allowed now, and if not, how many seconds until it would be."""

    allowed: bool
    retry_after_s: int = 0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`per_minute` requests per key on average, `burst` at once; one instance per app."""

    def __init__(
        self,
        per_minute: int,
        *,
        burst: int | None = None,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.burst = max(1, burst if burst is not None else min(per_minute, DEFAULT_BURST))
        self.max_clients = max_clients
        self._rate_per_s = per_minute / 60.0
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> RateDecision:
        """Spend one token of `key`'s bucket if it has one."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self._rate_per_s)
            bucket.updated = now
            self._buckets.move_to_end(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return RateDecision(True)
        return RateDecision(False, max(1, math.ceil((1.0 - bucket.tokens) / self._rate_per_s)))

    def __len__(self) -> int:
        return len(self._buckets)


def client_key(remote: str | None) -> str:
    """The key a client is limited under: its IPv4 address, or its IPv6 /64.

    Only the connection's peer address is used: X-Forwarded-For is whatever the client
    writes. Behind a reverse proxy every client shares the proxy's bucket, so limit there.
    """
    if not remote:
        return "unknown"
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote[:64]  # a Unix socket path or similar: one bucket for it
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)
