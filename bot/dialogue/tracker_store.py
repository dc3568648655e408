"""A Redis tracker store whose cost per turn does not grow with the conversation (endpoints.yml names it).

Each save appends the turn's new events to the conversation's list (``bot/dialogue/event_log.py``) and, when the
bot starts listening, a snapshot of the state. ``retrieve``, which Rasa calls for every message, hands Rasa the
last ``window_turns`` turns on top of the snapshot taken where they begin: the slots, the active form and the
paused state are those of the whole conversation, the events are only the recent ones. The policies (rules,
memoization with a history of 5) and the actions (the handoff transcript reads 12 messages) look no further
back. ``retrieve_full_tracker`` (the HTTP API's ``GET /conversations/<id>/tracker``) still reads everything.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    LoopInterrupted,
    SlotSet,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.event_log import DEFAULT_PREFIX, EventLogKeys, TurnStart, encode_event, legacy_events

log = logging.getLogger(__name__)

WINDOW_TURNS = 10
_SAVED = "_passerelle_saved"  # attribute of a tracker this store built: what of it is already in Redis


@dataclass(frozen=True)
class _Saved:
    """``stored`` events are in Redis; the tracker's first ``in_memory`` events are those (or their snapshot)."""

    stored: int
    in_memory: int


def snapshot(tracker: DialogueStateTracker, at: int) -> TurnStart:
    """The tracker's state now, recorded as the start of the turn whose ``action_listen`` is event ``at``."""
    loop = tracker.active_loop
    return TurnStart(
        at=at,
        slots={name: slot.value for name, slot in tracker.slots.items() if slot.value != slot.initial_value},
        active_loop=tracker.active_loop_name,
        interrupted=bool(loop is not None and loop.is_interrupted),
        paused=tracker.is_paused(),
    )


def state_events(start: TurnStart, domain: Domain, timestamp: float) -> list[Event]:
    """Events that put a fresh tracker in the state ``start`` recorded."""
    known = {slot.name for slot in domain.slots}
    events: list[Event] = [SlotSet(name, value, timestamp) for name, value in start.slots.items() if name in known]
    if start.active_loop:
        events.append(ActiveLoop(start.active_loop, timestamp))
        if start.interrupted:
            events.append(LoopInterrupted(True, timestamp))
    if start.paused:
        events.append(ConversationPaused(timestamp))
    return events


def last_session(events: list[Event]) -> list[Event]:
    """The events from the last ``action_session_start`` on, as Rasa's stores hand only the current session."""
    for index in range(len(events) - 1, 0, -1):
        event = events[index]
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME:
            return events[index:]
    return events


def _listening(events: list[Event]) -> bool:
    return bool(events) and isinstance(events[-1], ActionExecuted) and events[-1].action_name == ACTION_LISTEN_NAME


class WindowedRedisTrackerStore(TrackerStore, SerializedTrackerAsText):  # type: ignore[misc]
    """Conversations in Redis as append-only event lists; Rasa gets the recent turns over a state snapshot."""

    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        port: int | str = 6379,
        db: int | str = 0,
        username: str | None = None,
        password: str | None = None,
        event_broker: Any = None,
        record_exp: float | str | None = None,
        key_prefix: str = DEFAULT_PREFIX,
        window_turns: int | str = WINDOW_TURNS,
        use_ssl: bool = False,
        client: redis.Redis | None = None,
        **kwargs: Any,
    ) -> None:
        """Connect as endpoints.yml says (its values may come as strings); ``client`` is for tests."""
        super().__init__(domain, event_broker, **kwargs)
        self.red = client or redis.Redis(
            host=host,
            port=int(port),
            db=int(db),
            username=username or None,
            password=password or None,
            ssl=bool(use_ssl),
            decode_responses=True,
        )
        self.record_exp = int(float(record_exp)) if record_exp else None
        self.keys_ = EventLogKeys(key_prefix or DEFAULT_PREFIX)
        self.window_turns = max(int(window_turns), 1)

    async def keys(self) -> Iterable[str]:
        """Every conversation's id."""
        return list(self.keys_.sender_ids(self.red))

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The current session's recent turns, on top of the state where they begin."""
        pipe = self.red.pipeline(transaction=False)
        pipe.lindex(self.keys_.turns(sender_id), -self.window_turns)
        pipe.llen(self.keys_.events(sender_id))
        raw_start, stored = pipe.execute()
        if not stored:
            return await self._migrated(sender_id, full=False)
        start = TurnStart.decode(raw_start) if raw_start is not None else TurnStart(at=0)
        if start.at >= stored:  # not expected: turn starts are written with their events
            start = TurnStart(at=0)
        window = self._events(self.red.lrange(self.keys_.events(sender_id), start.at, stored - 1))
        prefix = state_events(start, self.domain, window[0].timestamp) if start.at > 0 and window else []
        return self._tracker(sender_id, last_session(prefix + window), stored)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Every event of every session."""
        raw = self.red.lrange(self.keys_.events(sender_id), 0, -1)
        if not raw:
            return await self._migrated(sender_id, full=True)
        return self._tracker(sender_id, self._events(raw), len(raw))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append what the tracker gained since it was read; a tracker not read here replaces the conversation."""
        events = list(tracker.events)
        saved = getattr(tracker, _SAVED, None)
        if not isinstance(saved, _Saved) or saved.in_memory > len(events):
            self._replace(tracker, events)
            return
        new = events[saved.in_memory :]
        total = saved.stored + len(new)
        pipe = self.red.pipeline(transaction=True)
        if new:
            pipe.rpush(self.keys_.events(tracker.sender_id), *(encode_event(e.as_dict()) for e in new))
            if _listening(new):
                pipe.rpush(self.keys_.turns(tracker.sender_id), snapshot(tracker, total - 1).encode())
        self._expire(pipe, tracker.sender_id)
        pipe.execute()
        setattr(tracker, _SAVED, _Saved(stored=total, in_memory=len(events)))
        self._publish(tracker.sender_id, new)

    def _replace(self, tracker: DialogueStateTracker, events: list[Event]) -> None:
        sender_id = tracker.sender_id
        pipe = self.red.pipeline(transaction=True)
        pipe.delete(self.keys_.events(sender_id), self.keys_.turns(sender_id), self.keys_.legacy(sender_id))
        if events:
            pipe.rpush(self.keys_.events(sender_id), *(encode_event(e.as_dict()) for e in events))
            if _listening(events):
                pipe.rpush(self.keys_.turns(sender_id), snapshot(tracker, len(events) - 1).encode())
        self._expire(pipe, sender_id)
        pipe.execute()
        setattr(tracker, _SAVED, _Saved(stored=len(events), in_memory=len(events)))
        self._publish(sender_id, events)

    async def _migrated(self, sender_id: str, full: bool) -> DialogueStateTracker | None:
        """A conversation kept by Rasa's ``RedisTrackerStore`` (before this store), moved to the new layout."""
        raw = self.red.get(self.keys_.legacy(sender_id))
        if raw is None:
            return None
        events = self._events_from_dicts(legacy_events(raw))
        self._replace(DialogueStateTracker.from_events(sender_id, events, self.domain.slots), events)
        log.info("moved conversation %s from Rasa's tracker layout to the event list", sender_id)
        return await (self.retrieve_full_tracker(sender_id) if full else self.retrieve(sender_id))

    def _tracker(self, sender_id: str, events: list[Event], stored: int) -> DialogueStateTracker:
        tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        setattr(tracker, _SAVED, _Saved(stored=stored, in_memory=len(tracker.events)))
        return tracker

    def _expire(self, pipe: Any, sender_id: str) -> None:
        if self.record_exp:
            pipe.expire(self.keys_.events(sender_id), self.record_exp)
            pipe.expire(self.keys_.turns(sender_id), self.record_exp)

    def _publish(self, sender_id: str, events: list[Event]) -> None:
        if self.event_broker is None:
            return
        for event in events:
            self.event_broker.publish({"sender_id": sender_id, **event.as_dict()})

    @staticmethod
    def _events(raw: list[str]) -> list[Event]:
        return WindowedRedisTrackerStore._events_from_dicts([json.loads(item) for item in raw])

    @staticmethod
    def _events_from_dicts(dicts: list[dict[str, Any]]) -> list[Event]:
        return [event for event in (Event.from_parameters(item) for item in dicts) if event is not None]
