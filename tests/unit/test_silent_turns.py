"""A turn Rasa answers with silence while the bot has the conversation is a failure, undone and asked again."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bot.conversation import Inbound, replies_after_message
from bot.learn.signals import summarize
from bot.rasa_client import RasaClient, RasaError


def user(message_id: str, text: str = "où en est ma commande 48213 ?") -> dict[str, Any]:
    return {"event": "user", "text": text, "metadata": {"message_id": message_id}}


LISTEN = {"event": "action", "name": "action_listen"}
FAILED_TURN = [user("m1"), {"event": "action", "name": "order_status_form"}, LISTEN]  # the action server was down
UNDONE = [{"event": "rewind"}, LISTEN]


def test_a_silent_turn_while_the_bot_has_the_conversation_is_not_an_answer() -> None:
    assert replies_after_message(FAILED_TURN, "m1") is None


def test_a_silent_turn_while_a_person_has_the_conversation_is_one() -> None:
    reply = replies_after_message([{"event": "pause"}, *FAILED_TURN], "m1")
    assert reply is not None and reply.messages == ()


def test_the_last_turn_of_a_message_asked_again_counts() -> None:
    events = [*FAILED_TURN, *UNDONE, user("m1"), {"event": "bot", "text": "Expédiée."}, LISTEN, user("m2")]
    reply = replies_after_message(events, "m1")
    assert reply is not None and [m.text for m in reply.messages] == ["Expédiée."]


def rasa_answering(rest: list[dict[str, Any]], paused: bool, appended: list[Any]) -> RasaClient:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=rest)
        if request.method == "POST":
            appended.extend(json.loads(request.content))
            return httpx.Response(200, json={})
        return httpx.Response(200, json={"paused": paused, "events": None})

    return RasaClient("http://rasa", "token", transport=httpx.MockTransport(handle))


MESSAGE = Inbound("telegram:1", "telegram", "où en est ma commande 48213 ?", message_id="m1")


async def test_rasa_answering_nothing_to_the_bots_conversation_is_an_error_and_the_turn_is_undone() -> None:
    appended: list[Any] = []
    with pytest.raises(RasaError, match="answered nothing"):
        await rasa_answering([], paused=False, appended=appended).send(MESSAGE)
    assert appended == UNDONE


async def test_rasa_answering_nothing_to_a_paused_conversation_is_normal() -> None:
    appended: list[Any] = []
    reply = await rasa_answering([], paused=True, appended=appended).send(MESSAGE)
    assert reply.messages == () and appended == []


async def test_an_answer_needs_no_check() -> None:
    appended: list[Any] = []
    reply = await rasa_answering([{"text": "Expédiée."}], paused=False, appended=appended).send(MESSAGE)
    assert [m.text for m in reply.messages] == ["Expédiée."] and appended == []


def test_bot_learn_counts_a_message_asked_again_once() -> None:
    events = [*FAILED_TURN, *UNDONE, user("m1"), {"event": "bot", "text": "Expédiée."}, LISTEN]
    assert summarize({"sender_id": "telegram:1", "events": events}).messages == 1
