"""Writes the journal from what the gateway sees: each customer message Rasa read, with its intent and sentiment.

Best effort: a journal that cannot be written never holds up or fails a customer's message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.conversation import Inbound
from bot.insights.alerts import NEGATIVE_CUTOFF
from bot.insights.journal import MESSAGE, Event, Journal
from bot.learn.pii import redact
from bot.metrics import read_prediction

log = logging.getLogger(__name__)


def message_event(message: Inbound, latest: Mapping[str, Any] | None, language: str | None, at: float) -> Event:
    """The journal record of a customer message, from Rasa's parse of it (``latest``: the tracker's latest message).

    The text is kept, redacted, only when the bot did not understand the message or it reads negative.
    """
    parse = latest or {}
    prediction = read_prediction(latest)
    unhandled = prediction is not None and prediction[0]
    intent = (parse.get("intent") or {}).get("name")
    if latest is None and message.text.startswith("/"):  # a button press: its payload names the intent
        intent = message.text[1:].split("{", 1)[0] or None
    sentiment = parse.get("sentiment") or {}
    score = float(sentiment["score"]) if isinstance(sentiment.get("score"), (int, float)) else None
    negative = intent == "complaint" or (score is not None and score <= NEGATIVE_CUTOFF)
    return Event(
        MESSAGE,
        at,
        message.conversation_id,
        message.channel,
        language=sentiment.get("language") or language,
        intent=intent,
        unhandled=unhandled,
        sentiment=score,
        text=redact(message.text) if unhandled or negative else None,
        id=f"message:{message.dedupe_key}",
    )


class JournalRecorder:
    """Records customer messages in the journal."""

    def __init__(self, journal: Journal, clock: Callable[[], float] = time.time) -> None:
        """Write to ``journal``."""
        self.journal = journal
        self.clock = clock

    async def message(self, message: Inbound, latest: Mapping[str, Any] | None, language: str | None) -> None:
        """Record a message Rasa read (button presses included: they are turns too)."""
        try:
            await self.journal.record(message_event(message, latest, language, self.clock()))
        except Exception as error:  # the journal must never fail a conversation
            log.warning("could not write the journal: %s", error)
