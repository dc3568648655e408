from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionFallback, ActionHandoff, ActionSessionStart
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


def test_second_failure_in_a_row_escalates() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionFallback().run(dispatcher, recorded("en_fallback_second"), DOMAIN)
    assert responses(dispatcher)[0] == "utter_handoff"
    assert handoff_signal(dispatcher)["reason"] == "misunderstood_twice"
    assert events[-1] == ConversationPaused()


def test_a_new_session_keeps_the_slots_and_the_pause_of_a_handed_over_conversation() -> None:
    paused = recorded("en_handoff_complaint")
    paused._paused = True  # the handoff paused it; the customer writes again the next day
    events = ActionSessionStart().run(CollectingDispatcher(), paused, DOMAIN)
    assert events[0] == SessionStarted() and events[-1] == ActionExecuted("action_listen")
    assert ConversationPaused() in events and SlotSet("language", "en") in events


def test_a_new_session_of_a_bot_conversation_is_not_paused() -> None:
    events = ActionSessionStart().run(CollectingDispatcher(), recorded("en_fallback_first"), DOMAIN)
    assert ConversationPaused() not in events and SlotSet("language", "en") in events
