"""Fuzzing every payload parser (hypothesis): whatever arrives gets a handled result or a 4xx, never a crash or a 5xx.

Random JSON, valid payloads with one field swapped for anything, huge, unicode and control-character text; at the
HTTP level, correctly authenticated requests with arbitrary bodies. Derandomized, so CI runs the same cases each time.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels import messenger, telegram, webchat
from bot.config import Settings
from bot.gateway.app import create_app
from bot.gateway.wiring import build_gateway

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=50) | st.sampled_from(
    ["", "\x00", "\u202e", "🙂" * 3000, "a" * 10_000, "<!channel>", "\ud7ff", "\n\r\t"]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=25,
)
TELEGRAM_UPDATE = {
    "update_id": 1,
    "message": {
        "message_id": 2,
        "date": 0,
        "text": "bonjour",
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Léa", "language_code": "fr"},
    },
}
TELEGRAM_PATHS = [
    ("update_id",),
    ("message",),
    ("message", "text"),
    ("message", "chat"),
    ("message", "chat", "id"),
    ("message", "chat", "type"),
    ("message", "from"),
    ("message", "from", "language_code"),
    ("message", "message_id"),
    ("message", "sticker"),
    ("callback_query",),
    ("edited_message",),
]
MESSENGER_EVENT = {
    "object": "page",
    "entry": [
        {
            "id": "PAGE",
            "time": 1,
            "messaging": [
                {"sender": {"id": "P1"}, "recipient": {"id": "PAGE"}, "message": {"mid": "m1", "text": "hi"}}
            ],
        }
    ],
}
MESSENGER_PATHS = [
    ("object",),
    ("entry",),
    ("entry", 0),
    ("entry", 0, "messaging"),
    ("entry", 0, "messaging", 0),
    ("entry", 0, "messaging", 0, "sender"),
    ("entry", 0, "messaging", 0, "sender", "id"),
    ("entry", 0, "messaging", 0, "message"),
    ("entry", 0, "messaging", 0, "message", "text"),
    ("entry", 0, "messaging", 0, "message", "quick_reply"),
    ("entry", 0, "messaging", 0, "postback"),
]


def replaced(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the value at ``path`` replaced."""
    copied = copy.deepcopy(document)
    target: Any = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copied


@FUZZ
@given(st.one_of(JSON, st.tuples(st.sampled_from(TELEGRAM_PATHS), JSON)))
def test_telegram_parser_answers_or_refuses_anything(case: Any) -> None:
    data = replaced(TELEGRAM_UPDATE, case[0], case[1]) if isinstance(case, tuple) else case
    try:
        parsed = telegram.parse_update(data)
    except ValueError:
        return
    for message in parsed.messages:
        assert isinstance(message.text, str) and message.conversation_id.startswith("telegram:")


@FUZZ
@given(st.one_of(JSON, st.tuples(st.sampled_from(MESSENGER_PATHS), JSON)))
def test_messenger_parser_answers_or_refuses_anything(case: Any) -> None:
    data = replaced(MESSENGER_EVENT, case[0], case[1]) if isinstance(case, tuple) else case
    try:
        messages = messenger.parse_webhook(data)
    except ValueError:
        return
    for message in messages:
        assert isinstance(message.text, str) and message.conversation_id.startswith("messenger:")


@FUZZ
@given(st.one_of(TEXT, JSON.map(json.dumps)))
def test_web_chat_frames_are_read_or_refused(raw: str) -> None:
    try:
        message = webchat.parse_client_message(raw, "session-abcdef12", "fr")
    except ValueError:
        return
    assert message.text and len(message.text) <= webchat.MAX_TEXT


SETTINGS = Settings(
    telegram_token="123456:" + "A" * 35,
    telegram_webhook_secret="fuzz-secret",
    telegram_api_url="http://127.0.0.1:9/bot",
    messenger_page_token="page-token",
    messenger_app_secret="app-secret",
    messenger_verify_token="verify",
    messenger_api_url="http://127.0.0.1:9",
    rasa_url="http://127.0.0.1:9",
)
APP = create_app(SETTINGS, build_gateway(SETTINGS))  # in-memory store; no lifespan, so nothing is sent anywhere
BODIES = st.one_of(st.binary(max_size=2000), JSON.map(lambda v: json.dumps(v).encode()), TEXT.map(str.encode))


async def post(path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        return await client.post(path, content=body, headers=headers)


@FUZZ
@given(BODIES)
async def test_an_authenticated_telegram_webhook_never_gets_a_5xx(body: bytes) -> None:
    response = await post("/webhooks/telegram", body, {"X-Telegram-Bot-Api-Secret-Token": "fuzz-secret"})
    assert response.status_code < 500, response.text


@FUZZ
@given(BODIES)
async def test_a_signed_messenger_webhook_never_gets_a_5xx(body: bytes) -> None:
    signature = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    response = await post("/webhooks/messenger", body, {"X-Hub-Signature-256": signature})
    assert response.status_code < 500, response.text
