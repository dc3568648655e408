"""Meta's Messaging Platform, shared by Messenger and Instagram Direct: events -> ``Inbound``, replies -> bodies.

Both platforms send the same ``entry[].messaging[]`` events. Outcomes per event: text and quick replies are
customer messages (a quick reply sends its payload), postbacks send their payload; attachments without text get a
polite answer; echoes of the brand's own messages, unsent (deleted) messages, hearts, delivery and read receipts,
reactions and anything else are ignored, never answered. ``standby`` events are not read: another app, or a person
in Meta's inbox, has those conversations. The platforms differ in how long a text may be (Messenger: 2,000
characters; Instagram: 1,000 bytes), so each channel passes its own ``split``, and in whether an image can be kept
for reuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.conversation import Inbound, Outbound

MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
IGNORED_ATTACHMENTS = ("like_heart",)  # a heart sent as a message (Instagram): a reaction, nothing to answer


def conversation_id(channel: str, sender: str) -> str:
    """The gateway's id of a conversation: one per page- or Instagram-scoped user id."""
    return f"{channel}:{sender}"


def event_to_inbound(event: dict[str, Any], channel: str, account: str) -> Inbound | None:
    """The customer message in one messaging event, or None for an event that is not one.

    ``account`` is the page's or the Instagram account's own id: a message from it is an echo.
    """
    sender = event.get("sender")
    sender = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(sender, str | int) or str(sender) == account:
        return None  # user_ref senders (chat plugin before login) cannot be answered; the brand's own is an echo
    customer = conversation_id(channel, str(sender))
    message = event.get("message")
    if isinstance(message, dict):
        if message.get("is_echo") or message.get("is_deleted") or not message.get("mid"):
            return None
        quick_reply = message.get("quick_reply")
        text = str((quick_reply.get("payload") if isinstance(quick_reply, dict) else None) or message.get("text") or "")
        attachments = message.get("attachments")
        first = attachments[0] if isinstance(attachments, list) and attachments else None
        kind = first.get("type", "file") if isinstance(first, dict) else None
        if not text and kind in IGNORED_ATTACHMENTS:
            return None
        attachment = None if text else str(kind or ("unsupported" if message.get("is_unsupported") else "unknown"))
        return Inbound(customer, channel, text, message_id=str(message["mid"]), attachment=attachment)
    postback = event.get("postback")
    if isinstance(postback, dict):
        message_id = postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}"
        payload = str(postback.get("payload") or postback.get("title") or "")
        return Inbound(customer, channel, payload, message_id=str(message_id))
    return None  # delivery, read, reaction, referral...


def parse_entries(entries: list[Any], channel: str) -> list[Inbound]:
    """Every customer message in a webhook's entries.

    Raises:
        ValueError: when an entry is not an object, or its ``messaging`` not a list.

    """
    messages: list[Inbound] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError(f"malformed {channel} webhook: entry is not an object")
        events = entry.get("messaging") or []
        if not isinstance(events, list):
            raise ValueError(f"malformed {channel} webhook: messaging is not a list")
        account = str(entry.get("id", ""))
        for event in events:
            if isinstance(event, dict) and (inbound := event_to_inbound(event, channel, account)) is not None:
                messages.append(inbound)
    return messages


def send_bodies(
    recipient: str,
    message: Outbound,
    split: Callable[[str], list[str]],
    messaging_type: str = "RESPONSE",
    tag: str | None = None,
    reusable: bool = True,
) -> list[dict[str, Any]]:
    """The bodies for one reply: the text in ``split`` pieces, buttons as quick replies on the last, the image.

    ``reusable`` asks Messenger to keep the image for later sends; Instagram's image payload has the URL only.
    """
    bodies: list[dict[str, Any]] = []
    envelope: dict[str, Any] = {"recipient": {"id": recipient}, "messaging_type": messaging_type}
    if tag:
        envelope["tag"] = tag
    if message.text or message.buttons:
        pieces = split(message.text or "…")
        for i, piece in enumerate(pieces):
            body: dict[str, Any] = {"text": piece}
            if message.buttons and i == len(pieces) - 1:
                body["quick_replies"] = [
                    {"content_type": "text", "title": b.title[:MAX_QUICK_REPLY_TITLE], "payload": b.payload}
                    for b in message.buttons[:MAX_QUICK_REPLIES]
                ]
            bodies.append({**envelope, "message": body})
    if message.image:
        payload: dict[str, Any] = {"url": message.image} | ({"is_reusable": True} if reusable else {})
        bodies.append({**envelope, "message": {"attachment": {"type": "image", "payload": payload}}})
    return bodies
