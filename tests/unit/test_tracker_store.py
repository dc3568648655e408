"""The tracker store appends each turn and hands Rasa the recent turns over the conversation's whole state."""

from __future__ import annotations

import json

import fakeredis
import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.event_log import EventLogKeys, LatestParse, conversations
from bot.dialogue.tracker_store import WindowedRedisTrackerStore
from tests.paths import ROOT

DOMAIN = Domain.load(ROOT / "domain.yml")
KEYS = EventLogKeys("passerelle")


@pytest.fixture
def client() -> fakeredis.FakeRedis:
    """An empty Redis."""
    return fakeredis.FakeRedis(decode_responses=True)


def store_on(client: fakeredis.FakeRedis, window_turns: int = 4) -> WindowedRedisTrackerStore:
    """A store as endpoints.yml configures it (values as strings), on ``client``."""
    return WindowedRedisTrackerStore(
        DOMAIN, key_prefix="passerelle", record_exp="3600", window_turns=window_turns, client=client
    )


async def turn(store: WindowedRedisTrackerStore, sender: str, text: str, *extra: object) -> DialogueStateTracker:
    """One customer message as Rasa's processor handles it: read, update, answer, listen, save."""
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 0.9}))
    for event in extra:
        tracker.update(event)
    tracker.update(ActionExecuted("utter_ack"))
    tracker.update(BotUttered(f"re: {text}"))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    await store.save(tracker)
    return tracker


async def test_rasa_gets_the_last_turns_with_the_state_of_the_whole_conversation(client: fakeredis.FakeRedis) -> None:
    store = store_on(client)
    await turn(store, "c", "bonjour", SlotSet("language", "fr"))
    await turn(store, "c", "ma commande 48213", SlotSet("order_id", "48213"), ActiveLoop("return_form"))
    for number in range(30):
        await turn(store, "c", f"message {number}")
    await turn(store, "c", "je veux parler à quelqu'un", ConversationPaused())

    recent = await store.retrieve("c")
    whole = await store.retrieve_full_tracker("c")
    assert recent is not None and whole is not None
    assert len(whole.events) == 1 + 33 * 4 + 4  # listen; 4 a turn; two slots, the form and the pause
    assert len(recent.events) < 30
    assert recent.current_slot_values() == whole.current_slot_values()
    assert recent.get_slot("language") == "fr" and recent.get_slot("order_id") == "48213"
    assert recent.active_loop_name == "return_form" and recent.is_paused()
    assert recent.latest_message is not None and recent.latest_message.text == "je veux parler à quelqu'un"
    texts = [e.text for e in recent.events if isinstance(e, UserUttered)]
    assert texts == ["message 28", "message 29", "je veux parler à quelqu'un"]


async def test_a_turn_appends_its_events_and_rewrites_nothing(client: fakeredis.FakeRedis) -> None:
    store = store_on(client)
    for number in range(12):
        await turn(store, "c", f"message {number}")
        assert client.llen(KEYS.events("c")) == 1 + 4 * (number + 1)
    first = client.lindex(KEYS.events("c"), 1)
    await turn(store, "c", "encore")
    assert client.lindex(KEYS.events("c"), 1) == first
    whole = await store.retrieve_full_tracker("c")
    assert whole is not None
    assert [e.text for e in whole.events if isinstance(e, UserUttered)] == [
        *(f"message {n}" for n in range(12)),
        "encore",
    ]
    assert 0 < client.ttl(KEYS.events("c")) <= 3600 and 0 < client.ttl(KEYS.turns("c")) <= 3600


async def test_resuming_a_paused_conversation_is_kept(client: fakeredis.FakeRedis) -> None:
    store = store_on(client, window_turns=2)
    await turn(store, "c", "un humain", ConversationPaused())
    for number in range(4):
        await turn(store, "c", f"pendant la pause {number}")
    tracker = await store.retrieve("c")
    assert tracker is not None and tracker.is_paused()
    tracker.update(ConversationResumed())
    await store.save(tracker)
    await turn(store, "c", "merci")
    assert (await store.retrieve("c")).is_paused() is False  # type: ignore[union-attr]


async def test_only_the_current_session_is_handed_to_rasa(client: fakeredis.FakeRedis) -> None:
    store = store_on(client, window_turns=10)
    await turn(store, "c", "hier", SlotSet("language", "en"))
    tracker = await store.retrieve("c")
    assert tracker is not None
    for event in (
        ActionExecuted(ACTION_SESSION_START_NAME),
        SessionStarted(),
        SlotSet("language", "en"),
        ActionExecuted(ACTION_LISTEN_NAME),
    ):
        tracker.update(event)
    await store.save(tracker)
    await turn(store, "c", "today")
    recent = await store.retrieve("c")
    assert recent is not None
    assert isinstance(recent.events[0], ActionExecuted) and recent.events[0].action_name == ACTION_SESSION_START_NAME
    assert [e.text for e in recent.events if isinstance(e, UserUttered)] == ["today"]
    assert recent.get_slot("language") == "en"


async def test_a_tracker_built_elsewhere_replaces_the_conversation(client: fakeredis.FakeRedis) -> None:
    store = store_on(client)
    await turn(store, "c", "bonjour")
    replacement = DialogueStateTracker.from_events("c", [ActionExecuted(ACTION_LISTEN_NAME)], DOMAIN.slots)
    await store.save(replacement)  # PUT /conversations/c/tracker/events
    assert client.llen(KEYS.events("c")) == 1


async def test_a_conversation_rasas_redis_store_kept_is_read_and_moved(client: fakeredis.FakeRedis) -> None:
    events = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("bonjour"),
        SlotSet("language", "fr"),
        ActionExecuted("utter_greet"),
        BotUttered("Bonjour !"),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]
    client.set(KEYS.legacy("web:1"), json.dumps({"name": "web:1", "events": [e.as_dict() for e in events]}))
    store = store_on(client)
    tracker = await store.retrieve("web:1")
    assert tracker is not None and tracker.get_slot("language") == "fr" and len(tracker.events) == 6
    assert client.get(KEYS.legacy("web:1")) is None and client.llen(KEYS.events("web:1")) == 6
    await turn(store, "web:1", "ça va ?")
    assert [sender for sender, _ in conversations(client, KEYS)] == ["web:1"]
    assert list(await store.keys()) == ["web:1"]


async def test_an_unknown_conversation_is_created_listening(client: fakeredis.FakeRedis) -> None:
    store = store_on(client)
    assert await store.retrieve("new") is None
    tracker = await store.get_or_create_tracker("new")
    assert [e.as_dict()["event"] for e in tracker.events] == ["action"]
    assert client.llen(KEYS.events("new")) == 1


class NoRasa:
    """A fallback that must not be needed."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def latest_message(self, conversation_id: str) -> dict[str, object] | None:
        self.asked.append(conversation_id)
        return None


async def test_the_gateway_reads_the_last_parse_from_redis_without_asking_rasa() -> None:
    server = fakeredis.FakeServer()
    store = store_on(fakeredis.FakeRedis(server=server, decode_responses=True))
    await turn(store, "telegram:1", "bonjour")
    await turn(store, "telegram:1", "où est ma commande ?")
    rasa = NoRasa()
    reader = LatestParse(fakeredis.aioredis.FakeRedis(server=server), rasa)
    latest = await reader.latest_message("telegram:1")
    assert latest is not None and latest["text"] == "où est ma commande ?" and latest["intent"]["name"] == "inform"
    assert rasa.asked == []
    assert await reader.latest_message("telegram:2") is None and rasa.asked == ["telegram:2"]
