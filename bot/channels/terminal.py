"""A terminal chat with the bot: the way to try it with no messaging-platform account."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable

from bot import notices
from bot.conversation import BotReply, Button, Inbound
from bot.rasa_client import RasaClient, RasaError

CHANNEL = "terminal"
PROMPT = "vous / you > "


def render(reply: BotReply) -> tuple[list[str], list[Button]]:
    """Lines to print for a reply, and the buttons the next input may pick by number."""
    lines: list[str] = []
    buttons: list[Button] = []
    for message in reply.messages:
        if message.text:
            lines.append(f"bot > {message.text}")
        if message.image:
            lines.append(f"bot > [image] {message.image}")
        for button in message.buttons:
            buttons.append(button)
            lines.append(f"      {len(buttons)}) {button.title}")
    if reply.handoff is not None:
        note = notices.pick(notices.HANDOFF_NOTE, reply.handoff.language)
        lines.append(note.format(reason=reply.handoff.reason))
    if not lines:
        lines.append(
            "      (pas de réponse : un conseiller a repris la conversation / no answer: an advisor has taken over)"
        )
    return lines, buttons


def resolve_input(text: str, buttons: list[Button]) -> str:
    """A number picks the button with that number; anything else is sent as typed."""
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        return buttons[int(stripped) - 1].payload
    return stripped


async def chat(
    client: RasaClient,
    language_hint: str | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Chat until end of input or ``/quit``."""
    conversation_id = f"{CHANNEL}:{uuid.uuid4().hex[:12]}"
    write("Atelier Mistral — chat (français ou English). /quit pour sortir, /quit to leave.")
    buttons: list[Button] = []
    while True:
        try:
            typed = await asyncio.to_thread(read, PROMPT)
        except (EOFError, KeyboardInterrupt):
            break
        text = resolve_input(typed, buttons)
        if text in ("/quit", "/exit"):
            break
        if not text:
            continue
        message = Inbound(
            conversation_id=conversation_id,
            channel=CHANNEL,
            text=text,
            language_hint=language_hint,
            display_name="terminal user",
        )
        try:
            reply = await client.send(message)
        except RasaError as error:
            write(f"[the bot is unreachable: {error}]")
            continue
        lines, buttons = render(reply)
        for line in lines:
            write(line)
    sys.stdout.flush()
