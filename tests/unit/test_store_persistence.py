"""``/healthz`` and ``bot doctor`` say whether Redis keeps what it acknowledged, as Redis itself says."""

from __future__ import annotations

from typing import Any

from fakeredis import FakeAsyncRedis
from redis.exceptions import ResponseError

from bot.gateway.store import RedisStore


class StubRedis:
    """Only what RedisStore needs to start."""

    def register_script(self, script: str) -> None:
        return None


class ManagedRedis(StubRedis):
    """A provider's Redis: CONFIG is refused, INFO answers."""

    async def config_get(self, name: str) -> dict[str, Any]:
        raise ResponseError("unknown command 'CONFIG'")

    async def info(self, section: str) -> dict[str, Any]:
        return {"aof_enabled": 1}


class ConfiguredRedis(StubRedis):
    """A redis-server that answers CONFIG GET."""

    def __init__(self, appendonly: str) -> None:
        self.appendonly = appendonly

    async def config_get(self, name: str) -> dict[str, Any]:
        return {name: self.appendonly}


async def test_only_a_redis_that_says_it_keeps_an_aof_is_called_durable() -> None:
    assert await RedisStore(ConfiguredRedis("yes")).persistence() == "aof"
    assert await RedisStore(ConfiguredRedis("no")).persistence() == "off"
    assert await RedisStore(ManagedRedis()).persistence() == "unknown"


async def test_the_embedded_in_memory_redis_is_not_durable() -> None:
    # What `bot run` starts without redis-server (bot/local/embedded_redis.py): fakeredis, which answers neither
    # CONFIG GET nor INFO; the gateway cannot know it is in memory, so it believes only what Redis says.
    assert await RedisStore(FakeAsyncRedis()).persistence() == "off"
    assert await RedisStore(FakeAsyncRedis(), durable=False).persistence() == "off"
