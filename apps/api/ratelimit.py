"""Fixed-window counters in the cache, for limits that must hold across processes.

Keys pass through the cache's KEY_FUNCTION, so they carry the tenant's schema.
"""
from __future__ import annotations

import time

from django.core.cache import cache


def _key(scope: str, ident: str, window: int) -> str:
    return f"rl:{scope}:{ident}:{int(time.time() // window)}"


def hits(scope: str, ident: str, window: int) -> int:
    return int(cache.get(_key(scope, ident, window)) or 0)


def hit(scope: str, ident: str, window: int) -> int:
    """Count one event; returns the count in the current window including this one."""
    key = _key(scope, ident, window)
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1


def reset(scope: str, ident: str, window: int) -> None:
    cache.delete(_key(scope, ident, window))


def retry_after(window: int) -> int:
    return int(window - time.time() % window) + 1
