"""Personal data out of mined messages before anything is written or shown.

Emails, phone numbers, card numbers (Luhn-checked; other 13-19 digit numbers become ``<number>``) and order ids
become ``<email>``, ``<phone>``, ``<card>`` and ``<order_id>``; person names become ``<person>`` where spaCy's rule
matcher catches them ("je m'appelle Léa", "my name is John Smith", "Mme Dupont"). spaCy runs only on messages holding
one of the trigger words, so redaction stays fast.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
CARD = re.compile(r"(?<![\d<])(?:\d[ -]?){12,18}\d(?!\d)")
PHONE = re.compile(r"(?<![\w<])(?:\+\d{1,3}[ .-]?(?:\(0\))?[ .-]?\d(?:[ .-]?\d{2,4}){2,5}|0\d(?:[ .-]?\d{2}){4})(?!\d)")
ORDER_ID = re.compile(r"(?i)(?:\bcmd-?\s?|\bno\.?\s|\bn°\s?|#|\b)\d{5}\b")
TRIGGERS = re.compile(
    r"(?i)\b(?:appelle|c'est|suis|name|i'm|i am|this is|m\.|mme|mlle|madame|monsieur|mr|mrs|ms|miss)\b"
)
INTRODUCTIONS = [
    ["je", "m'", "appelle"],
    ["je", "m’", "appelle"],
    ["moi", "c'", "est"],
    ["je", "suis"],
    ["my", "name", "is"],
    ["this", "is"],
    ["i", "am"],
    ["i", "'m"],
]
TITLES = ["m.", "mme", "mme.", "mlle", "madame", "monsieur", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss"]


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


@lru_cache(maxsize=1)
def _matcher() -> tuple[Any, Any]:
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("fr")  # its tokenizer splits "m'appelle" and "c'est"; English text tokenizes the same
    matcher = Matcher(nlp.vocab)
    name: list[dict[str, Any]] = [{"IS_TITLE": True, "IS_ALPHA": True}, {"IS_TITLE": True, "IS_ALPHA": True, "OP": "?"}]
    intros: list[list[dict[str, Any]]] = [[{"LOWER": word} for word in words] + name for words in INTRODUCTIONS]
    matcher.add("INTRO", intros, greedy="LONGEST")
    title: list[dict[str, Any]] = [{"LOWER": {"IN": TITLES}}]
    matcher.add("TITLE", [title + name], greedy="LONGEST")
    return nlp, matcher


def _names(text: str) -> str:
    nlp, matcher = _matcher()
    doc = nlp(text)
    spans = []
    for match_id, start, end in matcher(doc):
        label = nlp.vocab.strings[match_id]
        first = start + (1 if label == "TITLE" else next(len(w) for w in INTRODUCTIONS if _starts(doc, start, w)))
        spans.append((doc[first].idx, doc[end - 1].idx + len(doc[end - 1].text)))
    for begin, finish in sorted(set(spans), reverse=True):
        text = text[:begin] + "<person>" + text[finish:]
    return text


def _starts(doc: Any, start: int, words: list[str]) -> bool:
    return [t.lower_ for t in doc[start : start + len(words)]] == words


def redact(text: str) -> str:
    """``text`` with personal data replaced by placeholders."""
    text = EMAIL.sub("<email>", text)
    text = CARD.sub(_card, text)
    text = PHONE.sub("<phone>", text)
    text = ORDER_ID.sub("<order_id>", text)
    if TRIGGERS.search(text):
        text = _names(text)
    return text
