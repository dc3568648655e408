"""Instagram Direct through the Messenger Platform: webhook events -> ``Inbound``, ``Outbound`` -> Send API bodies.

Instagram shares Messenger's Meta app, callback URL (``/webhooks/messenger``, told apart by ``object``), signature
and Send API (a Page token sends to Instagram with Facebook Login). Outcomes per event:
- text (a story reply's text too) and quick replies: a customer message;
- images, shares, reels, story mentions and other media without text, and unsupported messages: a message the bot
  answers politely that it reads only text;
- echoes of the brand's own messages, reactions (a heart sent as a message too), reads and unsent (deleted)
  messages: ignored, never answered;
- comments and mentions (``changes``): not private messages; bot/channels/meta_comments.py reads them;
- ``standby`` events (another app, or a person in Meta's inbox, has the conversation): never answered.
Instagram refuses a text over 1,000 bytes (UTF-8), so long replies are split at word boundaries under that size.
"""

from __future__ import annotations

from typing import Any

from bot.channels import messaging_platform
from bot.channels.messaging_platform import send_bodies
from bot.conversation import Inbound, Outbound

CHANNEL = "instagram"
MAX_TEXT_BYTES = 1000


def parse_entries(entries: list[Any]) -> list[Inbound]:
    """Every customer message in the entries of an ``instagram`` webhook (see bot/channels/messaging_platform.py).

    Raises:
        ValueError: when an entry is not an object, or its ``messaging`` not a list.

    """
    return messaging_platform.parse_entries(entries, CHANNEL)


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """``text`` in non-empty pieces of at most ``limit`` UTF-8 bytes, never cut inside a character.

    A piece ends at a space or a line break when there is one in its second half. Every piece holds at least one
    character, so a ``limit`` under 4 bytes still ends (a piece may then be one character over it).
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest.encode()) > limit:
        cut = max(1, len(rest.encode()[:limit].decode(errors="ignore")))
        space = max(rest.rfind(" ", 0, cut), rest.rfind("\n", 0, cut))
        cut = space if space > cut // 2 else cut
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [piece for piece in [*pieces, rest] if piece] or [""]


def send_payloads(
    igsid: str, message: Outbound, messaging_type: str = "RESPONSE", tag: str | None = None
) -> list[dict[str, Any]]:
    """The Send API bodies for one reply: text in pieces under 1,000 bytes, buttons as quick replies, image."""
    return send_bodies(igsid, message, split_text, messaging_type, tag, reusable=False)
