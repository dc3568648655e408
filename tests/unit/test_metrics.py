"""The gateway's metrics: what moves them, and that they name no customer."""

from __future__ import annotations

from typing import Any

import fakeredis
from prometheus_client.parser import text_string_to_metric_families

from bot.conversation import BotReply, Handoff, Inbound
from bot.gateway.dispatcher import Dispatcher
from bot.gateway.metrics import Metrics, NluProbe
from bot.gateway.store import RedisStore
from bot.handoff.desk import Desk
from bot.rasa_client import read_prediction
from tests.unit.test_desk import Board, Clock, Rasa, Sender
from tests.unit.test_dispatcher import RecordingChannel, ScriptedRasa, message

FALLBACK = {
    "intent": {"name": "nlu_fallback", "confidence": 0.5},
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "order_status", "confidence": 0.31},
        {"name": "greet", "confidence": 0.2},
    ],
}
UNDERSTOOD = {
    "intent": {"name": "greet", "confidence": 0.97},
    "intent_ranking": [{"name": "greet", "confidence": 0.97}],
}


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    text = metrics.render(None).decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and labels.items() <= s.labels.items():
                return float(s.value)
    return 0.0


def test_a_fallback_counts_with_the_confidence_of_the_best_real_intent() -> None:
    assert read_prediction(FALLBACK) == (True, 0.31)
    assert read_prediction(UNDERSTOOD) == (False, 0.97)
    assert read_prediction(None) is None and read_prediction({"intent": {}}) is None


async def test_the_dispatcher_counts_replies_and_their_latency_per_channel() -> None:
    metrics = Metrics()
    store = RedisStore(fakeredis.FakeAsyncRedis(), durable=False)
    channel = RecordingChannel()
    dispatcher = Dispatcher(
        store, ScriptedRasa(["Bonjour !", "Que puis-je faire ?"]), {"test": channel}, metrics=metrics
    )
    await store.enqueue(message())
    await dispatcher.handle_conversation("test:1", "w1")
    assert sample(metrics, "passerelle_messages_sent_total", channel="test", sender="bot") == 2
    assert sample(metrics, "passerelle_reply_seconds_count", channel="test") == 1


class LatestMessage:
    def __init__(self, latest: dict[str, Any] | None, fail: bool = False) -> None:
        self.latest, self.fail, self.asked = latest, fail, 0

    async def latest_message(self, conversation_id: str) -> dict[str, Any] | None:
        self.asked += 1
        if self.fail:
            raise RuntimeError("Rasa down")
        return self.latest


async def test_the_nlu_probe_counts_free_text_but_not_button_payloads_and_never_fails() -> None:
    metrics = Metrics()
    rasa = LatestMessage(FALLBACK)
    probe = NluProbe(rasa, metrics)
    await probe(Inbound("test:1", "test", "blabla", message_id="1"), BotReply())
    await probe(Inbound("test:1", "test", "/affirm", message_id="2"), BotReply())
    await NluProbe(LatestMessage(None, fail=True), metrics)(Inbound("test:1", "test", "x", message_id="3"), BotReply())
    assert rasa.asked == 1
    assert sample(metrics, "passerelle_nlu_messages_total", result="fallback") == 1
    assert sample(metrics, "passerelle_nlu_confidence_count") == 1


async def test_time_to_claim_is_observed_when_a_person_takes_over() -> None:
    metrics, clock = Metrics(), Clock()
    senders: Any = {"telegram": Sender()}
    desk = Desk(fakeredis.FakeAsyncRedis(), Board(), Rasa(), senders, clock=clock, metrics=metrics)
    await desk.open_ticket(
        Inbound("telegram:5", "telegram", "un humain", display_name="Léa", message_id="1"),
        Handoff(reason="customer_request", language="fr", summary="asked for a person"),
    )
    clock.now += 90
    await desk.take_over("telegram:5", "U1")
    await desk.take_over("telegram:5", "U2")  # already claimed: not counted twice
    assert sample(metrics, "passerelle_time_to_claim_seconds_count") == 1
    assert sample(metrics, "passerelle_time_to_claim_seconds_sum") == 90


def test_webhook_traffic_has_channel_labels_only() -> None:
    metrics = Metrics()
    metrics.queued("telegram", True)
    metrics.queued("telegram", False)
    text = metrics.render((3, 1)).decode()
    assert 'passerelle_messages_received_total{channel="telegram"} 1.0' in text
    assert 'passerelle_duplicates_dropped_total{channel="telegram"} 1.0' in text
    assert "passerelle_tickets_open 3.0" in text and "passerelle_tickets_unclaimed 1.0" in text
    labels = {k for family in text_string_to_metric_families(text) for s in family.samples for k in s.labels}
    assert labels <= {"channel", "sender", "status", "result", "le"}
