"""Instagram Direct from recorded payloads (tests/fixtures/meta_social/): every body's outcome at the shared Meta
webhook, the signature checked before parsing, and Send API bodies within Instagram's 1,000-byte limit."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from bot.channels.instagram import MAX_TEXT_BYTES, send_payloads, split_text
from bot.channels.messenger import parse_webhook
from bot.config import Settings
from bot.conversation import Button, Outbound
from bot.gateway.app import create_app
from bot.gateway.wiring import build_gateway
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "meta_social"
SIGNATURES = json.loads((FIXTURES / "signatures.json").read_text())
SECRET = SIGNATURES["app_secret"]
# Every reference body, and what the bot makes of it: (conversation, text, attachment) per customer message.
OUTCOMES: dict[str, list[tuple[str, str, str | None]]] = {
    "metadocs_ig_msg_text": [("instagram:<IGSID>", "<MESSAGE_CONTENT>", None)],
    "chatwoot_ig_dashboard_test_text_event": [("instagram:12334", "random_text", None)],
    "chatwoot_ig_msg_story_reply": [("instagram:Sender-id-1", "This is the story reply", None)],
    "constructed_ig_msg_image_attachment": [("instagram:<IGSID>", "", "image")],
    "chatwoot_ig_msg_share_attachment": [("instagram:Sender-id-1", "", "share")],
    "metadocs_ig_msg_story_mention": [("instagram:<IGSID>", "", "story_mention")],
    "constructed_ig_msg_echo_text": [],  # the brand's own message
    "metadocs_ig_msg_reaction_react": [],
    "metadocs_ig_msg_seen": [],
    "chatwoot_ig_msg_unsend_is_deleted": [],  # the customer took the message back: nothing to answer
    # public comments are not private messages: tests/contract/test_comment_events.py
    "constructed_ig_comments_add_toplevel": [],
    "constructed_ig_comments_add_reply": [],
    "metadocs_ig_mentions_in_comment": [],
    "metadocs_ig_mentions_in_caption": [],
}


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_every_instagram_body_has_its_outcome(name: str) -> None:
    messages = [m for m in parse_webhook(json.loads(raw(name))) if m.comment is None]
    assert [(m.conversation_id, m.text, m.attachment) for m in messages] == OUTCOMES[name]
    assert all(m.channel == "instagram" and m.message_id for m in messages)


def test_every_instagram_reference_body_is_covered() -> None:
    instagram = {p.stem for p in FIXTURES.glob("*ig_*.json")}
    assert instagram == set(OUTCOMES)


SETTINGS = Settings(redis_url="", messenger_page_token="PAGE_TOKEN", messenger_app_secret=SECRET)


async def post(body: bytes, signature: str | None, settings: Settings = SETTINGS) -> httpx.Response:
    app = create_app(settings, build_gateway(settings))  # in-memory store; no lifespan, so nothing is sent
    headers = {"Content-Type": "application/json"} | ({"X-Hub-Signature-256": signature} if signature else {})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        return await client.post("/webhooks/messenger", content=body, headers=headers)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
async def test_each_signed_body_is_acknowledged_at_the_shared_callback_url(name: str) -> None:
    response = await post(raw(name), SIGNATURES["files"][f"{name}.json"]["X-Hub-Signature-256"])
    assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc"])
async def test_unsigned_or_forged_instagram_bodies_are_refused(signature: str | None) -> None:
    assert (await post(raw("metadocs_ig_msg_text"), signature)).status_code == 403


async def test_an_instagram_app_secret_signs_too_when_configured() -> None:
    header = SIGNATURES["files"]["metadocs_ig_msg_text.json"]["X-Hub-Signature-256"]
    both = Settings(
        redis_url="", messenger_page_token="PAGE_TOKEN", messenger_app_secret="meta_secret", instagram_app_secret=SECRET
    )
    assert (await post(raw("metadocs_ig_msg_text"), header, both)).status_code == 200


def test_long_replies_are_split_under_instagrams_byte_limit_at_word_boundaries() -> None:
    text = ("Votre commande n°48213 a été expédiée — suivi Colissimo. " * 40).strip()
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(p.encode()) <= MAX_TEXT_BYTES for p in pieces)
    assert " ".join(pieces) == text  # nothing lost, cut between words
    assert split_text("é" * 600) == ["é" * 500, "é" * 100]  # 2 bytes each, never a broken character


def test_send_bodies_quick_replies_and_the_human_agent_tag() -> None:
    reply = Outbound(text="Annuler ?", buttons=(Button("Oui", "/affirm"), Button("Non", "/deny")))
    [body] = send_payloads("IGSID", reply)
    assert body["recipient"] == {"id": "IGSID"} and body["messaging_type"] == "RESPONSE"
    assert [q["payload"] for q in body["message"]["quick_replies"]] == ["/affirm", "/deny"]
    [tagged] = send_payloads("IGSID", Outbound(text="Bonjour, ici Léa"), "MESSAGE_TAG", "HUMAN_AGENT")
    assert tagged["tag"] == "HUMAN_AGENT" and tagged["messaging_type"] == "MESSAGE_TAG"


def event_body(event: dict[str, object], key: str = "messaging") -> dict[str, object]:
    return {"object": "instagram", "entry": [{"id": "IGACCOUNT", "time": 1, key: [event]}]}


def test_standby_events_and_hearts_are_never_answered() -> None:
    text = {"sender": {"id": "IGSID"}, "recipient": {"id": "IGACCOUNT"}, "message": {"mid": "m1", "text": "allo"}}
    assert parse_webhook(event_body(text, "standby")) == []  # another app, or a person in Meta's inbox, has it
    heart = {**text, "message": {"mid": "m2", "attachments": [{"type": "like_heart"}]}}
    assert parse_webhook(event_body(heart)) == []


@pytest.mark.parametrize(
    "event",
    [{"sender": "IGSID", "message": {"mid": "m"}}, {"sender": {"id": "S"}, "message": {"mid": "m", "quick_reply": 3}}],
)
def test_odd_events_are_read_or_dropped_without_a_crash(event: dict[str, object]) -> None:
    assert all(m.channel == "instagram" for m in parse_webhook(event_body(event)))


def test_a_messaging_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_webhook({"object": "instagram", "entry": [{"id": "IGACCOUNT", "messaging": 5}]})


def test_split_text_never_sends_an_empty_piece_and_always_ends() -> None:
    assert split_text(" " * 1500) == [""]  # nothing to say: one empty text, never sent (the sender says "…")
    assert split_text("\n" * 600 + "a" * 800) == ["a" * 800]
    assert split_text("😀😀", limit=2) == ["😀", "😀"]  # under one character's size: one character a piece


async def test_the_instagram_secret_signs_only_instagram_bodies() -> None:
    both = Settings(
        redis_url="", messenger_page_token="PAGE_TOKEN", messenger_app_secret="meta_secret", instagram_app_secret=SECRET
    )
    page = json.dumps({"object": "page", "entry": []}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), page, hashlib.sha256).hexdigest()
    assert (await post(page, signature, both)).status_code == 400
