"""Multi-turn conversations as customers write them, through the real Rasa server, action server and Redis.

Each conversation is data: a name, the customer's language (the channel's hint) and its turns, each turn what the
customer says and what the reply must show: fragments of its text, ``Not(...)`` fragments, the topic ``Buttons``
offered, and ``Handoff(reason, order)`` when a person must take over (every other turn must not hand over: a
message the bot does not understand, or that is not for it, never opens a ticket by itself).

``{order}`` stands for an order still being prepared that no other test uses (tests/support/demo.py): cancelling
changes the demo back office for the whole session. 77120 is never cancelled (other tests read its status).
Demo orders: 48213 and 76986 shipped; 77120 being prepared; 60114, 62510 delivered days ago (returnable);
55031, 68022, 70513 delivered more than 30 days ago; 60587 cancelled; 43906 returned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest

from bot.conversation import BotReply, Inbound
from bot.rasa_client import RasaClient
from tests.support.demo import take_cancellable_order

pytestmark = pytest.mark.stack


@dataclass(frozen=True)
class Not:
    """A fragment the reply must not contain."""

    fragment: str


@dataclass(frozen=True)
class Buttons:
    """Payloads the reply must offer as buttons."""

    payloads: tuple[str, ...]


@dataclass(frozen=True)
class Handoff:
    """The reply hands the conversation to a person, for this reason, naming this order (if any)."""

    reason: str
    order: str | None = None


Check = str | Not | Buttons | Handoff
TOPIC_BUTTONS = Buttons(("/order_status", "/delivery_problem", "/return_refund", "/payment_issue", "/store_info"))


@dataclass(frozen=True)
class Conversation:
    """What a customer says, turn by turn, and what each reply must show."""

    name: str
    language: str
    turns: list[tuple[str, list[Check]]] = field(default_factory=list)

    @property
    def takes_an_order(self) -> bool:
        return any("{order}" in says for says, _ in self.turns)


def fr(name: str, *turns: tuple[str, list[Check]]) -> Conversation:
    return Conversation(f"fr-{name}", "fr", list(turns))


def en(name: str, *turns: tuple[str, list[Check]]) -> Conversation:
    return Conversation(f"en-{name}", "en", list(turns))


ADVISOR_FR = "Je vous mets en relation avec un conseiller"
ADVISOR_EN = "I'm putting you in touch with an Atelier Mistral advisor"
ACK_FR = "Dites-moi ce que je peux faire pour vous"
ACK_EN = "Tell me what I can do for you"
ELSE_FR = "Puis-je vous aider pour autre chose ?"
ELSE_EN = "Can I help you with anything else?"
BYE_FR = "à bientôt"
BYE_EN = "see you soon"

CONVERSATIONS = [
    # 1. A question the bot asks is remembered until answered, and only until the customer moves on.
    fr(
        "damaged-parcel-yes-hands-over",
        ("mon colis est arrivé abîmé", ["souci de livraison", "Voulez-vous que je vous mette en relation"]),
        ("oui je veux bien", [ADVISOR_FR, Not(ACK_FR), Handoff("customer_request")]),
    ),
    en(
        "damaged-parcel-yes-hands-over",
        ("my parcel arrived damaged", ["delivery problem", "Would you like me to put you in touch"]),
        ("yes please", [ADVISOR_EN, Handoff("customer_request")]),
    ),
    fr(
        "damaged-parcel-no-then-nothing-else-goodbye",
        ("le colis est arrivé tout écrasé", ["souci de livraison"]),
        ("non merci", [ELSE_FR]),
        ("non", [BYE_FR]),
    ),
    en(
        "declined-card-yes-hands-over",
        ("my card was declined", ["declined payment", "would you like an advisor to check your payment?"]),
        ("yes", [ADVISOR_EN, Handoff("customer_request")]),
    ),
    fr(
        "double-charge-no-then-yes-to-anything-else",
        ("j'ai été débité deux fois pour la même commande", ["pré-autorisation", "conseiller vérifie votre paiement"]),
        ("non ça ira", [ELSE_FR]),
        ("oui", [ACK_FR]),
    ),
    fr(
        "return-window-closed-yes-hands-over-with-the-order",
        ("je veux retourner la commande 55031", ["55031", "délai de retour de 30 jours est dépassé", "conseiller"]),
        ("oui s'il vous plaît", [ADVISOR_FR, Handoff("customer_request", "55031")]),
    ),
    en(
        "return-window-closed-no-thanks",
        ("I'd like to return order 68022", ["68022", "30-day return window has closed"]),
        ("no thanks", [ELSE_EN]),
    ),
    fr(
        "an-unrelated-message-drops-the-offer",
        ("mon colis n'est jamais arrivé", ["Voulez-vous que je vous mette en relation"]),
        ("quels sont les horaires de la boutique de Lyon ?", ["Lyon"]),
        ("oui", [ACK_FR, Not(ADVISOR_FR)]),
    ),
    en(
        "thanks-then-no-says-goodbye",
        ("thank you!", ["anything else"]),
        ("no", [BYE_EN]),
    ),
    fr(
        "thanks-then-yes-asks-what",
        ("merci beaucoup", ["autre chose"]),
        ("oui", [ACK_FR]),
    ),
    fr(
        "yes-and-no-out-of-the-blue",
        ("oui", [ACK_FR]),
        ("non", [ELSE_FR]),
    ),
    en(
        "return-of-an-order-in-preparation-offers-to-cancel-declined",
        ("I want to return order 77120", ["77120", "still being prepared", "would you like to cancel it?"]),
        ("no", [ELSE_EN]),
        ("where is order 77120?", ["77120", "being prepared"]),
    ),
    fr(
        "return-of-an-order-in-preparation-offers-to-cancel-accepted",
        ("je voudrais retourner la commande {order}", ["{order}", "voulez-vous l'annuler ?"]),
        ("oui", ["Voulez-vous vraiment annuler la commande n°{order}"]),
        ("oui", ["la commande n°{order} est annulée"]),
    ),
    en(
        "cancel-a-delivered-order-offers-a-return-accepted",
        ("please cancel order 60114", ["60114", "already been delivered", "open a return?"]),
        ("yes", ["Why would you like to return order 60114"]),
        ("it doesn't fit me", ["RET-60114-", "prepaid label"]),
    ),
    fr(
        "cancel-a-delivered-order-offers-a-return-declined",
        ("annulez la commande 62510", ["62510", "déjà été livrée", "ouvre un retour ?"]),
        ("non merci", [ELSE_FR, Not("RET-")]),
    ),
    en(
        "cancel-an-old-delivered-order-offers-an-advisor",
        ("cancel my order 70513", ["70513", "return window has closed", "advisor"]),
        ("yes please", [ADVISOR_EN, Handoff("customer_request", "70513")]),
    ),
    # 2. Forms take corrections and stay on task.
    fr(
        "correction-after-a-refused-cancellation-cancels-the-right-order",
        ("je veux annuler ma commande 76986", ["76986", "ne peut plus être annulée"]),
        ("pardon je me suis trompé, c'est la {order}", ["Voulez-vous vraiment annuler la commande n°{order}"]),
        ("oui", ["la commande n°{order} est annulée", Not(ACK_FR)]),
    ),
    en(
        "correction-after-a-refused-cancellation-cancels-the-right-order",
        ("cancel order 48213", ["48213", "can no longer be cancelled"]),
        ("sorry I meant {order}", ["Do you really want to cancel order {order}?"]),
        ("yes", ["order {order} is cancelled"]),
    ),
    fr(
        "a-remembered-order-is-confirmed-before-cancelling-then-another-one",
        ("où en est la commande 48213 ?", ["48213", "expédiée"]),
        ("je voudrais annuler ma commande", ["La commande n°48213 ?", "annuler", Not("ne peut plus")]),
        ("non", ["Quelle commande souhaitez-vous annuler ?"]),
        ("77120", ["Voulez-vous vraiment annuler la commande n°77120 ?", Not("préparation dans notre entrepôt")]),
        ("non", ["je ne touche à rien", "77120"]),
    ),
    fr(
        "un-numero-seul-repond-a-la-question-de-la-commande",
        ("où en est la commande 48213 ?", ["48213"]),
        ("je voudrais annuler ma commande", ["La commande n°48213 ?"]),
        ("77120", ["Voulez-vous vraiment annuler la commande n°77120 ?", Not("préparation dans notre entrepôt")]),
        ("non merci", ["je ne touche à rien"]),
    ),
    en(
        "a-remembered-order-is-confirmed-before-cancelling",
        ("where is order 48213", ["48213", "shipped on"]),
        ("I want to cancel my order", ["Order 48213? Is that the one you want to cancel?"]),
        ("yes", ["48213", "can no longer be cancelled"]),
    ),
    en(
        "dont-cancel-it-is-not-a-yes",
        ("I want to cancel order 77120", ["Do you really want to cancel order 77120?"]),
        ("don't cancel it", ["Do you really want to cancel order 77120?", Not("is cancelled")]),
        ("no", ["leave it as it is"]),
        ("where is order 77120?", ["77120", "being prepared"]),
    ),
    fr(
        "je-ne-veux-plus-l-annuler-n-est-pas-un-oui",
        ("je veux annuler la commande 77120", ["Voulez-vous vraiment annuler la commande n°77120 ?"]),
        ("finalement je ne veux plus l'annuler", ["Voulez-vous vraiment annuler", Not("est annulée")]),
        ("non", ["je ne touche à rien"]),
    ),
    fr(
        "oui-annulez-la-annule",
        ("je veux annuler la commande {order}", ["Voulez-vous vraiment annuler la commande n°{order} ?"]),
        ("oui annulez-la", ["la commande n°{order} est annulée"]),
    ),
    fr(
        "return-asks-the-order-then-the-reason",
        ("je veux retourner un article", ["Quelle commande souhaitez-vous retourner ?"]),
        ("60114", ["Pour quelle raison", "60114"]),
        ("c'est trop petit", ["RET-60114-", "chloe.michel@example.com"]),
    ),
    en(
        "store-hours-in-the-middle-of-a-return",
        ("I want to send something back", ["Which order would you like to return?"]),
        ("60114", ["Why would you like to return order 60114"]),
        (
            "what are the opening hours of the Paris store?",
            ["Paris Marais", "Why would you like to return order 60114"],
        ),
        ("the colour doesn't suit me", ["RET-60114-"]),
    ),
    fr(
        "a-store-question-in-the-middle-of-a-cancellation",
        ("je veux annuler une commande", ["Quelle commande souhaitez-vous annuler ?"]),
        ("vous avez une boutique à Bordeaux ?", ["Bordeaux", "Quelle commande souhaitez-vous annuler ?"]),
        ("77120", ["Voulez-vous vraiment annuler la commande n°77120 ?"]),
        ("non", ["je ne touche à rien"]),
    ),
    en(
        "asking-again-to-cancel-while-asked-which-order-gets-the-question-again",
        ("I want to cancel an order", ["Which order would you like to cancel?"]),
        ("cancel it please", ["Which order would you like to cancel?"]),
        ("77120", ["Do you really want to cancel order 77120?"]),
        ("no", ["leave it as it is"]),
    ),
    en(
        "never-mind-stops-the-cancellation",
        ("I want to cancel an order", ["Which order would you like to cancel?"]),
        ("never mind", [ELSE_EN]),
        ("no", [BYE_EN]),
    ),
    fr(
        "laissez-tomber-stops-the-return-when-asked-why",
        ("je veux retourner la commande 60114", ["Pour quelle raison", "60114"]),
        ("laissez tomber", [ELSE_FR, Not("RET-")]),
    ),
    en(
        "correction-after-a-closed-window-continues-the-return",
        ("I want to return an item", ["Which order would you like to return?"]),
        ("55031", ["55031", "return window has closed"]),
        ("sorry I meant 60114", ["Why would you like to return order 60114"]),
        ("it's the wrong size for me", ["RET-60114-"]),
    ),
    fr(
        "correction-at-the-confirmation-switches-the-order",
        ("je veux annuler la commande 77120", ["Voulez-vous vraiment annuler la commande n°77120 ?"]),
        ("non pardon, c'est la {order}", ["Voulez-vous vraiment annuler la commande n°{order} ?"]),
        ("oui", ["la commande n°{order} est annulée"]),
        ("où en est la commande 77120 ?", ["77120", "en cours de préparation"]),
    ),
    en(
        "no-the-other-order-takes-the-other-one",
        ("where's order 77120?", ["77120", "being prepared"]),
        ("and order 48213?", ["48213", "shipped on"]),
        ("I'd like to cancel it", ["Order 48213? Is that the one you want to cancel?"]),
        ("no, a different order", ["Order 77120? Is that the one you want to cancel?"]),
        ("yes", ["Do you really want to cancel order 77120?"]),
        ("no", ["leave it as it is", "77120"]),
    ),
    fr(
        "non-l-autre-commande-prend-l-autre",
        ("où en est la commande 77120 ?", ["77120"]),
        ("et la 48213 ?", ["48213", "expédiée"]),
        ("je veux l'annuler", ["La commande n°48213 ?"]),
        ("non, l'autre commande", ["La commande n°77120 ?"]),
        ("oui", ["Voulez-vous vraiment annuler la commande n°77120 ?"]),
        ("non", ["suit son cours"]),
    ),
    fr(
        "non-l-autre-commande-apres-un-refus",
        ("où en est la commande 77120 ?", ["77120"]),
        ("je veux annuler la commande 76986", ["76986", "ne peut plus être annulée"]),
        ("non, l'autre commande", ["La commande n°77120 ? C'est bien celle que vous voulez annuler ?"]),
        ("oui", ["Voulez-vous vraiment annuler la commande n°77120 ?"]),
        ("non", ["suit son cours"]),
    ),
    en(
        "no-after-a-refusal-asks-which-order-then-never-mind",
        ("cancel order 48213", ["48213", "can no longer be cancelled"]),
        ("no, a different order", ["Which order would you like to cancel?"]),
        ("never mind", [ELSE_EN]),
    ),
    en(
        "an-order-number-on-its-own-answers-the-question",
        ("where is my parcel?", ["What is your order number?"]),
        ("CMD-48213", ["48213", "shipped on"]),
    ),
    fr(
        "a-remembered-order-is-confirmed-before-a-return",
        ("où en est la 48213 ?", ["48213"]),
        ("je veux retourner ma commande", ["La commande n°48213 ? C'est bien celle que vous voulez retourner ?"]),
        ("oui", ["48213", "pas encore livrée"]),
    ),
    en(
        "a-number-after-a-refused-cancellation-continues-the-cancellation",
        ("cancel 48213", ["48213", "can no longer be cancelled"]),
        ("77120", ["Do you really want to cancel order 77120?", Not("being prepared in our warehouse")]),
        ("no", ["leave it as it is"]),
    ),
    fr(
        "a-second-return-right-after-the-first",
        ("je veux retourner la commande 60114", ["60114"]),
        ("trop grand", ["RET-60114-"]),
        ("et aussi la 62510", ["Pour quelle raison", "62510"]),
        ("la couleur ne me plaît pas", ["RET-62510-"]),
    ),
    en(
        "another-topic-moves-on-from-the-cancellation",
        ("cancel order 48213", ["can no longer be cancelled"]),
        ("how do I reset my password?", ["Forgot password"]),
        ("60114", ["60114", "was delivered on", Not("cancel")]),
    ),
    en(
        "a-status-question-during-a-cancellation-does-not-change-what-is-cancelled",
        ("cancel order 77120", ["Do you really want to cancel order 77120?"]),
        ("by the way, where is order 48213?", ["48213", "shipped on", "Do you really want to cancel order 77120?"]),
        ("no", ["leave it as it is", "77120"]),
        ("76986", ["76986", "can no longer be cancelled"]),
    ),
    fr(
        "une-question-de-suivi-pendant-un-retour",
        ("je veux retourner la commande 60114", ["Pour quelle raison", "60114"]),
        (
            "et où en est la 48213 ?",
            ["48213", "expédiée", "Pour quelle raison souhaitez-vous retourner la commande n°60114"],
        ),
        ("trop petit", ["RET-60114-"]),
    ),
    fr(
        "bot-challenge-in-the-middle-of-the-status-question",
        ("où est mon colis ?", ["numéro de commande"]),
        ("tu es un robot ?", ["assistant virtuel", "numéro de commande"]),
        ("60114", ["60114", "livrée"]),
    ),
    en(
        "an-unknown-order-then-a-correction",
        ("cancel order 11111", ["can't find an order number 11111", "Which order would you like to cancel?"]),
        ("sorry I meant 77120", ["Do you really want to cancel order 77120?"]),
        ("no", ["leave it as it is"]),
    ),
    fr(
        "a-remembered-order-refused-for-a-return-then-the-right-one",
        ("où en est la 48213", ["48213"]),
        ("je veux faire un retour", ["La commande n°48213 ?"]),
        ("non", ["Quelle commande souhaitez-vous retourner ?"]),
        ("60114", ["Pour quelle raison", "60114"]),
        ("ça ne me va pas", ["RET-60114-"]),
    ),
    en(
        "a-remembered-order-confirmed-for-a-return",
        ("where is order 60114", ["60114", "delivered"]),
        ("I'd like to return it", ["Order 60114? Is that the one you want to return?"]),
        ("yes", ["Why would you like to return order 60114"]),
        ("it doesn't fit", ["RET-60114-"]),
    ),
    # 3. Not understood once, then twice in a row; and messages that are not for the bot.
    fr(
        "misunderstood-twice-offers-a-person-and-yes-hands-over",
        ("je voulais savoir un truc", ["Pouvez-vous reformuler ?", TOPIC_BUTTONS]),
        ("aide", ["Voulez-vous que je vous mette en relation avec un conseiller ?"]),
        ("oui", [ADVISOR_FR, Handoff("misunderstood_twice")]),
    ),
    en(
        "misunderstood-twice-offers-a-person-and-no-moves-on",
        ("the thing from before", ["Could you rephrase?", TOPIC_BUTTONS]),
        ("what?", ["Would you like me to put you in touch with an advisor?"]),
        ("no thanks", [ELSE_EN]),
    ),
    fr(
        "misunderstood-then-a-topic-button",
        ("je voulais savoir un truc", ["reformuler", TOPIC_BUTTONS]),
        ("/order_status", ["numéro de commande"]),
        ("48213", ["48213", "expédiée"]),
    ),
    en(
        "misunderstood-then-understood-then-misunderstood-is-not-twice-in-a-row",
        ("the thing from before", ["Could you rephrase?"]),
        ("where is order 48213?", ["48213", "shipped on"]),
        ("what?", ["Could you rephrase?", Not("advisor")]),
    ),
    en(
        "misunderstood-twice-during-a-cancellation-the-yes-goes-to-the-advisor",
        ("cancel order 77120", ["Do you really want to cancel order 77120?"]),
        ("what?", ["Could you rephrase?", "Do you really want to cancel order 77120?"]),
        ("what?", ["Would you like me to put you in touch with an advisor?", Not("Do you really want")]),
        ("yes", [ADVISOR_EN, Not("cancelled"), Handoff("misunderstood_twice", "77120")]),
    ),
    fr(
        "deux-incomprehensions-pendant-une-annulation-puis-non",
        ("je veux annuler la commande 77120", ["Voulez-vous vraiment annuler la commande n°77120 ?"]),
        ("aide", ["reformuler"]),
        ("aide", ["Voulez-vous que je vous mette en relation", Not("Voulez-vous vraiment annuler")]),
        ("non", [ELSE_FR]),
        ("où en est la commande 77120 ?", ["77120", "en cours de préparation"]),
    ),
    fr(
        "out-of-scope-twice-never-opens-a-ticket",
        ("quel temps fera-t-il demain à Lyon ?", ["pas vous aider là-dessus", "commandes"]),
        ("tu peux me donner une recette de crêpes ?", ["pas vous aider là-dessus"]),
        ("oui", [ACK_FR, Not(ADVISOR_FR)]),
    ),
    en(
        "out-of-scope-never-opens-a-ticket",
        ("who won the football match yesterday?", ["can't help with that", "orders"]),
        ("what's the capital of Australia?", ["can't help with that"]),
    ),
    # Handoff paths.
    fr(
        "asks-for-a-person",
        ("bonjour", ["Bonjour"]),
        ("je veux parler à un humain", [ADVISOR_FR, Handoff("customer_request")]),
    ),
    en(
        "a-complaint-goes-to-a-person",
        ("This is unacceptable, I want to file a complaint about your service", ["sorry", Handoff("complaint")]),
    ),
    fr(
        "asks-for-a-person-in-the-middle-of-a-return",
        ("je veux retourner un article", ["Quelle commande souhaitez-vous retourner ?"]),
        ("passez-moi un conseiller svp", [ADVISOR_FR, Handoff("customer_request")]),
    ),
    en(
        "asks-for-a-person-after-an-order-question",
        ("where is order 76986", ["76986", "shipped on"]),
        ("can I talk to a real person please", [ADVISOR_EN, Handoff("customer_request", "76986")]),
    ),
    fr(
        "bot-challenge-then-a-person",
        ("vous êtes un robot ?", ["assistant virtuel"]),
        ("passez-moi un conseiller", [ADVISOR_FR, Handoff("customer_request")]),
    ),
    # Language switches.
    fr(
        "switches-to-english-and-accepts-the-advisor",
        ("bonjour", ["Bonjour"]),
        ("sorry, can we speak English? My parcel arrived damaged", ["Sorry about this delivery problem"]),
        ("yes", [ADVISOR_EN, Handoff("customer_request")]),
    ),
    en(
        "switches-to-french-while-cancelling",
        ("hello", ["Hello"]),
        ("I want to cancel my order 77120", ["Do you really want to cancel order 77120?"]),
        ("non finalement je préfère la garder", ["je ne touche à rien", "77120"]),
    ),
    en(
        "switches-to-french-for-the-return-reason",
        ("I want to return order 60114", ["Why would you like to return order 60114"]),
        ("elle est trop petite pour moi", ["Votre retour RET-60114-"]),
    ),
    fr(
        "switches-to-english-after-a-status",
        ("où en est ma commande 60114 ?", ["livrée"]),
        ("thanks, and can I return it?", ["Order 60114? Is that the one you want to return?"]),
        ("yes", ["Why would you like to return order 60114"]),
        ("too big", ["RET-60114-"]),
    ),
    # Everyday conversations around the same flows.
    en(
        "greeting-then-status-by-number",
        ("hi", ["Hello"]),
        ("where's my order?", ["What is your order number?"]),
        ("60114", ["60114", "was delivered on"]),
    ),
    fr(
        "unknown-order-status",
        ("où en est la commande 99999 ?", ["Je ne trouve pas de commande n°99999"]),
    ),
    en(
        "status-then-thanks-then-more",
        ("has my order 55031 arrived?", ["55031", "was delivered on"]),
        ("thanks", ["anything else"]),
        ("yes", [ACK_EN]),
    ),
    fr(
        "cancel-without-a-number",
        ("je veux annuler ma commande", ["Quelle commande souhaitez-vous annuler ?"]),
        ("la {order}", ["Voulez-vous vraiment annuler la commande n°{order} ?"]),
        ("oui je confirme", ["la commande n°{order} est annulée"]),
    ),
    en(
        "cancel-then-status-says-cancelled",
        ("please cancel my order {order}", ["Do you really want to cancel order {order}?"]),
        ("yes, cancel it", ["order {order} is cancelled"]),
        ("where is order {order}?", ["{order}", "was cancelled"]),
    ),
    fr(
        "an-already-cancelled-order",
        ("annuler la commande 60587", ["60587", "déjà annulée"]),
    ),
    en(
        "a-returned-order-has-nothing-to-return",
        ("return order 43906", ["43906", "there is nothing to return"]),
    ),
    fr(
        "password-then-thanks-then-goodbye",
        ("j'ai oublié mon mot de passe", ["Mot de passe oublié"]),
        ("merci", ["autre chose"]),
        ("non merci", [BYE_FR]),
    ),
    en(
        "availability-then-goodbye",
        ("is the linen shirt available in size M?", ["in stock"]),
        ("ok bye", [BYE_EN]),
    ),
    fr(
        "delivery-problem-no-then-an-order-question",
        ("il manque un article dans mon colis", ["souci de livraison"]),
        ("non", [ELSE_FR]),
        ("où en est ma commande 48213 ?", ["48213", "expédiée"]),
    ),
    en(
        "return-of-a-shipped-order-is-not-yet-possible",
        ("I want to return order 48213", ["48213", "hasn't been delivered yet", "30 days"]),
        ("ok thanks", ["anything else"]),
    ),
    fr(
        "return-of-an-order-in-preparation-declined-then-anything-else",
        ("je veux retourner la commande 77120", ["77120", "voulez-vous l'annuler ?"]),
        ("non", [ELSE_FR]),
        ("oui", [ACK_FR]),
    ),
    en(
        "yes-to-a-declined-card-after-a-store-question-is-not-an-advisor",
        ("my payment was refused", ["declined payment"]),
        ("where is your Bordeaux store?", ["Bordeaux"]),
        ("yes", [ACK_EN, Not(ADVISOR_EN)]),
    ),
]


def check_reply(reply: BotReply, checks: list[Check], turn: str) -> None:
    """Assert what the customer sees in one reply."""
    text = "\n".join(m.text or "" for m in reply.messages)
    payloads = {b.payload for m in reply.messages for b in m.buttons}
    context = f"after {turn!r} the bot said:\n{text}"
    handoffs = [c for c in checks if isinstance(c, Handoff)]
    for check in checks:
        if isinstance(check, str):
            assert check in text, context
        elif isinstance(check, Not):
            assert check.fragment not in text, context
        elif isinstance(check, Buttons):
            assert set(check.payloads) <= payloads, f"{context}\nbuttons: {sorted(payloads)}"
    if not handoffs:
        assert reply.handoff is None, f"{context}\nunexpected handoff: {reply.handoff}"
        return
    assert reply.handoff is not None, f"{context}\nno handoff"
    assert reply.handoff.reason == handoffs[0].reason, context
    if handoffs[0].order:
        assert handoffs[0].order in reply.handoff.order_ids, reply.handoff


def test_the_suite_covers_both_languages_evenly() -> None:
    languages = [c.language for c in CONVERSATIONS]
    assert len(CONVERSATIONS) >= 60
    assert abs(languages.count("fr") - languages.count("en")) <= 6
    assert len({c.name for c in CONVERSATIONS}) == len(CONVERSATIONS)


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c.name for c in CONVERSATIONS])
async def test_conversation(rasa: RasaClient, conversation: Conversation) -> None:
    order = take_cancellable_order()["id"] if conversation.takes_an_order else ""
    sender = f"test:{uuid.uuid4().hex[:10]}"
    for says, checks in conversation.turns:
        text = says.replace("{order}", order)
        reply = await rasa.send(Inbound(sender, "test", text, language_hint=conversation.language))
        expected = [c.replace("{order}", order) if isinstance(c, str) else c for c in checks]
        expected = [Not(c.fragment.replace("{order}", order)) if isinstance(c, Not) else c for c in expected]
        check_reply(reply, expected, text)
