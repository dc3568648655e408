"""Personal data out of mined messages before anything is written or shown.

Emails, phone numbers, card numbers (Luhn-checked; other 13-19 digit numbers become ``<number>``) and order ids
become ``<email>``, ``<phone>``, ``<card>`` and ``<order_id>``; person names become ``<person>`` after an
introduction or a title ("je m'appelle Léa", "my name is John Smith", "Mme Dupont"). Regular expressions only: the
gateway redacts the journal's texts as messages arrive, and importing spaCy there (which imports TensorFlow, being
installed for Rasa) would stall it for seconds and add hundreds of megabytes.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
CARD = re.compile(r"(?<![\d<])(?:\d[ -]?){12,18}\d(?!\d)")
PHONE = re.compile(r"(?<![\w<])(?:\+\d{1,3}[ .-]?(?:\(0\))?[ .-]?\d(?:[ .-]?\d{2,4}){2,5}|0\d(?:[ .-]?\d{2}){4})(?!\d)")
ORDER_ID = re.compile(r"(?i)(?:\bcmd-?\s?|\bno\.?\s|\bn°\s?|#|\b)\d{5}\b")
# A person's name: one or two capitalised words ("Léa", "Léa Martin", "Jean-Pierre"), after an introduction or a title.
_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?"
_NAME = rf"{_WORD}(?: {_WORD})?"
_INTRODUCTION = r"(?i:\b(?:je m['’]appelle|moi c['’]est|je suis|my name is|this is|i am|i['’]m))"
_TITLE = r"(?i:(?<!\w)(?:m\.|mme\.?|mlle|madame|monsieur|mr\.?|mrs\.?|ms\.?|miss)(?!\w))"
NAMES = re.compile(rf"((?:{_INTRODUCTION}|{_TITLE})\s+){_NAME}\b")


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum of payment cards."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    # A long number that is not a valid card (an IBAN piece, a tracking number...) is hidden too, as a number.
    return "<card>" if luhn_valid(digits) else "<number>"


def redact(text: str) -> str:
    """``text`` with personal data replaced by placeholders."""
    text = EMAIL.sub("<email>", text)
    text = CARD.sub(_card, text)
    text = PHONE.sub("<phone>", text)
    text = ORDER_ID.sub("<order_id>", text)
    return NAMES.sub(lambda match: f"{match.group(1)}<person>", text)
