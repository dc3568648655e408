"""The terminal chat of ``bot run`` and ``bot chat``: a customer channel like the others, through the gateway.

It speaks the web chat's WebSocket protocol on ``/terminal/ws`` (loopback only): what is typed is queued, answered
and journalled like any customer message, and whatever the bot or a person writes is printed when it arrives. So a
handoff opens a ticket in the local agent console (``/agent``), the advisor's replies appear here, and "hand back"
returns the conversation to the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

from websockets.client import connect
from websockets.exceptions import ConnectionClosed

from bot.conversation import Button

CHANNEL = "terminal"
PROMPT = "vous / you > "
ROUTE = "/terminal/ws"


def socket_url(gateway_url: str, session: str, language_hint: str | None) -> str:
    """The gateway's terminal socket for ``session``."""
    base = gateway_url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
    return f"{base}{ROUTE}?session={session}" + (f"&lang={language_hint}" if language_hint else "")


def render(frame: dict[str, Any], first: int = 1) -> tuple[list[str], list[Button]]:
    """Lines to print for a frame from the gateway, and its buttons, numbered from ``first``."""
    if frame.get("type") == "error":
        return [f"[not sent: {frame.get('error')}]"], []
    if frame.get("type") != "bot":
        return [], []
    lines: list[str] = []
    buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in frame.get("buttons") or ()]
    if frame.get("text"):
        lines.append(f"bot > {frame['text']}")
    if frame.get("image"):
        lines.append(f"bot > [image] {frame['image']}")
    lines.extend(f"      {number}) {button.title}" for number, button in enumerate(buttons, first))
    return lines, buttons


def resolve_input(text: str, buttons: list[Button]) -> str:
    """A number picks the button with that number; anything else is sent as typed."""
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        return buttons[int(stripped) - 1].payload
    return stripped


async def chat(
    gateway_url: str,
    language_hint: str | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Chat through the gateway until end of input or ``/quit``; replies are printed as they arrive."""
    session = uuid.uuid4().hex[:16]
    write("Atelier Mistral — chat (français ou English). /quit pour sortir, /quit to leave.")
    write(f"(advisors answer from the local agent console: {gateway_url.rstrip('/')}/agent)")
    buttons: list[Button] = []  # offered since the customer last typed, numbered in order
    async with connect(socket_url(gateway_url, session, language_hint)) as socket:

        async def receive() -> None:
            async for raw in socket:
                lines, offered = render(json.loads(raw), first=len(buttons) + 1)
                buttons.extend(offered)
                for line in lines:
                    write(line)
            write("[the gateway closed the connection; press Enter to leave]")

        receiver = asyncio.create_task(receive())
        try:
            while not receiver.done():
                try:
                    typed = await asyncio.to_thread(read, PROMPT)
                except (EOFError, KeyboardInterrupt):
                    break
                text = resolve_input(typed, buttons)
                if text in ("/quit", "/exit") or receiver.done():
                    break
                if text:
                    buttons.clear()  # a number typed later is a number, not an old button
                    await socket.send(json.dumps({"id": uuid.uuid4().hex[:16], "text": text}))
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await receiver
    sys.stdout.flush()
