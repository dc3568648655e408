"""Yes/no offers (actions/offers.py) and the confirmation of a remembered order (actions/orders.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from actions.offers import ActionAnswerOffer, Offer, pending_offer
from actions.orders import ValidateCancelForm, order_given_in_task
from tests.actions.conftest import DOMAIN, responses


def user(text: str, intent: str, order_id: str | None = None) -> dict[str, Any]:
    entities = [{"entity": "order_id", "value": order_id}] if order_id else []
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}, "entities": entities}}


def bot(response: str, offer: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"utter_action": response}
    if offer:
        metadata["metadata"] = offer
    return {"event": "bot", "text": response, "data": {}, "metadata": metadata}


def tracker(events: list[dict[str, Any]], slots: dict[str, Any] | None = None) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker(
        "test",
        {"language": "fr", **(slots or {})},
        {**latest["parse_data"], "text": latest["text"]},
        events,
        False,
        None,
        {},
        "action_listen",
    )


def answer(events: list[dict[str, Any]], slots: dict[str, Any] | None = None) -> tuple[list[str | None], list]:
    dispatcher = CollectingDispatcher()
    result = ActionAnswerOffer().run(dispatcher, tracker(events, slots), DOMAIN)
    return responses(dispatcher), result


def test_the_offer_is_read_from_the_previous_bot_message() -> None:
    events = [user("colis abîmé", "delivery_problem"), bot("utter_delivery_problem", {"offer": "advisor"})]
    assert pending_offer(tracker([*events, user("oui", "affirm")])) == Offer("advisor")


def test_an_offer_lapses_once_the_customer_said_something_else() -> None:
    events = [
        user("colis abîmé", "delivery_problem"),
        bot("utter_delivery_problem", {"offer": "advisor"}),
        user("vos horaires ?", "store_info"),
        bot("utter_store_intro"),
        user("oui", "affirm"),
    ]
    assert pending_offer(tracker(events)) is None
    assert answer(events)[0] == ["utter_ack"]


def handoff_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    assert ActionHandoff().run(dispatcher, tracker(events), DOMAIN)[-1] == ConversationPaused()
    assert responses(dispatcher)[0] == "utter_handoff"
    return next(m["custom"]["handoff"] for m in dispatcher.messages if m.get("custom"))


def test_yes_to_an_advisor_hands_over_as_the_customers_request() -> None:
    events = [user("colis abîmé", "delivery_problem"), bot("utter_delivery_problem", {"offer": "advisor"})]
    events.append(user("oui", "affirm"))
    assert answer(events) == ([], [FollowupAction("action_handoff")])
    assert handoff_of(events)["reason"] == "customer_request"


def test_yes_to_an_advisor_after_two_misunderstandings_keeps_that_reason() -> None:
    offer = {"offer": "advisor", "handoff_reason": "misunderstood_twice"}
    events = [user("xx", "nlu_fallback"), bot("utter_offer_advisor", offer), user("yes", "affirm")]
    assert answer(events) == ([], [FollowupAction("action_handoff")])
    assert handoff_of(events)["reason"] == "misunderstood_twice"


def test_no_to_an_advisor_asks_what_else_and_no_to_anything_else_says_goodbye() -> None:
    events = [user("colis abîmé", "delivery_problem"), bot("utter_delivery_problem", {"offer": "advisor"})]
    assert answer([*events, user("non", "deny")]) == (["utter_anything_else"], [])
    events = [user("merci", "thank"), bot("utter_thank", {"offer": "anything_else"}), user("non", "deny")]
    assert answer(events) == (["utter_goodbye"], [])


@pytest.mark.parametrize(
    ("offer", "task", "form"), [("cancel", "cancel", "cancel_form"), ("return", "return", "return_form")]
)
def test_yes_to_a_cancel_or_return_offer_starts_that_form_on_the_confirmed_order(
    offer: str, task: str, form: str
) -> None:
    events = [user("retour 77120", "return_refund", "77120"), bot("utter_x", {"offer": offer}), user("oui", "affirm")]
    assert answer(events) == ([], [SlotSet("task", task), SlotSet("order_confirmed", True), FollowupAction(form)])


def test_a_remembered_order_is_not_taken_as_given_for_a_cancellation() -> None:
    events = [
        user("où en est la 48213", "order_status", "48213"),
        bot("utter_order_shipped"),
        user("je voudrais annuler ma commande", "cancel_order"),
        {"event": "slot", "name": "order_confirmed", "value": True},  # left over, re-validated at activation
    ]
    assert not order_given_in_task(tracker(events), "cancel_form", "48213")
    assert order_given_in_task(tracker([*events, user("c'est la 72044", "inform", "72044")]), "cancel_form", "72044")


async def test_the_cancel_form_asks_about_a_remembered_order_before_saying_it_cannot_be_cancelled() -> None:
    events = [
        user("où en est la 48213", "order_status", "48213"),
        bot("utter_order_shipped"),
        user("je voudrais annuler ma commande", "cancel_order"),
    ]
    slots = ValidateCancelForm().required_slots(
        ["order_id", "order_confirmed", "cancel_confirmed"],
        CollectingDispatcher(),
        tracker(events, {"order_id": "48213"}),
        DOMAIN,
    )
    assert await slots == ["order_id", "order_confirmed"]


def test_no_to_a_remembered_order_takes_the_only_other_one_or_asks() -> None:
    events = [
        user("statut 77120", "order_status", "77120"),
        user("et la 48213 ?", "order_status", "48213"),
        user("annulez-la", "cancel_order"),
        user("non", "deny"),
    ]
    validate = ValidateCancelForm().validate_order_confirmed
    result = validate(False, CollectingDispatcher(), tracker(events, {"order_id": "48213"}), DOMAIN)
    assert result == {"order_id": "77120", "order_confirmed": None}
    result = validate(False, CollectingDispatcher(), tracker(events[1:], {"order_id": "48213"}), DOMAIN)
    assert result == {"order_id": None, "order_confirmed": None}


@pytest.mark.parametrize(
    ("text", "confirmed"),
    [
        ("yes, cancel it", True),
        ("oui annulez-la", True),
        ("don't cancel it", None),
        ("je ne veux plus l'annuler", None),
    ],
)
def test_a_request_to_cancel_is_a_yes_only_without_a_negation(text: str, confirmed: bool | None) -> None:
    events = [
        user("annuler 77120", "cancel_order", "77120"),
        bot("utter_ask_cancel_confirmed"),
        user(text, "cancel_order"),
    ]
    result = ValidateCancelForm().validate_cancel_confirmed(True, CollectingDispatcher(), tracker(events), DOMAIN)
    assert result == {"cancel_confirmed": confirmed}


def test_no_after_a_refusal_about_one_order_goes_on_with_the_other_order() -> None:
    events = [
        user("statut 77120", "order_status", "77120"),
        user("annuler 76986", "cancel_order", "76986"),
        bot("utter_cancel_too_late", {"offer": "other_order"}),
        user("non, l'autre commande", "deny"),
    ]
    slots = {"order_id": "76986", "task": "cancel"}
    expected = [SlotSet("order_id", "77120"), SlotSet("order_confirmed", None), FollowupAction("cancel_form")]
    assert answer(events, slots) == ([], expected)
    assert answer(events[1:], slots)[1][0] == SlotSet("order_id", None)  # no other order: the form asks
