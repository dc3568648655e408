"""How conversations are laid out in Redis: an append-only list of events, and a list of turn starts.

Rasa's own Redis tracker store rewrites a conversation's whole JSON every turn and, before writing, compares each
event with every stored one, so a turn cost more the longer the conversation (75 ms at turn 1, 2.1 s at turn
100 on the demo). Here a turn appends its new events, and each point where the bot starts listening records a
snapshot of the conversation's state (slots, active form, paused), so that Rasa can be handed the last few turns
on top of that snapshot instead of the whole history. This module knows the layout only; it imports no Rasa, so
that ``bot learn`` can read conversations without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import redis
import redis.asyncio

DEFAULT_PREFIX = "passerelle"
BATCH = 200


@dataclass(frozen=True)
class EventLogKeys:
    """The Redis keys of one deployment's conversations (``prefix`` is endpoints.yml's ``key_prefix``)."""

    prefix: str = DEFAULT_PREFIX

    def events(self, sender_id: str) -> str:
        """The list of the conversation's events, oldest first, one JSON object each."""
        return f"{self.prefix}:events:{sender_id}"

    def turns(self, sender_id: str) -> str:
        """The list of the conversation's turn starts (``TurnStart`` JSON), oldest first."""
        return f"{self.prefix}:turns:{sender_id}"

    def legacy(self, sender_id: str) -> str:
        """Where Rasa's ``RedisTrackerStore`` kept the whole conversation as one JSON string."""
        return f"{self.prefix}:tracker:{sender_id}"

    def sender_ids(self, client: redis.Redis) -> Iterator[str]:
        """Every conversation's id, in either layout (each once)."""
        seen: set[str] = set()
        for pattern in (self.events("*"), self.legacy("*")):
            start = len(pattern) - 1
            for key in client.scan_iter(match=pattern, count=1000):
                sender_id = (key.decode() if isinstance(key, bytes) else str(key))[start:]
                if sender_id not in seen:
                    seen.add(sender_id)
                    yield sender_id


@dataclass(frozen=True)
class TurnStart:
    """The conversation's state where the bot began listening, just before event ``at`` (an ``action_listen``).

    Attributes:
        at: Index of the ``action_listen`` event in the event list.
        slots: The slots whose value differs from their initial one.
        active_loop: The form being filled, if any.
        interrupted: Whether that form was interrupted by an unhappy path.
        paused: Whether a person has the conversation.

    """

    at: int
    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    interrupted: bool = False
    paused: bool = False

    def encode(self) -> str:
        """The JSON kept in Redis."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | bytes) -> TurnStart:
        """Read what ``encode`` wrote."""
        data = json.loads(raw)
        return cls(
            at=int(data["at"]),
            slots=dict(data.get("slots") or {}),
            active_loop=data.get("active_loop"),
            interrupted=bool(data.get("interrupted")),
            paused=bool(data.get("paused")),
        )


def encode_event(event: dict[str, Any]) -> str:
    """One event as kept in the list."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def legacy_events(raw: str | bytes) -> list[dict[str, Any]]:
    """The events of a conversation Rasa's ``RedisTrackerStore`` kept (``{"name": ..., "events": [...]}``)."""
    stored = json.loads(raw)
    events = stored.get("events") if isinstance(stored, dict) else None
    return list(events) if isinstance(events, list) else []


def conversations(client: redis.Redis, keys: EventLogKeys) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every conversation and its whole event list, read in batches (``bot learn mine``)."""
    sender_ids = list(keys.sender_ids(client))
    for start in range(0, len(sender_ids), BATCH):
        batch = sender_ids[start : start + BATCH]
        pipe = client.pipeline(transaction=False)
        for sender_id in batch:
            pipe.lrange(keys.events(sender_id), 0, -1)
            pipe.get(keys.legacy(sender_id))
        answers = pipe.execute()
        for index, sender_id in enumerate(batch):
            listed, legacy = answers[2 * index], answers[2 * index + 1]
            if listed:
                yield sender_id, [json.loads(raw) for raw in listed]
            elif legacy is not None:
                yield sender_id, legacy_events(legacy)


class LatestMessageSource(Protocol):
    """Where else to read a conversation's last parsed message (Rasa's HTTP API)."""

    async def latest_message(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's last parsed customer message."""


class LatestParse:
    """The parse of a conversation's last customer message, read from the tail of its event list.

    The gateway reads it after each turn for its NLU metrics and journal. Asking Rasa's HTTP API instead made Rasa
    read and rebuild the whole conversation while the next customer waited. When the list is not in this Redis (Rasa
    on another database), ``fallback`` is asked.
    """

    def __init__(
        self, client: redis.asyncio.Redis, fallback: LatestMessageSource, keys: EventLogKeys | None = None
    ) -> None:
        """Read from ``client``, else from ``fallback``."""
        self.client = client
        self.fallback = fallback
        self.keys = keys or EventLogKeys()

    async def latest_message(self, conversation_id: str, depth: int = 40) -> dict[str, Any] | None:
        """The last ``user`` event's parse data among the ``depth`` newest events."""
        for raw in reversed(await self.client.lrange(self.keys.events(conversation_id), -depth, -1)):
            event = json.loads(raw)
            if isinstance(event, dict) and event.get("event") == "user":
                parse = event.get("parse_data")
                return parse if isinstance(parse, dict) else None
        return await self.fallback.latest_message(conversation_id)
