from rasa_sdk.events import ActiveLoop, ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionFallback, ActionHandoff
from tests.actions.conftest import DOMAIN, recorded, responses


def handoff_signal(dispatcher: CollectingDispatcher) -> dict:
    return next(m["custom"]["handoff"] for m in dispatcher.messages if m.get("custom"))


def test_asking_for_a_human_during_a_form_pauses_and_closes_the_form() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionHandoff().run(dispatcher, recorded("fr_handoff_during_form"), DOMAIN)
    assert responses(dispatcher)[0] == "utter_handoff"
    signal = handoff_signal(dispatcher)
    assert signal["reason"] == "customer_request" and signal["language"] == "fr"
    assert [line["text"] for line in signal["transcript"] if line["from"] == "customer"] == [
        "où est mon colis ?",
        "je veux parler à un humain",
    ]
    assert "order_status" in signal["summary"]
    assert events[-1] == ConversationPaused()
    assert ActiveLoop(None) in events


def test_a_complaint_is_handed_over_with_its_reason() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionHandoff().run(dispatcher, recorded("en_handoff_complaint"), DOMAIN)
    signal = handoff_signal(dispatcher)
    assert signal["reason"] == "complaint" and signal["language"] == "en"
    assert events == [ConversationPaused()]


def test_first_failure_asks_to_rephrase() -> None:
    dispatcher = CollectingDispatcher()
    assert ActionFallback().run(dispatcher, recorded("en_fallback_first"), DOMAIN) == []
    assert responses(dispatcher) == ["utter_rephrase"]


def test_second_failure_in_a_row_offers_a_person_without_opening_a_ticket() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionFallback().run(dispatcher, recorded("en_fallback_second"), DOMAIN)
    assert responses(dispatcher) == ["utter_offer_advisor"]
    assert not any(m.get("custom") for m in dispatcher.messages)
    assert events == []
