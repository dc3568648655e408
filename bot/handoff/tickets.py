"""Block Kit for handoff tickets (pure functions: state in, Slack message out).

Customer text is escaped before it reaches Slack, so a customer cannot write ``<!channel>``, a user mention or a
disguised link into the support channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.conversation import CHANNEL_NAMES, REASONS, escape

TAKE_OVER = "handoff_take_over"
CLOSE = "handoff_close"
HAND_BACK = "handoff_hand_back"
TRANSCRIPT_LINES = 8
TicketStatus = Literal["waiting", "claimed", "closed"]


@dataclass(frozen=True)
class Ticket:
    """What a community manager needs to act without asking again."""

    conversation_id: str
    channel: str
    customer: str
    language: str
    reason: str
    summary: str
    order_ids: tuple[str, ...] = ()
    transcript: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    owner: str | None = None
    status: TicketStatus = "waiting"
    rating: int | None = None  # the customer's 1-5 answer to the satisfaction question
    opened_at: float = 0.0  # when the ticket was posted (Unix time), for the time-to-claim metric


class TicketBoard(Protocol):
    """Where tickets are shown (bot/boards/: Slack, or the local console standing in for it)."""

    name: str

    async def post_ticket(self, ticket: Ticket) -> str:
        """Show a new ticket; return its id (its thread's id)."""

    async def update_ticket(self, ts: str, ticket: Ticket) -> None:
        """Show the ticket's new state."""

    async def post_in_thread(self, ts: str, text: str, broadcast: bool = False) -> None:
        """Add a message under the ticket (``broadcast``: also to the whole channel)."""


def _transcript(ticket: Ticket) -> str:
    lines = []
    for line in ticket.transcript[-TRANSCRIPT_LINES:]:
        who = "👤" if line.get("from") == "customer" else "🤖"
        lines.append(f"{who} {escape(str(line.get('text', '')))[:300]}")
    return "\n".join(lines) or "_(no messages)_"


def ticket_blocks(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket as posted in the support channel, with the buttons its state allows."""
    status = {
        "waiting": "🟠 Waiting for someone",
        "claimed": f"🟢 Taken over by <@{ticket.owner}>",
        "closed": "⚪ Closed",
    }[ticket.status]
    fields = [
        f"*Customer*\n{escape(ticket.customer)}",
        f"*Channel*\n{CHANNEL_NAMES.get(ticket.channel, escape(ticket.channel))}",
        f"*Language*\n{escape(ticket.language)}",
        f"*Reason*\n{REASONS.get(ticket.reason, escape(ticket.reason))}",
    ]
    if ticket.order_ids:
        fields.append("*Orders*\n" + ", ".join(escape(o) for o in ticket.order_ids))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Handoff: {ticket.customer}"[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Summary*\n{escape(ticket.summary)}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Last messages*\n{_transcript(ticket)}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": status}]},
    ]
    if ticket.rating is not None:
        stars = "★" * ticket.rating + "☆" * (5 - ticket.rating)
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Customer satisfaction: {stars} {ticket.rating}/5"}],
            }
        )
    buttons = []
    if ticket.status == "waiting":
        buttons.append(
            {
                "type": "button",
                "action_id": TAKE_OVER,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Take over"},
                "value": ticket.conversation_id,
            }
        )
    if ticket.status == "claimed":
        buttons.append(
            {
                "type": "button",
                "action_id": HAND_BACK,
                "text": {"type": "plain_text", "text": "Hand back to the bot"},
                "value": ticket.conversation_id,
            }
        )
    if ticket.status != "closed":
        buttons.append(
            {
                "type": "button",
                "action_id": CLOSE,
                "text": {"type": "plain_text", "text": "Close"},
                "value": ticket.conversation_id,
            }
        )
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def ticket_text(ticket: Ticket) -> str:
    """The notification text (shown where blocks are not)."""
    return escape(f"Handoff ({REASONS.get(ticket.reason, ticket.reason)}): {ticket.customer}")


def mirrored_customer_message(text: str) -> str:
    """A customer message copied into the ticket's thread."""
    return f"👤 {escape(text)}"
