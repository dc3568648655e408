"""Writes the journal from what the gateway sees: each customer message Rasa read, with its intent and sentiment.

Best effort: a journal that cannot be written never holds up or fails a customer's message.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.conversation import Inbound
from bot.insights.alerts import NEGATIVE_CUTOFF
from bot.insights.journal import MESSAGE, Event, Journal, record_best_effort
from bot.learn.pii import redact
from bot.rasa_client import OUT_OF_SCOPE_INTENT, read_prediction


def message_event(message: Inbound, latest: Mapping[str, Any] | None, language: str | None, at: float) -> Event:
    """The journal record of a customer message, from Rasa's parse of it (``latest``: the tracker's latest message).

    The text is kept, redacted, only when the bot did not handle the message (it fell back, or declined it as out of
    scope: the digest's unhandled topics come from those) or it reads negative.
    """
    parse = latest or {}
    prediction = read_prediction(latest)
    intent = (parse.get("intent") or {}).get("name")
    unhandled = (prediction is not None and prediction[0]) or intent == OUT_OF_SCOPE_INTENT
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

    def __init__(
        self,
        journal: Journal,
        language_of: Callable[[str], Awaitable[str | None]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Write to ``journal``; ``language_of`` gives a conversation's language when Rasa's parse does not."""
        self.journal = journal
        self.language_of = language_of
        self.clock = clock

    async def message(self, message: Inbound, latest: Mapping[str, Any] | None) -> None:
        """Record a message Rasa read (button presses included: they are turns too)."""
        parsed_language = ((latest or {}).get("sentiment") or {}).get("language")
        language = parsed_language or await self.language_of(message.conversation_id)
        await record_best_effort(self.journal, message_event(message, latest, language, self.clock()))
