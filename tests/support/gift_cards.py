"""A topic the demo bot does not know, written for the learning scenario: gift cards, in French and English.

``MINED`` is what customers write before the bot learns the topic; ``UNSEEN`` is asked only after retraining, to
check that the new intent generalises beyond the mined messages. ``WITHOUT_KEYWORDS`` is asked after retraining too,
in words the mined messages never use ("carte", "cadeau", "gift", "card"): only meaning can link them to the topic.
"""

from __future__ import annotations

MINED = {
    "fr": [
        "vous vendez des cartes cadeaux ?",
        "je voudrais offrir une carte cadeau à ma sœur",
        "comment utiliser ma carte cadeau sur le site",
        "ma carte cadeau a expiré, je peux encore l'utiliser ?",
        "quel est le solde de ma carte cadeau",
        "on peut utiliser une carte cadeau en boutique ?",
        "il existe une carte cadeau de 50 euros ?",
        "j'ai reçu une carte cadeau, comment je l'utilise",
        "je voudrais acheter une carte cadeau",
        "la carte cadeau est valable combien de temps",
        "je ne trouve pas où entrer le code de ma carte cadeau",
        "est ce que la carte cadeau peut etre envoyée par mail",
        "carte cadeau pour un anniversaire, c'est possible ?",
        "combien reste-t-il sur ma carte cadeau svp",
    ],
    "en": [
        "do you sell gift cards?",
        "how do I use my gift card online",
        "can I check my gift card balance",
        "my gift card expired, can I still use it",
        "I'd like to buy a gift card for my mom",
        "can I use a gift card in store",
        "is there a 50 euro gift card",
        "I got a gift card, how do I redeem it",
        "where do I enter my gift card code",
        "how long is a gift card valid",
        "can you email a gift card",
        "gift card for a birthday, is that possible?",
        "how much is left on my gift card please",
        "do gift cards expire",
    ],
}

UNSEEN = {
    "fr": [
        "je cherche une carte cadeau pour noël",
        "puis-je payer une partie avec ma carte cadeau",
        "ma carte cadeau ne marche pas sur votre site",
        "quels montants pour les cartes cadeaux",
        "une carte cadeau peut-elle être remboursée",
        "j'ai perdu ma carte cadeau, que faire",
    ],
    "en": [
        "looking for a gift card for christmas",
        "can I pay part of my order with a gift card",
        "my gift card does not work on your website",
        "what amounts do your gift cards come in",
        "can a gift card be refunded",
        "I lost my gift card, what can I do",
    ],
}

WITHOUT_KEYWORDS = {
    "fr": [
        "un bon d'achat à offrir à ma mère, c'est possible ?",
        "vous proposez des bons d'achat ?",
        "je voudrais offrir un avoir à un ami pour son anniversaire",
        "j'ai reçu un bon d'achat de chez vous, comment je m'en sers",
        "combien reste-t-il sur mon bon d'achat",
        "mon bon d'achat est-il encore valable",
        "est-ce que je peux offrir un crédit chez vous à une collègue qui part",
        "comment offrir un montant à dépenser dans votre boutique",
    ],
    "en": [
        "can I buy store credit as a present for a friend",
        "do you sell vouchers I could give to my sister",
        "I received a voucher from your shop, how do I redeem it",
        "how much is left on my voucher",
        "is my store voucher still valid",
        "do you have e-vouchers I can email to a friend",
        "I'd like to give my dad credit to spend on your site for his birthday",
        "can I offer someone a prepaid amount to spend in your store",
    ],
}

# What a customer says when the bot answered beside the point.
NOT_WHAT_I_ASKED = {"fr": "non, ce n'est pas ma question", "en": "no, that's not what I asked"}
