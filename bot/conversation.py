"""The channel-neutral core: what a customer sent, what the bot answers, and the handoff signal.

Channels translate their payloads to ``Inbound`` and render ``Outbound``; nothing here knows a vendor SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Reason = Literal["customer_request", "complaint", "misunderstood_twice", "backoffice_failure", "negative_sentiment"]
# How each handoff reason reads for a community manager (tickets, summaries, digests): one table for every part.
REASONS: dict[str, str] = {
    "customer_request": "asked for a person",
    "complaint": "complaint",
    "misunderstood_twice": "the bot misunderstood twice in a row",
    "backoffice_failure": "the back office failed while the bot was helping",
    "negative_sentiment": "strongly negative message",
}
# Why the gateway does not read a message (bot/gateway/limits.py): too long, or one over the flood limit (the first
# such is answered with a notice, the next ones are dropped quietly).
Refusal = Literal["too_long", "flood", "flood_quiet"]
CHANNEL_NAMES = {
    "telegram": "Telegram",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "web": "Website chat",
    "facebook_comments": "Facebook comments",
    "instagram_comments": "Instagram comments",
    "terminal": "Terminal (bot run)",
    "test": "Test",
}


def escape(text: str) -> str:
    """Customer text made literal for a board (Slack mrkdwn): no ``<!channel>``, mention or disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Button:
    """A choice offered to the customer; pressing it sends ``payload`` (e.g. ``/affirm``)."""

    title: str
    payload: str


@dataclass(frozen=True)
class Handoff:
    """The bot's request to hand the conversation to a person (see actions/handoff.py)."""

    reason: str
    language: str
    summary: str
    order_ids: tuple[str, ...] = ()
    transcript: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class PublicComment:
    """A comment under one of the brand's posts, as the comment desk reads it (Facebook Page or Instagram).

    Attributes:
        platform: ``facebook`` or ``instagram``.
        comment_id: The platform's id of the comment (what a reply, a private reply or hiding it names).
        post_id: The post (Facebook ``post_id``) or media (Instagram ``media.id``) it is under.
        author_id: Who wrote it (a page- or Instagram-scoped id).
        account_id: The brand's Page or Instagram account that received it.
        verb: ``add``, ``edited`` or ``remove``.
        parent_id: The comment it answers, or None for a top-level comment.
        created_at: When it was written (Unix time; Instagram gives the delivery's time).
        mention: The brand was @mentioned in it (Instagram ``mentions``), rather than commented under.

    """

    platform: str
    comment_id: str
    post_id: str
    author_id: str
    account_id: str
    verb: str = "add"
    parent_id: str | None = None
    created_at: float = 0.0
    mention: bool = False


@dataclass(frozen=True)
class Inbound:
    """A customer message as every channel sees it.

    Attributes:
        conversation_id: Stable id of the conversation, prefixed by the channel (``telegram:123``).
        channel: Channel name.
        text: What the customer wrote, or a button's payload.
        language_hint: The channel's idea of the customer's language (e.g. Telegram ``language_code``).
        display_name: How the customer is called, for community managers.
        message_id: The channel's id of the message, unique within the channel, for deduplication.
        attachment: What the customer sent that the bot cannot read (``sticker``, ``photo``, ``voice``...).
        callback_id: The platform's id of a button press, to acknowledge it.
        refused: Why the message will not be read (over a limit, see bot/gateway/limits.py), or None.
        language: The conversation's language after this message, as the gateway decided it (bot/gateway/dispatcher.py),
            which Rasa's ``language`` slot then takes (bot/nlp/entity_values.py).
        comment: For a public comment (channels ``facebook_comments`` and ``instagram_comments``, one conversation per
            post): where it was written and by whom; the comment desk reads it, not Rasa's dialogue.

    """

    conversation_id: str
    channel: str
    text: str
    language_hint: str | None = None
    display_name: str | None = None
    message_id: str | None = None
    attachment: str | None = None
    callback_id: str | None = None
    refused: Refusal | None = None
    language: str | None = None
    comment: PublicComment | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inbound:
        """Read back what ``dataclasses.asdict`` wrote (the gateway's queue)."""
        comment = data.get("comment")
        return cls(**{**data, "comment": PublicComment(**comment) if isinstance(comment, dict) else None})

    @property
    def dedupe_key(self) -> str:
        """The key under which a repeated delivery of this message is recognised."""
        if not self.message_id:
            raise ValueError(f"a {self.channel} message needs a message_id to be queued")
        return f"{self.channel}:{self.message_id}"

    def rasa_metadata(self) -> dict[str, Any]:
        """The metadata sent to Rasa with the message (read by bot/nlp/customer_entities.py and the actions)."""
        return {
            "channel": self.channel,
            "user_id": self.conversation_id.split(":", 1)[-1],
            "language": self.language,
            "language_hint": self.language_hint,
            "display_name": self.display_name,
            "message_id": self.message_id,
        }


@dataclass(frozen=True)
class Outbound:
    """One bot message to deliver to the customer."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None


@dataclass(frozen=True)
class BotReply:
    """Everything Rasa answered to one customer message."""

    messages: tuple[Outbound, ...] = ()
    handoff: Handoff | None = None
    custom: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def reply_from_rasa(payload: list[dict[str, Any]]) -> BotReply:
    """Translate the REST channel's answer (a list of messages) into a ``BotReply``."""
    messages: list[Outbound] = []
    custom: list[dict[str, Any]] = []
    handoff: Handoff | None = None
    for message in payload:
        data = message.get("custom")
        if isinstance(data, dict) and isinstance(data.get("handoff"), dict):
            signal = data["handoff"]
            handoff = Handoff(
                reason=str(signal.get("reason", "customer_request")),
                language=str(signal.get("language", "fr")),
                summary=str(signal.get("summary", "")),
                order_ids=tuple(str(i) for i in signal.get("order_ids") or ()),
                transcript=tuple(signal.get("transcript") or ()),
            )
            continue
        if isinstance(data, dict):
            custom.append(data)
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or ()
        )
        if message.get("text") or message.get("image") or buttons:
            messages.append(Outbound(text=message.get("text"), buttons=buttons, image=message.get("image")))
    return BotReply(messages=tuple(messages), handoff=handoff, custom=tuple(custom))


def replies_after_message(events: list[dict[str, Any]], message_id: str) -> BotReply | None:
    """What the bot answered to the customer message ``message_id``, read from a Rasa tracker's events.

    The message's last turn counts (a message sent again after a failed turn appears twice). Returns None when
    Rasa never processed the message, or when its turn ended in silence while the bot had the conversation (a
    custom action failed, see ``RasaClient.send``): either way it must be sent again.
    """
    found = paused = paused_then = False
    payload: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind in ("pause", "resume", "session_started", "restart"):
            paused = kind == "pause"
        if kind == "user":
            if (event.get("metadata") or {}).get("message_id") == message_id:
                found, paused_then, payload = True, paused, []
            elif found:
                break
        elif found and kind == "bot":
            data = event.get("data") or {}
            payload.append(
                {
                    "text": event.get("text"),
                    "buttons": data.get("buttons"),
                    "image": data.get("image"),
                    "custom": data.get("custom"),
                }
            )
    if not found or (not payload and not paused_then):
        return None
    return reply_from_rasa(payload)
