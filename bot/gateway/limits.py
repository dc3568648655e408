"""Per-customer limits applied when a message arrives: its length, and how many messages a minute (flood).

A message over a limit is still queued (so that it keeps its place and a platform retry is recognised), flagged
with the reason; the dispatcher then answers with a clear notice instead of sending it to Rasa or to a person.
Flooding gets one notice, and the messages after it are dropped quietly until fewer than the limit arrived in the
last window (a sliding window: a customer who keeps flooding stays muted).
The counters live in Redis, so every gateway replica counts the same customer together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from bot import notices
from bot.conversation import Inbound, Outbound, Refusal

TOO_LONG: Refusal = "too_long"
FLOOD: Refusal = "flood"
FLOOD_QUIET: Refusal = "flood_quiet"


@dataclass(frozen=True)
class Limits:
    """The limits; 0 turns one off.

    Attributes:
        max_chars: Longest message text read.
        flood_messages: Messages a customer may send within any window.
        flood_window: The sliding window, in seconds.

    """

    max_chars: int = 2000
    flood_messages: int = 20
    flood_window: float = 60.0


class ArrivalCounter(Protocol):
    """What the limits need from the store."""

    async def count_arrival(self, message: Inbound, window: float) -> int | None:
        """Record the message's arrival; how many of the conversation's messages arrived in the last ``window``.

        None for a message already accepted (a platform retry): it is not counted again.
        """


def refusal(message: Inbound, recent: int, limits: Limits) -> Refusal | None:
    """Why the message is not read (``TOO_LONG``, ``FLOOD``, ``FLOOD_QUIET``), or None.

    ``recent`` is the number of the customer's messages in the current window, this one included.
    """
    if limits.max_chars and len(message.text) > limits.max_chars:
        return TOO_LONG
    if limits.flood_messages and recent > limits.flood_messages:
        return FLOOD if recent == limits.flood_messages + 1 else FLOOD_QUIET
    return None


async def screen(message: Inbound, counter: ArrivalCounter, limits: Limits) -> Inbound:
    """The message, flagged with the reason it will not be read, if any. Repeats are not counted."""
    recent = await counter.count_arrival(message, limits.flood_window) if limits.flood_messages else None
    reason = refusal(message, recent or 0, limits)
    return message if reason is None else replace(message, refused=reason)


def refusal_notice(reason: str, language: str) -> Outbound | None:
    """What the customer is told about a refused message (None: nothing, it is dropped quietly)."""
    texts = notices.REFUSALS.get(reason)
    return None if texts is None else Outbound(text=notices.pick(texts, language))
