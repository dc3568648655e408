"""Passerelle's own Redis: one key space (a ``Namespace`` per part), one way to connect, one way to read text.

The gateway's queue, the desk, the boards' console, the journal and the alerts all keep their state under ``gw:``;
Rasa's tracker and lock keys are Rasa's own (bot/dialogue/). Connections retry a command once on a fresh connection:
after a Redis restart each pooled connection fails once, and every command Passerelle sends is safe to repeat.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

PREFIX = "gw:"


class Namespace:
    """The keys of one part of Passerelle (``handoff``, ``console``...): ``Namespace("handoff")("conv", id)``."""

    def __init__(self, name: str) -> None:
        """Keys under ``gw:<name>:``."""
        self.prefix = f"{PREFIX}{name}:"

    def __call__(self, *parts: str) -> str:
        """The key made of ``parts`` (``"conv", "telegram:42"`` -> ``gw:handoff:conv:telegram:42``)."""
        return self.prefix + ":".join(parts)


def connect(url: str, timeout: float | None = None) -> Redis:
    """An asyncio client for ``url`` that retries a command once on a fresh connection (``timeout``: seconds)."""
    return Redis.from_url(
        url,
        retry=Retry(NoBackoff(), retries=1),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


def text(value: Any) -> str:
    """A Redis reply as text (clients built without ``decode_responses`` answer bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)
