"""Dates and times written as French or English customers read them."""

from __future__ import annotations

from datetime import date, datetime

FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre")  # fmt: skip
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def format_date(value: date, language: str) -> str:
    """``1er décembre 2026`` / ``12 novembre 2026`` in French, ``12 November 2026`` in English."""
    if language == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {FRENCH_MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {value.strftime('%B')} {value.year}"


def format_moment(moment: datetime, language: str) -> str:
    """``lundi 24 novembre à 9 h 00`` / ``Monday 24 November at 9:00``."""
    if language == "fr":
        return (
            f"{FRENCH_DAYS[moment.weekday()]} {moment.day} {FRENCH_MONTHS[moment.month - 1]} "
            f"à {moment.hour} h {moment.minute:02d}"
        )
    return f"{moment.strftime('%A')} {moment.day} {moment.strftime('%B')} at {moment.hour}:{moment.minute:02d}"
