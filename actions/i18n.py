"""Language-dependent formatting for values that actions put into responses (dates, prices, statuses)."""

from __future__ import annotations

from datetime import date

from rasa_sdk import Tracker

from bot import notices
from bot.nlp.language import DEFAULT_LANGUAGE, Language, normalize_language

_STATUS_LABELS = {
    "fr": {
        "processing": "en préparation",
        "shipped": "expédiée",
        "delivered": "livrée",
        "cancelled": "annulée",
        "returned": "retournée",
    },
    "en": {
        "processing": "being prepared",
        "shipped": "shipped",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "returned": "returned",
    },
}


def tracker_language(tracker: Tracker) -> Language:
    """The conversation's language, from the ``language`` slot."""
    return normalize_language(tracker.get_slot("language")) or DEFAULT_LANGUAGE


def format_date(value: date | None, language: Language) -> str:
    """Write a date as a customer reads it: ``12 novembre 2026`` or ``12 November 2026``; ``?`` when unknown."""
    return "?" if value is None else notices.format_date(value, language)


def format_price(amount: float, language: Language) -> str:
    """Write an amount in euros: ``89,00 €`` or ``€89.00``."""
    return f"{amount:.2f} €".replace(".", ",") if language == "fr" else f"€{amount:.2f}"


def status_label(status: str, language: Language) -> str:
    """An order status in words."""
    return _STATUS_LABELS[language].get(status, status)
