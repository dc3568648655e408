"""Instagram Direct through the Messenger Platform: webhook events -> ``Inbound``, ``Outbound`` -> Send API bodies.

Instagram shares Messenger's Meta app, callback URL (``/webhooks/messenger``, told apart by ``object``), signature
and Send API (a Page token sends to Instagram with Facebook Login). Outcomes per event:
- text (a story reply's text too) and quick replies: a customer message;
- images, shares, reels, story mentions and other media without text, and unsupported messages: a message the bot
  answers politely that it reads only text;
- echoes of the brand's own messages, reactions (a heart sent as a message too), reads and unsent (deleted)
  messages: ignored, never answered;
- comments and mentions (``changes``): not private messages; left to the comment desk;
- ``standby`` events (another app, or a person in Meta's inbox, has the conversation): never answered.
Instagram refuses a text over 1,000 bytes (UTF-8), so long replies are split at word boundaries under that size.
"""

from __future__ import annotations

from typing import Any

from bot.channels.send_api import send_bodies
from bot.conversation import Inbound, Outbound

CHANNEL = "instagram"
IGNORED_ATTACHMENTS = ("like_heart",)  # a heart sent as a message: a reaction, nothing to answer
MAX_TEXT_BYTES = 1000


def conversation_id(igsid: str) -> str:
    """The gateway's id of an Instagram conversation (one per Instagram-scoped user id)."""
    return f"{CHANNEL}:{igsid}"


def _event_to_inbound(event: dict[str, Any], account: str) -> Inbound | None:
    sender = event.get("sender")
    sender = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(sender, str | int) or str(sender) == account:
        return None  # no customer, or the brand's own account (an echo)
    customer = conversation_id(str(sender))
    message = event.get("message")
    if isinstance(message, dict):
        if message.get("is_echo") or message.get("is_deleted") or not message.get("mid"):
            return None
        quick_reply = message.get("quick_reply")
        text = str((quick_reply.get("payload") if isinstance(quick_reply, dict) else None) or message.get("text") or "")
        attachments = message.get("attachments")
        first = attachments[0] if isinstance(attachments, list) and attachments else None
        kind = first.get("type") if isinstance(first, dict) else None
        if not text and kind in IGNORED_ATTACHMENTS:
            return None
        attachment = None if text else str(kind or ("unsupported" if message.get("is_unsupported") else "unknown"))
        return Inbound(customer, CHANNEL, text, message_id=str(message["mid"]), attachment=attachment)
    postback = event.get("postback")
    if isinstance(postback, dict):
        message_id = postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}"
        payload = str(postback.get("payload") or postback.get("title") or "")
        return Inbound(customer, CHANNEL, payload, message_id=str(message_id))
    return None  # reaction, read, referral...


def parse_entries(entries: list[Any]) -> list[Inbound]:
    """Every customer message in the entries of an ``instagram`` webhook.

    Raises:
        ValueError: when an entry is not an object.

    """
    messages: list[Inbound] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError("malformed Instagram webhook: entry is not an object")
        account = str(entry.get("id", ""))
        events = entry.get("messaging") or []  # not ``standby``: another app (or a person in Meta's inbox) has those
        if not isinstance(events, list):
            raise ValueError("malformed Instagram webhook: messaging is not a list")
        for event in events:
            if isinstance(event, dict) and (inbound := _event_to_inbound(event, account)) is not None:
                messages.append(inbound)
    return messages


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
