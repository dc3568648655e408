"""Messenger webhook bodies from recorded payloads: signature on raw bytes, every event's outcome, Send API bodies."""

from __future__ import annotations

import json

import pytest

from bot.channels.messenger import parse_webhook, send_payloads, signature_matches, verification_challenge
from bot.conversation import Button, Outbound
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "messenger"
SIGNATURES = json.loads((FIXTURES / "signatures.json").read_text())
SECRET = SIGNATURES["app_secret"]


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


@pytest.mark.parametrize("name", [n.removesuffix(".json") for n in SIGNATURES["files"]])
def test_signature_of_every_recorded_body(name: str) -> None:
    header = SIGNATURES["files"][f"{name}.json"]["X-Hub-Signature-256"]
    assert signature_matches(SECRET, raw(name), header)
    assert not signature_matches("another_secret", raw(name), header)
    assert not signature_matches(SECRET, raw(name) + b" ", header)


def test_the_signature_is_over_the_exact_bytes_not_the_parsed_json() -> None:
    escaped, utf8 = raw("constructed_fr_text_accents_escaped"), raw("constructed_fr_text_accents_utf8")
    assert json.loads(escaped) == json.loads(utf8)
    header = SIGNATURES["files"]["constructed_fr_text_accents_escaped.json"]["X-Hub-Signature-256"]
    assert signature_matches(SECRET, escaped, header)
    assert not signature_matches(SECRET, utf8, header)


@pytest.mark.parametrize("header", [None, "", "sha1=abc", "sha256=", "sha256=zz"])
def test_missing_or_malformed_signatures_are_refused(header: str | None) -> None:
    assert not signature_matches(SECRET, raw("fbmessenger-api-hs_wsTextMessageRequest"), header)


def test_verification_handshake() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert verification_challenge(params, "tok") == "1158201444"
    assert verification_challenge({**params, "hub.verify_token": "bad"}, "tok") is None
    assert verification_challenge(params, "") is None


def test_text_message() -> None:
    [message] = parse_webhook(json.loads(raw("fbmessenger-api-hs_wsTextMessageRequest")))
    assert message.conversation_id == "messenger:USER_ID" and message.text == "hello, world!"
    assert message.message_id == "mid.1457764197618:41d102a3e1ae206a38"


def test_french_text_with_accents_and_emoji() -> None:
    [message] = parse_webhook(json.loads(raw("constructed_fr_text_accents_utf8")))
    assert "à un conseiller" in message.text and "arrivée" in message.text


def test_a_quick_reply_sends_its_payload() -> None:
    [message] = parse_webhook(json.loads(raw("metadocs_message_text_quick_reply")))
    assert message.text == "<DEVELOPER_DEFINED_PAYLOAD>"


def test_a_postback_sends_its_payload() -> None:
    [message] = parse_webhook(json.loads(raw("fbmessenger-api-hs_wsPostbackRequest")))
    assert message.text == "USER_DEFINED_PAYLOAD" and message.message_id.startswith("postback:USER_ID:")


@pytest.mark.parametrize(
    "name", ["fbmessenger-api-hs_wsStructuredMessageRequest", "metadocs_message_attachment_image_no_text"]
)
def test_an_image_without_text_gets_a_polite_answer(name: str) -> None:
    [message] = parse_webhook(json.loads(raw(name)))
    assert message.text == "" and message.attachment == "image"


@pytest.mark.parametrize("name", ["fbmessenger-api-hs_wsDeliveryRequest", "metadocs_postback_get_started_user_ref"])
def test_events_that_are_not_customer_messages_are_ignored(name: str) -> None:
    assert parse_webhook(json.loads(raw(name))) == []


def test_every_entry_and_event_of_a_batch_and_echoes_ignored() -> None:
    text = json.loads(raw("fbmessenger-api-hs_wsTextMessageRequest"))
    event = text["entry"][0]["messaging"][0]
    second = {**event, "message": {"mid": "m2", "text": "second"}}
    echo = {**event, "message": {"mid": "m3", "text": "from the page", "is_echo": True}}
    read = {**event, "read": {"watermark": 1}}
    read.pop("message")
    batch = {
        "object": "page",
        "entry": [{"id": "P", "messaging": [event, echo]}, {"id": "P", "messaging": [read, second]}],
    }
    assert [m.text for m in parse_webhook(batch)] == ["hello, world!", "second"]


@pytest.mark.parametrize("data", [{}, [], {"object": "user", "entry": []}, {"object": "page", "entry": [3]}])
def test_malformed_bodies_are_rejected(data: object) -> None:
    with pytest.raises(ValueError):
        parse_webhook(data)


def test_send_bodies_split_text_and_turn_buttons_into_quick_replies() -> None:
    reply = Outbound(text="x" * 2500, buttons=(Button("Oui, annuler la commande", "/affirm"), Button("Non", "/deny")))
    bodies = send_payloads("PSID", reply)
    assert [len(b["message"]["text"]) for b in bodies] == [2000, 500]
    assert all(b["messaging_type"] == "RESPONSE" and b["recipient"] == {"id": "PSID"} for b in bodies)
    quick = bodies[-1]["message"]["quick_replies"]
    assert [q["payload"] for q in quick] == ["/affirm", "/deny"] and len(quick[0]["title"]) <= 20
    assert "quick_replies" not in bodies[0]["message"]
    agent = send_payloads("PSID", Outbound(text="hi"), messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert agent[0]["tag"] == "HUMAN_AGENT"
