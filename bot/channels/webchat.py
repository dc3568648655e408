"""The website chat: a widget served by the gateway, talking to it over a WebSocket (the terminal chat too).

The browser keeps a session id in localStorage, so a reload or a dropped connection resumes the conversation.
Customer messages go through the same durable queue as the other channels. Replies are appended to the session's
outbox in Redis and announced on a pub/sub channel, so whichever gateway process holds the customer's socket
delivers them, and replies written while the customer was offline arrive when they come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.conversation import Inbound, Outbound
from bot.keyspace import Namespace, text

log = logging.getLogger(__name__)
CHANNEL = "web"
MAX_TEXT = 2000
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
OUTBOX_TTL = 7 * 24 * 3600
STATIC = Path(__file__).resolve().parents[1] / "static"


def conversation_id(session: str, channel: str = CHANNEL) -> str:
    """The gateway's id of a chat session (the web chat's, or the terminal's, which speaks the same protocol)."""
    return f"{channel}:{session}"


def from_this_machine(websocket: WebSocket) -> bool:
    """A connection from a program on this machine: a loopback address, not relayed by a proxy, not a web page.

    A proxy on the same host makes every client look local, so a forwarded request is refused; a browser always
    sends ``Origin``, so a page cannot open the socket either.
    """
    host = websocket.client.host if websocket.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        loopback = host == "localhost"
    else:  # a dual-stack socket shows IPv4 clients as ::ffff:127.0.0.1
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        loopback = (mapped or address).is_loopback
    relayed = any(name in websocket.headers for name in ("origin", "x-forwarded-for", "forwarded", "x-real-ip"))
    return loopback and not relayed


def valid_session(session: str | None) -> bool:
    """Session ids are random tokens made by the widget: 8-64 URL-safe characters."""
    return bool(session) and _SESSION.match(session or "") is not None


def parse_client_message(raw: str, session: str, language_hint: str | None, channel: str = CHANNEL) -> Inbound:
    """Translate a frame from the widget, ``{"id": ..., "text": ...}``, into a customer message.

    Raises:
        ValueError: when the frame is not such an object or the text is too long.

    """
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError("frame is not JSON") from error
    if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not isinstance(data.get("id"), str):
        raise ValueError("frame needs a string id and text")
    text = data["text"].strip()
    if not text or len(text) > MAX_TEXT or not _SESSION.match(data["id"]):
        raise ValueError("empty or too long message, or bad id")
    return Inbound(
        conversation_id=conversation_id(session, channel),
        channel=channel,
        text=text,
        language_hint=language_hint,
        message_id=f"{session}:{data['id']}",
    )


def _outbox(session: str, channel: str) -> str:
    return Namespace(channel)("outbox", session)


def _topic(session: str, channel: str) -> str:
    return Namespace(channel)("notify", session)


class WebchatSender:
    """Puts replies in the session's outbox and wakes whoever holds the socket."""

    def __init__(self, redis: Redis, channel: str = CHANNEL) -> None:
        """Use the gateway's Redis, for the sessions of ``channel``."""
        self.redis = redis
        self.channel = channel

    async def send(self, conversation_id: str, message: Outbound, from_agent: bool = False) -> None:
        """Append the reply to the outbox and announce it."""
        session = conversation_id.removeprefix(f"{self.channel}:")
        frame = json.dumps({"type": "bot", **asdict(message)}, ensure_ascii=False)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(_outbox(session, self.channel), frame)
            pipe.expire(_outbox(session, self.channel), OUTBOX_TTL)
            pipe.publish(_topic(session, self.channel), "1")
            await pipe.execute()

    async def acknowledge(self, message: Inbound) -> None:
        """Nothing to acknowledge on the web."""


async def _drain(redis: Redis, session: str, channel: str, websocket: WebSocket) -> None:
    """Send every reply waiting in the outbox, removing each only once it went out."""
    while True:
        frame = await redis.lindex(_outbox(session, channel), 0)
        if frame is None:
            return
        await websocket.send_text(text(frame))
        await redis.lpop(_outbox(session, channel))


async def serve_socket(
    websocket: WebSocket,
    redis: Redis,
    accept: Callable[[Inbound], Awaitable[bool]],
    channel: str = CHANNEL,
    local_only: bool = False,
) -> None:
    """Run one connection: ``accept`` what the customer types, push what the bot (or a person) answers.

    ``local_only``: refuse connections from other machines (the terminal chat of ``bot run`` has no login).
    """
    session = websocket.query_params.get("session")
    if not valid_session(session) or (local_only and not from_this_machine(websocket)):
        await websocket.close(code=4400)
        return
    assert session is not None
    language_hint = websocket.query_params.get("lang")
    await websocket.accept()
    pubsub = redis.pubsub()
    await pubsub.subscribe(_topic(session, channel))

    async def push() -> None:
        await _drain(redis, session, channel, websocket)
        while True:
            message: Any = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                await _drain(redis, session, channel, websocket)

    pusher = asyncio.create_task(push())
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                inbound = parse_client_message(raw, session, language_hint, channel)
            except ValueError as error:
                await websocket.send_text(json.dumps({"type": "error", "error": str(error)}))
                continue
            queued = await accept(inbound)
            await websocket.send_text(json.dumps({"type": "ack", "id": inbound.message_id, "new": queued}))
    except WebSocketDisconnect:
        pass
    finally:
        pusher.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await pusher
        await pubsub.unsubscribe(_topic(session, channel))
        await pubsub.reset()


async def page(request: Request) -> Response:
    """``GET /chat``: a demo page with the widget."""
    return FileResponse(STATIC / "chat.html", media_type="text/html")


async def widget(request: Request) -> Response:
    """``GET /chat/widget.js``: the embeddable widget (a static file: the gateway's liveness probe reads it)."""
    return FileResponse(STATIC / "widget.js", media_type="text/javascript")


def socket(
    redis: Redis, accept: Callable[[Inbound], Awaitable[bool]], channel: str = CHANNEL, local_only: bool = False
) -> Callable[[WebSocket], Awaitable[None]]:
    """``WS /chat/ws`` (a browser) or ``WS /terminal/ws`` (the terminal chat): one connection (``serve_socket``)."""

    async def endpoint(websocket: WebSocket) -> None:
        await serve_socket(websocket, redis, accept, channel, local_only)

    return endpoint
