"""The website chat over its WebSocket, through the gateway, to the real stack."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets

pytestmark = pytest.mark.stack


def ws_url(gateway: str, session: str, lang: str = "fr") -> str:
    return gateway.replace("http://", "ws://") + f"/chat/ws?session={session}&lang={lang}"


async def next_bot_frame(socket: websockets.WebSocketClientProtocol, timeout: float = 30) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if frame["type"] == "bot":
            return frame


async def test_a_french_and_an_english_conversation(gateway: str) -> None:
    for lang, text, expected in (("fr", "bonjour", "Bonjour"), ("en", "where is my order 48213?", "shipped on")):
        async with websockets.connect(ws_url(gateway, uuid.uuid4().hex, lang)) as socket:
            await socket.send(json.dumps({"id": uuid.uuid4().hex[:12], "text": text}))
            ack = json.loads(await socket.recv())
            assert ack["type"] == "ack" and ack["new"] is True
            assert expected in (await next_bot_frame(socket))["text"]


async def test_buttons_reach_the_browser(gateway: str) -> None:
    async with websockets.connect(ws_url(gateway, uuid.uuid4().hex, "en")) as socket:
        await socket.send(json.dumps({"id": uuid.uuid4().hex[:12], "text": "I want to cancel order 77120"}))
        frame = await next_bot_frame(socket)
        assert [b["payload"] for b in frame["buttons"]] == ["/affirm", "/deny"]


async def test_a_reply_written_while_offline_arrives_on_reconnect(gateway: str) -> None:
    session = uuid.uuid4().hex
    async with websockets.connect(ws_url(gateway, session)) as socket:
        await socket.send(json.dumps({"id": "first-message", "text": "merci beaucoup"}))
        assert json.loads(await socket.recv())["type"] == "ack"
    await asyncio.sleep(2)  # the bot answers while the customer is away
    async with websockets.connect(ws_url(gateway, session)) as socket:
        assert "Avec plaisir" in (await next_bot_frame(socket))["text"]
        # A message re-sent after a reconnect (same id) is not answered twice.
        await socket.send(json.dumps({"id": "first-message", "text": "merci beaucoup"}))
        assert json.loads(await socket.recv()) == {"type": "ack", "id": f"{session}:first-message", "new": False}
        with pytest.raises(asyncio.TimeoutError):
            await next_bot_frame(socket, timeout=2)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[]",
        '{"id": "abcdefgh"}',
        '{"id": "x", "text": "hi"}',
        json.dumps({"id": "abcdefgh", "text": "x" * 5000}),
    ],
)
async def test_bad_frames_get_an_error_not_a_crash(gateway: str, frame: str) -> None:
    async with websockets.connect(ws_url(gateway, uuid.uuid4().hex)) as socket:
        await socket.send(frame)
        assert json.loads(await socket.recv())["type"] == "error"
        await socket.send(json.dumps({"id": uuid.uuid4().hex[:12], "text": "bonjour"}))
        assert json.loads(await socket.recv())["type"] == "ack"


async def test_a_bad_session_id_is_refused(gateway: str) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatusCode):
        async with websockets.connect(ws_url(gateway, "../../etc")) as socket:
            await socket.recv()
