"""Conversations in French and English through the real Rasa server, action server and Redis."""

from __future__ import annotations

import uuid

import pytest

from bot.conversation import BotReply, Inbound
from bot.rasa_client import RasaClient
from tests.support.demo import ORDERS, take_cancellable_order

pytestmark = pytest.mark.stack


class Customer:
    """One customer talking to the bot through the REST channel."""

    def __init__(self, rasa: RasaClient, hint: str | None = None) -> None:
        self.rasa = rasa
        self.hint = hint
        self.id = f"test:{uuid.uuid4().hex[:10]}"

    async def says(self, text: str) -> BotReply:
        return await self.rasa.send(Inbound(self.id, "test", text, language_hint=self.hint))

    async def text_of(self, text: str) -> str:
        return "\n".join(m.text or "" for m in (await self.says(text)).messages)

    async def tracker(self) -> dict:
        return await self.rasa.tracker(self.id)


async def test_french_greeting_then_order_status(rasa: RasaClient) -> None:
    customer = Customer(rasa)
    assert "Bonjour" in await customer.text_of("Bonjour !")
    answer = await customer.text_of("où en est ma commande CMD-48213 ?")
    assert "48213" in answer and "expédiée" in answer
    assert ORDERS["48213"]["tracking_number"] in answer
    assert ORDERS["48213"]["carrier"] in answer


async def test_english_greeting_then_order_status(rasa: RasaClient) -> None:
    customer = Customer(rasa)
    assert "Hello" in await customer.text_of("hi there")
    answer = await customer.text_of("where is my order #48213 please")
    assert "shipped on" in answer and ORDERS["48213"]["tracking_number"] in answer


@pytest.mark.parametrize(
    ("text", "order_id", "expected"),
    [
        ("statut de la commande 48213", "48213", "expédiée"),
        ("where's order CMD-77120", "77120", "being prepared"),
        ("ma commande #60114 est arrivée ?", "60114", "livrée"),
        ("has order n°55031 been delivered", "55031", "delivered"),
        ("suivi commande n° 55031 svp", "55031", "livrée"),
    ],
)
async def test_every_order_id_format_gets_that_orders_status(
    rasa: RasaClient, text: str, order_id: str, expected: str
) -> None:
    answer = await Customer(rasa).text_of(text)
    assert f"{order_id}" in answer and expected in answer


async def test_the_bot_asks_for_the_order_id_when_missing(rasa: RasaClient) -> None:
    customer = Customer(rasa)
    assert "numéro de commande" in await customer.text_of("je voudrais savoir où est mon colis")
    answer = await customer.text_of("c'est la 60114")
    assert "60114" in answer and "livrée" in answer


async def test_an_unknown_order_id_is_said_so(rasa: RasaClient) -> None:
    answer = await Customer(rasa).text_of("where is my order 11111")
    assert "can't find an order number 11111" in answer


async def test_asking_for_a_human_pauses_the_bot(rasa: RasaClient) -> None:
    customer = Customer(rasa)
    await customer.says("bonjour")
    reply = await customer.says("je veux parler à un humain")
    text = " ".join(m.text or "" for m in reply.messages)
    assert "conseiller" in text and "va vous répondre" in text
    assert reply.handoff is not None
    assert reply.handoff.reason == "customer_request" and reply.handoff.language == "fr"
    assert (await customer.tracker())["paused"] is True
    # While a person handles the conversation the bot stays silent, but the message is logged.
    silent = await customer.says("vous êtes là ?")
    assert silent.messages == () and silent.handoff is None
    events = (await customer.tracker())["events"]
    assert [e["text"] for e in events if e["event"] == "user"][-1] == "vous êtes là ?"


async def test_a_complaint_is_escalated_with_its_reason(rasa: RasaClient) -> None:
    reply = await Customer(rasa).says("This is unacceptable, worst customer service ever, I want to complain!")
    assert reply.handoff is not None and reply.handoff.reason == "complaint"
    assert reply.handoff.language == "en"
    assert "sorry" in reply.messages[0].text.lower()


async def test_the_conversation_follows_a_language_switch(rasa: RasaClient) -> None:
    customer = Customer(rasa)
    assert "Bonjour" in await customer.text_of("salut")
    answer = await customer.text_of("sorry, do you speak English? Where is order 48213?")
    assert "shipped on" in answer
    assert "Avec plaisir" in await customer.text_of("merci beaucoup")


async def test_channel_hint_chooses_the_language_of_an_ambiguous_first_message(rasa: RasaClient) -> None:
    answer = await Customer(rasa, hint="en-GB").text_of("48213")
    assert "shipped on" in answer


async def test_cancellation_needs_confirmation(rasa: RasaClient) -> None:
    order = take_cancellable_order()
    customer = Customer(rasa)
    reply = await customer.says(f"je veux annuler ma commande {order['id']}")
    assert "Voulez-vous vraiment annuler" in reply.messages[-1].text
    assert [b.payload for b in reply.messages[-1].buttons] == ["/affirm", "/deny"]
    assert "annulée" in await customer.text_of("/affirm")
    assert "annulée" in await customer.text_of(f"statut commande {order['id']}")


async def test_declining_the_confirmation_keeps_the_order(rasa: RasaClient) -> None:
    customer = Customer(rasa)
    await customer.says("I'd like to cancel order 77120")
    assert "leave it as it is" in await customer.text_of("no")
    assert "being prepared" in await customer.text_of("where is order 77120")


async def test_a_shipped_order_cannot_be_cancelled(rasa: RasaClient) -> None:
    answer = await Customer(rasa).text_of("please cancel my order 48213")
    assert "can no longer be cancelled" in answer


async def test_return_form_collects_order_and_reason(rasa: RasaClient) -> None:
    customer = Customer(rasa)
    assert "Which order would you like to return?" in await customer.text_of("I want to return something I bought")
    assert "Why would you like to return order 60114" in await customer.text_of("60114")
    answer = await customer.text_of("it's too small")
    assert "RET-60114-" in answer and ORDERS["60114"]["email"] in answer


async def test_a_return_after_the_window_is_refused(rasa: RasaClient) -> None:
    answer = await Customer(rasa).text_of("je veux retourner la commande 55031")
    assert "délai de retour de 30 jours est dépassé" in answer


async def test_store_information_for_a_named_city(rasa: RasaClient) -> None:
    answer = await Customer(rasa).text_of("quels sont les horaires de la boutique de Bordeaux ?")
    assert "Bordeaux Chartrons" in answer and "mardi au samedi" in answer
    assert "Paris" not in answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("es-tu un robot ?", "assistant virtuel"),
        ("are you a bot", "virtual assistant"),
        ("mon colis est arrivé abîmé", "Désolé pour ce souci de livraison"),
        ("my card was declined", "declined payment"),
        ("j'ai oublié mon mot de passe", "Mot de passe oublié"),
        ("is the linen shirt available in size M?", "in stock"),
        ("quel temps fera-t-il demain à Lyon ?", "pas vous aider là-dessus"),
        ("thanks a lot!", "You're welcome"),
        ("au revoir", "à bientôt"),
    ],
)
async def test_each_topic_gets_its_answer_in_the_right_language(rasa: RasaClient, text: str, expected: str) -> None:
    assert expected in await Customer(rasa).text_of(text)
