"""The counting the digest's parts share: rankings, shares and top intents, the same for messages and comments."""

from __future__ import annotations

from collections import Counter

from bot.insights.journal import Event
from bot.rasa_client import FALLBACK_INTENT

TOP = 5
UNKNOWN = "unknown"


def most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    """The counts, most first, ties by name (the same order from one digest to the next)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def share(part: int, whole: int) -> float | None:
    """``part / whole``, None when there is nothing to divide."""
    return part / whole if whole else None


def top_intents(events: list[Event]) -> list[tuple[str, int]]:
    """The ``TOP`` most frequent recognised intents of ``events`` (``nlu_fallback`` and no intent left out)."""
    return most_first(Counter(e.intent for e in events if e.intent and e.intent != FALLBACK_INTENT))[:TOP]
