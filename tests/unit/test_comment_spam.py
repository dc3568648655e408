"""Spam and abuse under the brand's posts, French and English: hidden when the policy says so, so it must not catch
a customer's complaint, a question or a photo link (bot/comments/spam.py)."""

from __future__ import annotations

import pytest

from bot.comments.spam import read_spam

SPAM = [
    "Earn $500 a day from home with crypto, DM me for details",
    "💰 Investissement bitcoin rentable, écris-moi sur WhatsApp +33 6 12 34 56 78",
    "Check my profile for free followers!! link in bio",
    "Gagnez 300€ par jour avec le trading, contactez-moi : www.vite-riche.xyz",
    "@anna.b @julie_m @sarah.k @lucie.p regardez ça",
    "You are all a bunch of morons, fuck you",
    "Bande de connards",
    "Promo code on my page, follow me 👉 bit.ly/xx",
]
NOT_SPAM = [
    "Ma commande 12345 n'est toujours pas arrivée, c'est inadmissible",
    "Where is my order? Tracking says delivered but nothing here",
    "Vous livrez en Belgique ?",
    "This jacket is gorgeous 😍",
    "Photo of the torn parcel: https://imgur.com/abc123, what do I do?",
    "C'est de la merde, trois semaines sans réponse",  # an angry customer: a person, not hidden
    "@julie_m regarde cette robe !",  # one friend tagged
    "Do you have the blue one in size M?",
    "Appelez-moi au 06 12 34 56 78 svp, j'ai un problème de paiement",  # a customer asking to be called
]


@pytest.mark.parametrize("text", SPAM)
def test_spam_and_abuse_are_recognised(text: str) -> None:
    assert read_spam(text).spam, read_spam(text).signals


@pytest.mark.parametrize("text", NOT_SPAM)
def test_customers_are_not_taken_for_spam(text: str) -> None:
    assert not read_spam(text).spam, read_spam(text).signals


@pytest.mark.parametrize(
    "text",
    [
        "Ma commande est en retard depuis 2 semaines",  # "retard": late, not an insult
        "Livraison en retard, inadmissible",
        "Order 1234567890 never arrived, please DM me",  # an order number is not a phone number
        "My order from shop.com never came, message me please",  # a customer asking to be contacted
        "Écrivez-moi en privé svp, commande 55555 introuvable",
    ],
)
def test_late_orders_and_customers_asking_for_a_message_are_not_spam(text: str) -> None:
    assert not read_spam(text).spam, read_spam(text).signals
