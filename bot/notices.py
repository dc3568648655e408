"""Every French and English text the gateway and the desk write to customers, and the one language fallback.

Rasa's answers are in domain.yml (one variation per language); these are the texts Passerelle writes itself:
what it cannot read, delays, refusals, the advisor's waiting and closing messages, dates. A text is picked with
``pick``: the customer's language, or ``DEFAULT_LANGUAGE`` when it is not known.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TypeVar

from bot.nlp.language import DEFAULT_LANGUAGE, Language, normalize_language

T = TypeVar("T")


def customer_language(language: str | None) -> Language:
    """``language`` as a language the texts are written in (``fr-CA`` -> ``fr``), ``DEFAULT_LANGUAGE`` if unknown."""
    return normalize_language(language) or DEFAULT_LANGUAGE


def pick(texts: Mapping[str, T], language: str | None) -> T:
    """The text in ``language``, or in ``DEFAULT_LANGUAGE`` when the language is unknown or has no text."""
    return texts.get(customer_language(language)) or texts[DEFAULT_LANGUAGE]


# A message the bot cannot read (a sticker, a photo...): {what} is the kind, from ATTACHMENT_NAMES.
UNSUPPORTED = {
    "fr": "Merci ! Je ne lis que le texte : je ne vois pas les {what}. Pouvez-vous me l'écrire en quelques mots ?",
    "en": "Thanks! I can only read text, so I can't see {what}. Could you tell me in a few words?",
}
ATTACHMENT_NAMES = {
    "fr": {
        "sticker": "stickers",
        "photo": "photos",
        "image": "images",
        "file": "fichiers",
        "voice": "messages vocaux",
        "audio": "fichiers audio",
        "video": "vidéos",
        "document": "documents",
        "location": "positions",
        "contact": "contacts",
        "share": "publications partagées",
        "ig_post": "publications partagées",
        "story_mention": "mentions en story",
        "story": "stories",
        "ig_story": "stories",
        "reel": "reels",
        "ig_reel": "reels",
        "ephemeral": "messages éphémères",
        "unsupported": "messages de ce type",
    },
    "en": {
        "sticker": "stickers",
        "photo": "photos",
        "image": "images",
        "file": "files",
        "voice": "voice messages",
        "audio": "audio files",
        "video": "videos",
        "document": "documents",
        "location": "locations",
        "contact": "contacts",
        "share": "shared posts",
        "ig_post": "shared posts",
        "story_mention": "story mentions",
        "story": "stories",
        "ig_story": "stories",
        "reel": "reels",
        "ig_reel": "reels",
        "ephemeral": "disappearing messages",
        "unsupported": "messages of this kind",
    },
}
DELAY_NOTICE = {
    "fr": "Votre message est bien reçu. Nous rencontrons un petit retard : je vous réponds dès que possible.",
    "en": "Your message is safely received. We're running a little late: I'll answer as soon as I can.",
}

# Messages refused at intake (bot/gateway/limits.py), by reason; a reason without a text is dropped quietly.
REFUSALS = {
    "too_long": {
        "fr": "Votre message est trop long pour moi. Pouvez-vous le résumer en quelques phrases ?",
        "en": "Your message is too long for me. Could you sum it up in a few sentences?",
    },
    "flood": {
        "fr": "Vous m'envoyez beaucoup de messages d'un coup : je ne lis pas les suivants pendant une minute. "
        "Écrivez-moi ensuite, en un seul message si possible.",
        "en": "You're sending me a lot of messages at once: I won't read the next ones for a minute. "
        "Write to me after that, in one message if you can.",
    },
}

# The desk (bot/handoff/desk.py): a customer waiting for an advisor, the satisfaction survey, the return to the bot.
STILL_WAITING = {
    "fr": "Un conseiller va bientôt vous répondre : l'attente estimée est d'environ {minutes} minutes. Votre "
    "conversation est gardée, inutile de répéter votre message.",
    "en": "An advisor will answer you soon: the expected wait is about {minutes} minutes. Your conversation is "
    "kept, no need to repeat your message.",
}
SURVEY = {
    "fr": "Comment évaluez-vous l'aide de notre conseiller, de 1 (mauvaise) à 5 (excellente) ?",
    "en": "How would you rate our advisor's help, from 1 (poor) to 5 (excellent)?",
}
THANKS_FOR_RATING = {"fr": "Merci pour votre avis !", "en": "Thank you for your feedback!"}
BACK_TO_BOT = {
    "fr": "Merci pour votre patience ! Je vous repasse à l'assistant virtuel : posez-moi vos autres questions ici.",
    "en": "Thanks for your patience! I'm handing you back to the virtual assistant: ask me anything else here.",
}


def closed(when: str, language: str | None) -> str:
    """A customer handed over while nobody is there: when someone will answer."""
    return pick(
        {
            "fr": f"Nos conseillers sont absents pour le moment : une personne vous répondra dès {when}. "
            "Votre conversation est gardée.",
            "en": f"Our advisors are away right now: someone will answer you from {when}. Your conversation is kept.",
        },
        language,
    )


# Dates and times written as French or English customers read them.
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
