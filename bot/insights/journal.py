"""The service journal: one small record per customer message, handoff, claim and rating, for alerts and digests.

Records are kept in Redis, one sorted set per UTC day (``gw:journal:<YYYY-MM-DD>``, scored by time), for
``retention_days``. They hold no personal data: customer text is kept only for messages the bot did not handle or
that read negative (to show examples and to cluster topics), and only after ``bot.learn.pii.redact``.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.keyspace import Namespace

log = logging.getLogger(__name__)
KEYS = Namespace("journal")

MESSAGE, HANDOFF, CLAIM, RATING = "message", "handoff", "claim", "rating"
# A public comment under the brand's posts (the desk's decision in ``reason``), and how it was answered
# (``reason``: public, private, hidden; ``seconds`` after it was written): bot/comments/desk.py.
COMMENT, COMMENT_ANSWER = "comment", "comment_answer"


@dataclass(frozen=True)
class Event:
    """One thing that happened in a conversation.

    Attributes:
        kind: ``message`` (a customer message the bot read), ``handoff``, ``claim`` (a person took it over),
            ``rating`` (the customer's 1-5 satisfaction answer), ``comment`` (a public comment the comment desk read)
            or ``comment_answer`` (it was answered in public or in private, or hidden).
        at: Unix time.
        conversation_id: The conversation (``telegram:123``).
        channel: Its channel.
        language: The conversation's language (messages).
        intent: The intent Rasa recognised (messages).
        unhandled: The bot did not handle the message (fallback, low confidence, or declined as out of scope).
        sentiment: The message's sentiment score, -1 to 1 (messages).
        text: The redacted text, kept only for unhandled or negative messages.
        reason: Why the conversation was handed over (handoffs); the desk's action (comments); how (comment answers).
        seconds: From the ticket to the claim (claims); from the comment being written to the answer (comment answers).
        rating: 1-5 (ratings).
        comment_key: The comment (``<platform>:<comment id>``) of a ``comment`` or ``comment_answer``: what links an
            answer to its comment (the conversation is the post, which many comments share).
        id: Unique; an event whose id was recorded already is not recorded again.

    """

    kind: str
    at: float
    conversation_id: str
    channel: str
    language: str | None = None
    intent: str | None = None
    unhandled: bool = False
    sentiment: float | None = None
    text: str | None = None
    reason: str | None = None
    seconds: float | None = None
    rating: int | None = None
    comment_key: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> str:
        """Serialise, leaving out empty fields (None, False; a 0.0 sentiment or 0 seconds is kept)."""
        return json.dumps(
            {k: v for k, v in asdict(self).items() if v is not None and v is not False}, ensure_ascii=False
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        """Read back."""
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


class Journal(Protocol):
    """Where events are kept."""

    async def record(self, event: Event) -> None:
        """Keep an event."""

    async def between(self, start: float, end: float) -> list[Event]:
        """Events with ``start <= at < end``, oldest first."""


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%d")


async def record_best_effort(journal: Journal, event: Event) -> None:
    """Keep an event; a journal that cannot be written is logged, never raised (it must not fail a conversation)."""
    try:
        await journal.record(event)
    except Exception as error:
        log.warning("could not write the journal: %s", error)


class RedisJournal:
    """The journal in Redis, one sorted set per UTC day."""

    def __init__(self, redis: Redis, retention_days: int = 90) -> None:
        """Keep events ``retention_days`` days."""
        self.redis = redis
        self.retention = retention_days * 24 * 3600

    async def record(self, event: Event) -> None:
        """Add the event to its day, once per event id (a message handled again after a crash is not counted twice)."""
        if not await self.redis.set(KEYS("id", event.id), 1, nx=True, ex=7 * 24 * 3600):
            return
        key = KEYS(_day(event.at))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {event.to_json(): event.at})
            pipe.expireat(key, int(event.at) + self.retention)
            await pipe.execute()

    async def between(self, start: float, end: float) -> list[Event]:
        """Read the days the range covers."""
        events: list[Event] = []
        day = datetime.fromtimestamp(start, tz=timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        while day.timestamp() < end:
            raw = await self.redis.zrangebyscore(KEYS(f"{day:%Y-%m-%d}"), start, f"({end}")
            events.extend(Event.from_json(r) for r in raw)
            day += timedelta(days=1)
        return sorted(events, key=lambda e: e.at)
