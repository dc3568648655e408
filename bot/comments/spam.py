"""Spam and abuse in public comments, French and English: a few visible signals, combined so that one is not enough.

Spam under a brand's posts is mostly the same few things: an offer of money or crypto, a "DM me" or "check my
profile", a link or a WhatsApp number to take the conversation elsewhere, a chain of tagged accounts, and insults.
A customer's complaint may carry a link (a photo of the parcel) or a swear word; it must reach a person, not be
hidden, so a link alone, an order number, "DM me", an offer alone or swearing is not spam: spam is a link or a
contact elsewhere with an offer or self-promotion, an offer with self-promotion or "DM me", three tagged accounts, or
an insult aimed at someone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlp.language import without_accents

LINK = re.compile(
    r"https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|io|xyz|ly|me|ru|top|shop|site|link|info|biz|click|online)\b"
)
# A phone number as spammers write it: international (+33 6..., +1 555...) or French (06 12 34 56 78); not an order
# number (a plain run of digits).
CONTACT = re.compile(
    r"whats\s?app|telegram|wa\.me|t\.me|\bsnap(?:chat)?\b|\+\d{1,3}(?:[\s.-]?\d){7,}|\b0\d(?:[\s.-]\d{2}){4}\b"
)
# Promotion of the commenter's own account; asking to be contacted in private is what customers do too.
PROMOTION = re.compile(
    r"check (?:out )?my (?:profile|bio|page|account)|\bfollow (?:me|back|my)\b|link in (?:my )?bio|\bcollab\b|"
    r"promo code|brand ambassador|regarde[zr]? mon (?:profil|compte)|abonne[- ]toi|abonnez[- ]vous a moi|suivez[- ]moi|"
    r"lien dans (?:ma|la) bio|code promo|ambassadeur|ambassadrice"
)
ASK_PRIVATE = re.compile(
    r"\b(?:dm|pm|inbox|message|text|write to|contact) (?:me|us)\b|\bdm (?:for|to)\b|ecri[st][- ]moi|envoie[- ]moi|"
    r"contacte[zr]?[- ]moi"
)
OFFER = re.compile(
    r"\b(?:crypto|bitcoin|btc|forex|binary options?|investment|invest(?:ir|issez)?|trading|giveaway|earn \$?\d+|"
    r"make money|\$\d+ (?:a|per) (?:day|week)|gagne[rz]? \d+|argent facile|revenus? passifs?|sugar daddy|"
    r"free followers|followers gratuits|onlyfans|casino|paris sportifs)\b"
)
INSULT = re.compile(
    r"\b(?:fuck (?:you|u|off)|asshole|bitch|cunt|moron|connard|connasse|encule|salope|pute|batard|"
    r"ta gueule|nique ta|fils de pute)s?\b"
)
TAG = re.compile(r"(?<![\w@])@[\w.]{2,}")


@dataclass(frozen=True)
class SpamReading:
    """Whether a comment is spam or abuse, and the signals that said so (shown on cards)."""

    spam: bool
    signals: tuple[str, ...] = ()


def read_spam(text: str) -> SpamReading:
    """The spam signals in ``text`` and whether they add up to spam (see the module's docstring)."""
    plain = without_accents(text)
    found = {
        "link": bool(LINK.search(plain)),
        "contact elsewhere": bool(CONTACT.search(plain)),
        "self-promotion": bool(PROMOTION.search(plain)),
        "asks for private contact": bool(ASK_PRIVATE.search(plain)),
        "money offer": bool(OFFER.search(plain)),
        "insult": bool(INSULT.search(plain)),
        "tagged accounts": len(TAG.findall(text)) >= 3,
    }
    signals = tuple(name for name, on in found.items() if on)
    elsewhere = found["link"] or found["contact elsewhere"]
    offer, promotion = found["money offer"], found["self-promotion"]
    spam = (
        (elsewhere and (promotion or offer))
        or (offer and (promotion or found["asks for private contact"]))
        or found["insult"]
        or found["tagged accounts"]
    )
    return SpamReading(spam, signals)
