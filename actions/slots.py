"""Slots filled on every customer message: the conversation's language, and tidy order ids and emails.

Rasa runs ``action_validate_slot_mappings`` after each user message (and while the conversation is paused for a
human, so the language keeps following the customer).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.orders import normalize_order_id
from bot.language import detect_language, normalize_language

# Metadata key under which channels pass their language hint (e.g. Telegram's language_code).
LANGUAGE_HINT_KEY = "language_hint"


def latest_user_metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata the channel sent with the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    return {}


class ValidateSlotMappings(ValidationAction):
    """Detects the language of each message and normalises the entities the customer gave."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Follow the customer's language, with the channel's hint as a prior on the first message."""
        text = tracker.latest_message.get("text") or ""
        hint = latest_user_metadata(tracker).get(LANGUAGE_HINT_KEY)
        current = tracker.get_slot("language")
        return {"language": detect_language(text, current=current, hint=hint if isinstance(hint, str) else None)}

    def validate_language(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep only supported languages."""
        return {"language": normalize_language(value if isinstance(value, str) else None)}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Store ``CMD-77120``, ``#60114`` or ``n°55031`` as the bare 5 digits."""
        return {"order_id": normalize_order_id(value)}

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Store emails trimmed and in lower case."""
        return {"email": str(value).strip().lower() if value else None}
