"""The dispatcher's guarantees, on the in-process store with a scripted Rasa and channel."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from fakeredis import FakeAsyncRedis

from bot.conversation import BotReply, Inbound, Outbound
from bot.dispatcher import DeliveryError, Dispatcher, DispatcherConfig
from bot.rasa_client import RasaError
from bot.store import RedisStore


class ScriptedRasa:
    """Answers with fixed replies and, like Rasa, logs the message and the replies in its tracker."""

    def __init__(self, replies: list[str], tracker_events: list[dict[str, Any]] | None = None) -> None:
        self.replies = replies
        self.sent: list[str] = []
        self.down = False
        self.tracker_events = tracker_events or []
        self.slowness = 0.0

    async def send(self, message: Inbound) -> BotReply:
        if self.down:
            raise RasaError("connection refused")
        await asyncio.sleep(self.slowness)
        self.sent.append(message.text)
        self.tracker_events.append({"event": "user", "text": message.text, "metadata": message.rasa_metadata()})
        self.tracker_events.extend({"event": "bot", "text": t} for t in self.replies)
        return BotReply(messages=tuple(Outbound(text=t) for t in self.replies))

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        if self.down:
            raise RasaError("connection refused")
        return {"events": self.tracker_events}


class RecordingChannel:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.failures: list[DeliveryError] = []

    async def send(self, conversation_id: str, message: Outbound, from_agent: bool = False) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message.text or "")

    async def acknowledge(self, message: Inbound) -> None:
        pass


def message(text: str = "bonjour", message_id: str = "1", **extra: Any) -> Inbound:
    return Inbound("test:1", "test", text, message_id=message_id, **extra)


async def make(
    rasa: ScriptedRasa, channel: RecordingChannel, delay_notice_after: float = 60
) -> tuple[Dispatcher, RedisStore]:
    store = RedisStore(FakeAsyncRedis(), durable=False)
    return Dispatcher(store, rasa, {"test": channel}, DispatcherConfig(delay_notice_after=delay_notice_after)), store


async def test_a_message_is_answered_and_leaves_the_queue() -> None:
    rasa, channel = ScriptedRasa(["Bonjour !", "Que puis-je faire ?"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    assert await store.enqueue(message())
    assert not await store.enqueue(message())  # a platform retry
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == ["Bonjour !", "Que puis-je faire ?"] and rasa.sent == ["bonjour"]
    assert await store.head("test:1") is None and await store.pending() == []


async def test_after_a_crash_the_replies_come_from_the_tracker_without_asking_rasa_again() -> None:
    events = [
        {"event": "user", "text": "bonjour", "metadata": {"message_id": "1"}},
        {"event": "bot", "text": "Bonjour !"},
        {"event": "bot", "text": "Que puis-je faire ?"},
    ]
    rasa, channel = ScriptedRasa(["should not be used"], tracker_events=events), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message())
    queued = await store.head("test:1")
    progress = await store.progress(queued)
    # The previous worker sent the message to Rasa and delivered the first reply, then died.
    await store.save_progress(queued, replace(progress, sent_to_rasa=True, delivered=1))
    await dispatcher.handle_conversation("test:1", "w2")
    assert rasa.sent == [] and channel.sent == ["Que puis-je faire ?"]


async def test_a_message_rasa_never_saw_is_sent_again_after_a_crash() -> None:
    rasa, channel = ScriptedRasa(["Bonjour !"], tracker_events=[]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message())
    queued = await store.head("test:1")
    await store.save_progress(queued, replace(await store.progress(queued), sent_to_rasa=True))
    await dispatcher.handle_conversation("test:1", "w2")
    assert rasa.sent == ["bonjour"] and channel.sent == ["Bonjour !"]


async def test_a_failed_delivery_is_retried_without_repeating_what_was_delivered() -> None:
    rasa, channel = ScriptedRasa(["one", "two"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message())
    channel.sent.clear()
    original_send = channel.send
    calls = 0

    async def flaky(conversation_id: str, out: Outbound, from_agent: bool = False) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise DeliveryError("503")
        await original_send(conversation_id, out)

    channel.send = flaky  # type: ignore[method-assign]
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == ["one"] and await store.head("test:1") is not None
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == ["one", "two"] and rasa.sent == ["bonjour"]


async def test_a_permanent_failure_is_not_retried_forever() -> None:
    rasa, channel = ScriptedRasa(["one"]), RecordingChannel()
    channel.failures.append(DeliveryError("blocked by the user", permanent=True))
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message())
    await dispatcher.handle_conversation("test:1", "w1")
    assert await store.head("test:1") is None


async def test_while_rasa_is_down_the_message_waits_and_the_customer_is_told_once() -> None:
    rasa, channel = ScriptedRasa(["Bonjour !"]), RecordingChannel()
    rasa.down = True
    dispatcher, store = await make(rasa, channel, delay_notice_after=0)
    await store.enqueue(message("where is my order?"))
    await dispatcher.handle_conversation("test:1", "w1")
    await dispatcher.handle_conversation("test:1", "w1")
    assert len(channel.sent) == 1 and "safely received" in channel.sent[0]
    rasa.down = False
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent[1:] == ["Bonjour !"] and await store.head("test:1") is None


async def test_while_rasa_is_slow_the_customer_is_told_once_then_gets_the_answer() -> None:
    rasa, channel = ScriptedRasa(["Votre commande est en route."]), RecordingChannel()
    rasa.slowness = 0.4  # e.g. a custom action waiting on a slow back office
    dispatcher, store = await make(rasa, channel, delay_notice_after=0.1)
    await store.enqueue(message("où est ma commande ?"))
    await dispatcher.handle_conversation("test:1", "w1")
    assert len(channel.sent) == 2 and "petit retard" in channel.sent[0]
    assert channel.sent[1] == "Votre commande est en route." and rasa.sent == ["où est ma commande ?"]


async def test_a_quick_answer_comes_without_a_delay_notice() -> None:
    rasa, channel = ScriptedRasa(["Bonjour !"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel, delay_notice_after=0.2)
    await store.enqueue(message())
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == ["Bonjour !"]


@pytest.mark.parametrize(("hint", "expected"), [("fr", "stickers"), ("en", "can't see stickers")])
async def test_a_sticker_gets_a_polite_answer_without_rasa(hint: str, expected: str) -> None:
    rasa, channel = ScriptedRasa(["unused"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message("", attachment="sticker", language_hint=hint))
    await dispatcher.handle_conversation("test:1", "w1")
    assert rasa.sent == [] and expected in channel.sent[0]


async def test_a_locked_conversation_is_left_to_its_worker() -> None:
    rasa, channel = ScriptedRasa(["hi"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message())
    assert await store.lock("test:1", "other-worker", 10)
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == []


async def test_a_messenger_image_is_named_in_the_polite_answer() -> None:
    rasa, channel = ScriptedRasa(["unused"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message("", attachment="image", language_hint="fr"))
    await dispatcher.handle_conversation("test:1", "w1")
    assert "images" in channel.sent[0]


@pytest.mark.parametrize(("reason", "expected"), [("too_long", ["trop long"]), ("flood_quiet", [])])
async def test_a_refused_message_gets_its_notice_and_never_reaches_rasa(reason: str, expected: list[str]) -> None:
    rasa, channel = ScriptedRasa(["unused"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message("bonjour", refused=reason))
    await dispatcher.handle_conversation("test:1", "w1")
    assert rasa.sent == [] and await store.head("test:1") is None
    assert len(channel.sent) == len(expected) and all(e in t for e, t in zip(expected, channel.sent, strict=True))


async def test_a_reply_sent_while_redis_could_not_record_it_is_not_sent_again() -> None:
    """Redis fails right after a reply went out (a restart): the retry must not send that reply a second time."""
    rasa, channel = ScriptedRasa(["one", "two"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel)
    await store.enqueue(message())
    original_save, saves = store.save_progress, 0

    async def failing_once(queued: Any, progress: Any) -> None:
        nonlocal saves
        saves += 1
        if saves == 2:  # the save after the first reply
            raise ConnectionError("Connection closed by server.")
        await original_save(queued, progress)

    store.save_progress = failing_once  # type: ignore[method-assign]
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == ["one"] and await store.head("test:1") is not None
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == ["one", "two"] and rasa.sent == ["bonjour"] and await store.head("test:1") is None


async def test_completing_a_message_twice_never_drops_the_next_one() -> None:
    """A completion repeated after a dropped connection (the client retries) must leave the next message queued."""
    store = RedisStore(FakeAsyncRedis(), durable=False)
    await store.enqueue(message("un", message_id="1"))
    await store.enqueue(message("deux", message_id="2"))
    first = await store.head("test:1")
    assert first is not None
    assert await store.complete("test:1", first) and await store.complete("test:1", first)
    second = await store.head("test:1")
    assert second is not None and second.message.text == "deux"


async def test_a_message_already_late_answered_at_once_gets_no_delay_notice() -> None:
    """After a restart the backlog is older than the notice delay; a quick answer must not be preceded by a notice."""
    rasa, channel = ScriptedRasa(["Bonjour !"]), RecordingChannel()
    rasa.slowness = 0.05
    dispatcher, store = await make(rasa, channel, delay_notice_after=0.2)
    await store.enqueue(message())
    await asyncio.sleep(0.3)  # queued while the gateway was down
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent == ["Bonjour !"]


async def test_a_customer_waiting_behind_a_backlog_is_told_before_a_worker_gets_to_them() -> None:
    rasa, channel = ScriptedRasa(["Bonjour !"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel, delay_notice_after=0.1)
    await store.enqueue(message("où est ma commande ?"))
    await dispatcher.announce_delay("test:1")
    assert channel.sent == []  # not late yet
    await asyncio.sleep(0.15)
    await dispatcher.announce_delay("test:1")
    await dispatcher.announce_delay("test:1")
    assert len(channel.sent) == 1 and "petit retard" in channel.sent[0]
    await dispatcher.handle_conversation("test:1", "w1")
    assert channel.sent[1:] == ["Bonjour !"] and rasa.sent == ["où est ma commande ?"]


async def test_a_conversation_a_worker_holds_is_left_to_it() -> None:
    rasa, channel = ScriptedRasa(["Bonjour !"]), RecordingChannel()
    dispatcher, store = await make(rasa, channel, delay_notice_after=0)
    await store.enqueue(message())
    assert await store.lock("test:1", "busy-worker", 10)
    await dispatcher.announce_delay("test:1")
    assert channel.sent == []
