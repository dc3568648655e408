"""The values the slots take from a customer message, decided without the conversation's history.

Rasa used to ask the action server (``action_validate_slot_mappings``) after every message to detect the language
and tidy order ids, sending the whole tracker each time: a third of a turn's time. These are pure functions of the
message and its metadata, run by the ``CustomerEntities`` NLU component; the gateway, which keeps each
conversation's language (bot/gateway/dispatcher.py), sends its decision in the metadata.
"""

from __future__ import annotations

import re
from typing import Any

from bot.nlp.language import Language, detect_language, normalize_language

LANGUAGE_KEY = "language"  # metadata: the gateway's decision for this message (history and channel hint included)
LANGUAGE_HINT_KEY = "language_hint"  # metadata: the channel's idea (e.g. Telegram's language_code)

_ORDER_ID = re.compile(r"(?<!\d)(\d{5})(?!\d)")


def normalize_order_id(raw: Any) -> str | None:
    """Reduce ``CMD-77120``, ``#60114``, ``n°55031`` or ``48213`` to the 5 digits, or None."""
    if raw is None:
        return None
    match = _ORDER_ID.search(str(raw))
    return match.group(1) if match else None


def normalize_email(raw: Any) -> str | None:
    """An email trimmed and in lower case."""
    return str(raw).strip().lower() if raw else None


def message_language(text: str, metadata: dict[str, Any] | None) -> Language | None:
    """The language the conversation should take after ``text``, or None to keep the one it has.

    The gateway's decision comes first. Without it (a client of Rasa's REST channel), the message decides when its
    words are clear whatever the conversation's language so far; otherwise the channel's hint does, if any.
    """
    metadata = metadata or {}
    decided = normalize_language(metadata.get(LANGUAGE_KEY))
    if decided is not None:
        return decided
    as_french, as_english = detect_language(text, current="fr"), detect_language(text, current="en")
    if as_french == as_english:
        return as_french
    hint = metadata.get(LANGUAGE_HINT_KEY)
    return normalize_language(hint if isinstance(hint, str) else None)
