"""Requests per minute per API key, shared by every worker and replica that share a store.

The ``limits`` library does the counting: in memory by default (one process), in Redis
when ``LOANS_REDIS_URL`` is set, so N workers or N replicas enforce one limit instead of
N times it. A limiter whose store does not answer lets requests through and logs it: an
outage of the counter must not become an outage of the bank's credit desk. "Does not
answer" includes a Redis that hangs: every call to it gives up after
``REDIS_TIMEOUT_SECONDS``, so a request waits that long at most, not the system's TCP
timeout.
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

from limits import RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from app.core.errors import RateLimited

log = logging.getLogger("app.rate_limit")

_NAMESPACE = "loans-api-key"

#: How long one call to Redis (connecting included) may take before the request is let through.
REDIS_TIMEOUT_SECONDS = 0.25


@lru_cache(maxsize=8)
def _item(per_minute: int) -> RateLimitItemPerMinute:
    return RateLimitItemPerMinute(per_minute)


class RateLimiter:
    def __init__(self, per_minute: int, *, redis_url: str | None = None) -> None:
        self.per_minute = per_minute
        store = (
            storage_from_string("async+memory://")
            if not redis_url
            else storage_from_string(
                "async+" + redis_url, implementation="redispy",
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        )
        self._limiter = SlidingWindowCounterRateLimiter(store)

    async def check(self, key_id: int) -> None:
        """Count one request of ``key_id``; 429 with ``Retry-After`` above the limit."""
        if self.per_minute <= 0:
            return
        item = _item(self.per_minute)
        try:
            if await self._limiter.hit(item, _NAMESPACE, str(key_id)):
                return
            stats = await self._limiter.get_window_stats(item, _NAMESPACE, str(key_id))
        except Exception as exc:  # noqa: BLE001 - a broken counter must not refuse service
            log.warning("rate limit store unavailable (%s); request let through", type(exc).__name__)
            return
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"More than {self.per_minute} requests per minute for this key.",
            headers={"Retry-After": str(retry)},
        )
