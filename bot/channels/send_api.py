"""Meta's Send API bodies, shared by Messenger and Instagram Direct: text in pieces, quick replies, an image.

The two differ in how long a text may be (Messenger: 2,000 characters; Instagram: 1,000 bytes), so each channel
passes its own ``split``, and in whether an image can be kept for reuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.conversation import Outbound

MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20


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
