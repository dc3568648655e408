"""Durable gateway state behind a small Protocol: the inbound queue, deduplication, conversation locks.

One file, over 300 lines, because the Lua scripts, the key layout and the Protocol they implement are one
contract (what "queued", "in progress" and "complete" mean) and are only checked by reading them together.

Layout (all keys under ``gw:``):
- ``seen:<dedupe key>``: a message already accepted (kept ``dedupe_ttl`` seconds), so platform retries are dropped;
- ``q:<conversation>``: the conversation's messages, oldest first; the head is the one being handled;
- ``pending``: conversations with queued messages; ``ready``: a wake-up list of conversations for the workers;
- ``lock:<conversation>``: which worker handles the conversation now (expires if that worker dies);
- ``progress:<dedupe key>``: how far the handling of a message went (sent to Rasa, replies delivered),
  so that a worker taking over after a crash neither loses nor repeats anything;
- ``failures:<dedupe key>``: how many attempts at a message failed (Rasa being down does not count), shared by every
  gateway so that the bound on retries holds across replicas and restarts;
- ``backoff:<conversation>``: set while the conversation waits before its next attempt (expires by itself), so
  that no worker of any replica retries it sooner;
- ``parked``: messages set aside after ``max_attempts`` failures (bot/gateway/dispatcher.py), oldest first, each
  with its reason and progress: kept for a person to look at (``redis-cli LRANGE gw:parked 0 -1``), never retried alone;
- ``lang:<conversation>``: the conversation's language as the gateway last saw it;
- ``arrivals:<conversation>``: when the conversation's recent messages arrived, for the flood limit
  (bot/gateway/limits.py).

``RedisStore`` runs on a real Redis, or on fakeredis in process when no Redis is configured (not durable).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from redis.asyncio import Redis

from bot.conversation import Inbound
from bot.keyspace import PREFIX, connect, text

log = logging.getLogger(__name__)
Persistence = Literal["aof", "off", "unknown"]  # what Redis keeps across a restart (RedisStore.persistence)

# Accept a message once: mark it seen, queue it, and wake a worker, all or nothing.
_ENQUEUE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[3])
  redis.call('RPUSH', KEYS[4], ARGV[3])
  return 1
end
return 0
"""
# Record a message's arrival in its conversation's sliding window and count the window; -1 for a repeat (already
# accepted), which is not counted.
_ARRIVE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1] - ARGV[3])
local count = redis.call('ZCARD', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return count
"""
# Take a conversation for a worker (or extend the worker's own lock) unless it waits after a failed attempt or
# another worker holds it; then its head, in the same round trip.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {0} end
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {1, redis.call('LINDEX', KEYS[3], 0)}
"""
# Release a lock only if this worker still holds it; 1 when messages wait. In one step with the release, so that a
# message queued while the lock was held (its wake-up taken by a worker that found the conversation held) is seen.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('LLEN', KEYS[2]) > 0 then return 1 end
return 0
"""
# Drop the head of a conversation's queue if it is still the message handled (a command retried after a dropped
# connection must not drop the next one); forget the conversation when it is empty.
_COMPLETE = """
local head = redis.call('LINDEX', KEYS[1], 0)
if head then
  local m = cjson.decode(head)['message']
  if m['channel'] .. ':' .. tostring(m['message_id']) == ARGV[2] then redis.call('LPOP', KEYS[1]) end
end
redis.call('DEL', KEYS[3], KEYS[4])
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) return 0 end
return 1
"""
# Move the head of a conversation's queue to the parked list, only if it is still the message that failed and the
# worker still holds the conversation's lock (a worker whose lock expired must not park what another one handles).
_PARK = """
if redis.call('GET', KEYS[6]) ~= ARGV[3] then return 0 end
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return 0 end
local m = cjson.decode(head)['message']
if m['channel'] .. ':' .. tostring(m['message_id']) ~= ARGV[2] then return 0 end
redis.call('LPOP', KEYS[1])
redis.call('RPUSH', KEYS[5], ARGV[4])
redis.call('DEL', KEYS[3], KEYS[4])
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 1
"""


@dataclass(frozen=True)
class QueuedMessage:
    """A customer message waiting in its conversation's queue."""

    message: Inbound
    enqueued_at: float

    @property
    def key(self) -> str:
        """The message's deduplication key."""
        return self.message.dedupe_key

    def to_json(self) -> str:
        """Serialise for the queue."""
        return json.dumps({"message": asdict(self.message), "enqueued_at": self.enqueued_at})

    @classmethod
    def from_json(cls, raw: str | bytes) -> QueuedMessage:
        """Read back from the queue."""
        data = json.loads(raw)
        return cls(message=Inbound.from_dict(data["message"]), enqueued_at=float(data["enqueued_at"]))


@dataclass(frozen=True)
class Progress:
    """How far the handling of one message went."""

    sent_to_rasa: bool = False
    delivered: int = 0
    delay_notice_sent: bool = False


@dataclass(frozen=True)
class ParkedMessage:
    """A message set aside after repeated failures: what it was, why, and how far its handling went."""

    queued: QueuedMessage
    reason: str
    attempts: int
    parked_at: float
    progress: Progress

    def to_json(self) -> str:
        """Serialise for the parked list."""
        return json.dumps(
            {
                "queued": json.loads(self.queued.to_json()),
                "reason": self.reason,
                "attempts": self.attempts,
                "parked_at": self.parked_at,
                "progress": asdict(self.progress),
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> ParkedMessage:
        """Read back from the parked list."""
        data = json.loads(raw)
        return cls(
            queued=QueuedMessage.from_json(json.dumps(data["queued"])),
            reason=str(data["reason"]),
            attempts=int(data["attempts"]),
            parked_at=float(data["parked_at"]),
            progress=Progress(**data["progress"]),
        )


class Store(Protocol):
    """What the gateway keeps between requests and across restarts."""

    async def enqueue(self, message: Inbound) -> bool:
        """Queue a new message; False when it was already accepted (a platform retry)."""

    async def count_arrival(self, message: Inbound, window: float) -> int | None:
        """Record the message's arrival; the conversation's arrivals in the last ``window`` seconds (None: a repeat)."""

    async def wait_ready(self, timeout: float) -> str | None:
        """Wait for a conversation that may have work, or None after ``timeout`` seconds."""

    async def wake(self, conversation_id: str) -> None:
        """Signal the workers that the conversation has work."""

    async def claim(self, conversation_id: str, owner: str, ttl: float) -> tuple[bool, QueuedMessage | None]:
        """``lock`` unless the conversation backs off; whether ``owner`` holds it, and its oldest queued message."""

    async def lock(self, conversation_id: str, owner: str, ttl: float) -> bool:
        """Take (or extend, for the same owner) the conversation's lock."""

    async def unlock(self, conversation_id: str, owner: str) -> bool:
        """Release the lock if ``owner`` holds it; True when the conversation has queued messages."""

    async def head(self, conversation_id: str) -> QueuedMessage | None:
        """The conversation's oldest queued message."""

    async def complete(self, conversation_id: str, message: QueuedMessage) -> bool:
        """Remove the handled head message; True if more messages wait."""

    async def progress(self, message: QueuedMessage) -> Progress:
        """How far the message's handling went."""

    async def save_progress(self, message: QueuedMessage, progress: Progress) -> None:
        """Record how far the message's handling went."""

    async def count_failure(self, message: QueuedMessage) -> int:
        """Record a failed attempt at the message; the failed attempts so far, this one included."""

    async def back_off(self, conversation_id: str, seconds: float) -> None:
        """Keep every worker from trying the conversation again for ``seconds``."""

    async def park(self, conversation_id: str, owner: str, parked: ParkedMessage) -> bool:
        """Move the head message to the parked list while ``owner`` holds the lock; False when it did not."""

    async def parked_count(self) -> int:
        """How many messages are parked."""

    async def parked(self, limit: int = 10) -> list[ParkedMessage]:
        """The most recently parked messages, newest first."""

    async def pending(self) -> list[str]:
        """Conversations with queued messages (for recovery sweeps)."""

    async def get_language(self, conversation_id: str) -> str | None:
        """The conversation's last known language."""

    async def set_language(self, conversation_id: str, language: str) -> None:
        """Remember the conversation's language."""

    async def ping(self) -> bool:
        """Whether the storage answers."""


class RedisStore:
    """The Store on Redis (or on fakeredis in process)."""

    def __init__(self, redis: Redis, dedupe_ttl: int = 7 * 24 * 3600, durable: bool = True) -> None:
        """Use ``redis``; accepted message ids are remembered ``dedupe_ttl`` seconds."""
        self.redis = redis
        self.dedupe_ttl = dedupe_ttl
        self.durable = durable
        self._enqueue = redis.register_script(_ENQUEUE)
        self._arrive = redis.register_script(_ARRIVE)
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._complete = redis.register_script(_COMPLETE)
        self._park = redis.register_script(_PARK)

    async def enqueue(self, message: Inbound) -> bool:
        """Queue a new message atomically with its deduplication mark."""
        queued = QueuedMessage(message, time.time())
        keys = [
            f"{PREFIX}seen:{message.dedupe_key}",
            f"{PREFIX}q:{message.conversation_id}",
            f"{PREFIX}pending",
            f"{PREFIX}ready",
        ]
        added = await self._enqueue(keys=keys, args=[self.dedupe_ttl, queued.to_json(), message.conversation_id])
        return bool(added)

    async def count_arrival(self, message: Inbound, window: float) -> int | None:
        """Record the message's arrival; the conversation's arrivals in the last ``window`` seconds.

        The count includes this message; the window slides, and every gateway shares it. None for a message already
        accepted (a platform retry), which is not counted again.
        """
        keys = [f"{PREFIX}seen:{message.dedupe_key}", f"{PREFIX}arrivals:{message.conversation_id}"]
        count = await self._arrive(keys=keys, args=[repr(time.time()), message.dedupe_key, window, int(window) + 1])
        return None if int(count) < 0 else int(count)

    async def wait_ready(self, timeout: float) -> str | None:
        """Block on the wake-up list."""
        item = await self.redis.blpop([f"{PREFIX}ready"], timeout=max(1, round(timeout)))
        if item is None:
            return None
        value = item[1]
        return text(value)

    async def wake(self, conversation_id: str) -> None:
        """Push the conversation on the wake-up list."""
        await self.redis.rpush(f"{PREFIX}ready", conversation_id)

    async def claim(self, conversation_id: str, owner: str, ttl: float) -> tuple[bool, QueuedMessage | None]:
        """Take (or extend) the lock unless the conversation backs off, and read its head, in one round trip."""
        keys = [f"{PREFIX}backoff:{conversation_id}", f"{PREFIX}lock:{conversation_id}", f"{PREFIX}q:{conversation_id}"]
        taken, *head = await self._claim(keys=keys, args=[owner, int(ttl * 1000)])
        raw = head[0] if head else None
        return bool(taken), None if raw is None else QueuedMessage.from_json(raw)

    async def lock(self, conversation_id: str, owner: str, ttl: float) -> bool:
        """Take the lock, or extend it when ``owner`` already holds it."""
        key = f"{PREFIX}lock:{conversation_id}"
        if await self.redis.set(key, owner, nx=True, px=int(ttl * 1000)):
            return True
        current = await self.redis.get(key)
        if current is not None and text(current) == owner:
            await self.redis.pexpire(key, int(ttl * 1000))
            return True
        return False

    async def unlock(self, conversation_id: str, owner: str) -> bool:
        """Release the lock if still ours; True when the conversation has queued messages."""
        keys = [f"{PREFIX}lock:{conversation_id}", f"{PREFIX}q:{conversation_id}"]
        return bool(await self._release(keys=keys, args=[owner]))

    async def head(self, conversation_id: str) -> QueuedMessage | None:
        """Peek at the oldest message."""
        raw = await self.redis.lindex(f"{PREFIX}q:{conversation_id}", 0)
        return None if raw is None else QueuedMessage.from_json(raw)

    async def complete(self, conversation_id: str, message: QueuedMessage) -> bool:
        """Pop the head (it must be ``message``) and forget its progress and failures; True if more messages wait."""
        keys = [
            f"{PREFIX}q:{conversation_id}",
            f"{PREFIX}pending",
            f"{PREFIX}progress:{message.key}",
            f"{PREFIX}failures:{message.key}",
        ]
        return bool(await self._complete(keys=keys, args=[conversation_id, message.key]))

    async def progress(self, message: QueuedMessage) -> Progress:
        """Read the message's progress."""
        raw = await self.redis.get(f"{PREFIX}progress:{message.key}")
        return Progress(**json.loads(raw)) if raw else Progress()

    async def save_progress(self, message: QueuedMessage, progress: Progress) -> None:
        """Write the message's progress (kept as long as the deduplication mark)."""
        await self.redis.set(f"{PREFIX}progress:{message.key}", json.dumps(asdict(progress)), ex=self.dedupe_ttl)

    async def count_failure(self, message: QueuedMessage) -> int:
        """Count a failed attempt (kept as long as the deduplication mark)."""
        key = f"{PREFIX}failures:{message.key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.dedupe_ttl)
            count, _ = await pipe.execute()
        return int(count)

    async def back_off(self, conversation_id: str, seconds: float) -> None:
        """Set the conversation's back-off mark for ``seconds`` (none for a wait under a millisecond)."""
        if int(seconds * 1000) > 0:
            await self.redis.set(f"{PREFIX}backoff:{conversation_id}", "1", px=int(seconds * 1000))

    async def park(self, conversation_id: str, owner: str, parked: ParkedMessage) -> bool:
        """Move the head (it must be ``parked``'s message) to ``parked``, with its progress and failures dropped."""
        key = parked.queued.key
        keys = [
            f"{PREFIX}q:{conversation_id}",
            f"{PREFIX}pending",
            f"{PREFIX}progress:{key}",
            f"{PREFIX}failures:{key}",
            f"{PREFIX}parked",
            f"{PREFIX}lock:{conversation_id}",
        ]
        return bool(await self._park(keys=keys, args=[conversation_id, key, owner, parked.to_json()]))

    async def parked_count(self) -> int:
        """The length of the parked list."""
        return int(await self.redis.llen(f"{PREFIX}parked"))

    async def parked(self, limit: int = 10) -> list[ParkedMessage]:
        """The last ``limit`` parked messages, newest first."""
        raw = await self.redis.lrange(f"{PREFIX}parked", -limit, -1)
        return [ParkedMessage.from_json(item) for item in reversed(raw)]

    async def pending(self) -> list[str]:
        """Conversations with queued messages."""
        members: set[Any] = await self.redis.smembers(f"{PREFIX}pending")
        return sorted(text(m) for m in members)

    async def get_language(self, conversation_id: str) -> str | None:
        """The conversation's last known language."""
        raw = await self.redis.get(f"{PREFIX}lang:{conversation_id}")
        return None if raw is None else text(raw)

    async def set_language(self, conversation_id: str, language: str) -> None:
        """Remember the conversation's language for a month."""
        await self.redis.set(f"{PREFIX}lang:{conversation_id}", language, ex=30 * 24 * 3600)

    async def persistence(self) -> Persistence:
        """Whether Redis keeps what it acknowledged across a restart, as Redis itself says.

        ``aof``: an append-only file; ``off``: no AOF, or a stand-in in memory (the in-process fakeredis, or the
        embedded one ``bot run`` starts without redis-server: it answers neither ``CONFIG GET`` nor ``INFO``);
        ``unknown``: a Redis that refuses ``CONFIG GET`` (usual on managed Redis) but answers ``INFO``.
        """
        if not self.durable:
            return "off"
        try:
            config = await self.redis.config_get("appendonly")
        except Exception:
            try:
                await self.redis.info("persistence")
            except Exception:
                return "off"
            return "unknown"
        value = config.get("appendonly") or config.get(b"appendonly")
        return "aof" if value in ("yes", b"yes") else "off"

    async def ping(self) -> bool:
        """Whether Redis answers (a stale pooled connection is retried by the client, see ``open_store``)."""
        try:
            return bool(await self.redis.ping())
        except Exception:  # any connection failure means "not answering"
            return False


def open_store(redis_url: str) -> RedisStore:
    """Connect to ``redis_url``, or run an in-process stand-in (not durable) when it is empty."""
    if redis_url:
        # every command of the store is safe to repeat on a fresh connection (see _ENQUEUE and _COMPLETE)
        return RedisStore(connect(redis_url))
    from fakeredis import FakeAsyncRedis

    log.warning(
        "REDIS_URL is not set: using an in-process store. Queued messages and conversation state are "
        "NOT durable and are lost when the gateway stops; set REDIS_URL in production."
    )
    return RedisStore(FakeAsyncRedis(), durable=False)
