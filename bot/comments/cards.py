"""A comment brought to the community manager: its state, and its Block Kit card (pure: state in, message out).

The card shows the comment (escaped: a commenter cannot write ``<!channel>`` into the support channel), its author,
the post's link, what the desk understood and why it is there, and the buttons its state allows: reply in public,
reply in private (once, within Meta's 7 days), hide, done.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.comments.policy import Decision, Reading
from bot.conversation import CHANNEL_NAMES, Inbound, PublicComment, escape

REPLY_PUBLIC = "comment_reply_public"
REPLY_PRIVATE = "comment_reply_private"
HIDE = "comment_hide"
DONE = "comment_done"
REPLY_FORM = "comment_reply_form"  # the modal in which a manager writes the reply
PRIVATE_REPLY_WINDOW = 7 * 24 * 3600.0  # Meta: one private reply per comment, within 7 days of it


@dataclass(frozen=True)
class CommentCard:
    """A comment on the board, and what was done about it (``history``: mrkdwn lines, quoted text escaped)."""

    message: Inbound
    reading: Reading
    decision: Decision
    ts: str = ""
    permalink: str | None = None
    public_replied: bool = False
    private_replied: bool = False
    hidden: bool = False
    deleted: bool = False
    closed: bool = False
    history: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        """The comment's key in the desk (``<platform>:<comment id>``), also the buttons' value."""
        return comment_key(self.message)

    def with_line(self, line: str, **changes: Any) -> CommentCard:
        """The card with ``changes`` and one more line of history."""
        return replace(self, history=(*self.history, line), **changes)

    def to_dict(self) -> dict[str, Any]:
        """For Redis."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CommentCard:
        """Read back what ``to_dict`` wrote."""
        return cls(
            **{
                **data,
                "message": Inbound.from_dict(data["message"]),
                "reading": Reading(**data["reading"]),
                "decision": Decision(**data["decision"]),
                "history": tuple(data["history"]),
            }
        )


def comment_key(message: Inbound) -> str:
    """``<platform>:<comment id>``: a comment's key, whatever happened to it (added, edited, removed)."""
    assert message.comment is not None, "not a comment"
    return f"{message.comment.platform}:{message.comment.comment_id}"


def private_reply_refusal(
    comment: PublicComment, now: float, replied: bool = False, deleted: bool = False
) -> str | None:
    """Why Meta would refuse a private reply to ``comment`` now (one per comment, within 7 days), or None."""
    if replied:
        return "Meta allows one private reply per comment, and it was sent."
    if deleted:
        return "Its author deleted the comment."
    if comment.created_at and now - comment.created_at > PRIVATE_REPLY_WINDOW:
        return "Meta allows a private reply within 7 days of the comment only."
    return None


def can_reply_privately(card: CommentCard, now: float) -> str | None:
    """Why the card's comment can no longer get a private reply, or None when it can."""
    comment = card.message.comment
    assert comment is not None, "not a comment"
    return private_reply_refusal(comment, now, card.private_replied, card.deleted)


def _sentiment(reading: Reading) -> str:
    mood = "negative" if reading.sentiment <= -0.25 else "positive" if reading.sentiment >= 0.25 else "neutral"
    return f"{mood} ({reading.sentiment:+.2f})"


def card_text(card: CommentCard) -> str:
    """The plain-text fallback (notifications, the local console)."""
    where = CHANNEL_NAMES.get(card.message.channel, card.message.channel)
    author = card.message.display_name or "someone"
    return escape(f"{where}: {author} wrote “{card.message.text[:300]}” ({card.decision.why})")


def card_blocks(card: CommentCard, now: float) -> list[dict[str, Any]]:
    """The card as posted in the support channel."""
    message, comment = card.message, card.message.comment
    assert comment is not None, "not a comment"
    author = message.display_name or comment.author_id or "someone"
    post = f"<{card.permalink}|open the post>" if card.permalink else f"`{escape(comment.post_id)}`"
    understood = "unsure" if card.reading.unsure else f"{card.reading.intent} ({card.reading.confidence:.0%})"
    fields = [
        f"*Author*\n{escape(author)}",
        f"*Where*\n{CHANNEL_NAMES.get(message.channel, escape(message.channel))}: {post}",
        f"*Language*\n{escape(card.reading.language)}",
        f"*Sentiment*\n{_sentiment(card.reading)}",
        f"*Read as*\n{escape(understood)}",
        f"*Why here*\n{escape(card.decision.why)}",
    ]
    quoted = escape(message.text)[:2800] or "_(no text)_"  # Slack's section text: 3,000 characters at most
    kind = "Reply to another comment" if comment.parent_id else "Comment"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"💬 Public comment: {author}"[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{kind}*\n>{quoted}"}},
    ]
    if card.history:
        lines = "\n".join(card.history[-8:])  # written as mrkdwn by the desk, their quoted text escaped
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": lines}]})
    buttons: list[tuple[str, str, str | None]] = []
    if not card.deleted and not card.closed:
        buttons.append(("Reply in public", REPLY_PUBLIC, None))
        if can_reply_privately(card, now) is None:
            buttons.append(("Reply in private", REPLY_PRIVATE, "primary"))
        if not card.hidden:
            buttons.append(("Hide", HIDE, "danger"))
        buttons.append(("Done", DONE, None))
    if buttons:
        elements = []
        for title, action_id, style in buttons:
            button: dict[str, Any] = {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": title},
                "value": card.key,
            }
            if style:
                button["style"] = style
            elements.append(button)
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def reply_form(card: CommentCard, public: bool) -> dict[str, Any]:
    """The modal where a manager writes a reply (``public``: under the comment, else a private message)."""
    where = "under the comment, seen by everyone" if public else "as a private message to its author (one only)"
    return {
        "type": "modal",
        "callback_id": REPLY_FORM,
        "private_metadata": f"{'public' if public else 'private'}|{card.key}",
        "title": {"type": "plain_text", "text": "Reply in public" if public else "Reply in private"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f">{escape(card.message.text[:500])}"}},
            {
                "type": "input",
                "block_id": "reply",
                "label": {"type": "plain_text", "text": f"Your reply, {where}"},
                "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 2000},
            },
        ],
    }
