"""Escalation to a human: the rephrase prompt, the offer of a person after a second failure, and the handoff.

A handoff pauses the conversation (Rasa then logs the customer's messages without answering them), tells the
customer that a person will answer, and sends the gateway a *handoff signal*: a custom message
``{"handoff": {...}}`` with the reason, the language, a summary, the order ids and the last turns, from which the
gateway opens a ticket for the community managers.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import tracker_language
from actions.offers import pending_offer
from actions.orders import order_ids_mentioned
from bot.conversation import REASONS

TRANSCRIPT_TURNS = 12
_REASONS_BY_INTENT = {
    "request_human": "customer_request",
    "complaint": "complaint",
    "nlu_fallback": "misunderstood_twice",
}
# Intents that say nothing about what the customer needs.
_NOT_TOPICS = frozenset({"greet", "request_human", "affirm", "deny", "nlu_fallback", "thank", "inform"})


def transcript(tracker: Tracker, turns: int = TRANSCRIPT_TURNS) -> list[dict[str, Any]]:
    """The last ``turns`` messages of the conversation, oldest first."""
    lines: list[dict[str, Any]] = []
    for event in tracker.events:
        if event.get("event") == "user" and event.get("text"):
            intent = (event.get("parse_data") or {}).get("intent") or {}
            lines.append(
                {
                    "from": "customer",
                    "text": event["text"],
                    "intent": intent.get("name"),
                    "timestamp": event.get("timestamp"),
                }
            )
        elif event.get("event") == "bot" and event.get("text"):
            lines.append({"from": "bot", "text": event["text"], "timestamp": event.get("timestamp")})
    return lines[-turns:]


def _backoffice_failed_recently(tracker: Tracker) -> bool:
    bot_events = [e for e in tracker.events if e.get("event") == "bot"][-4:]
    return any((e.get("metadata") or {}).get("utter_action") == "utter_backoffice_down" for e in bot_events)


def handoff_reason(tracker: Tracker) -> str:
    """Why the conversation goes to a human, from the latest intent and what just happened.

    A "yes" to the offer of an advisor is the customer's request, unless the offer gave another reason
    (after two misunderstandings, ``misunderstood_twice``).
    """
    if (tracker.latest_message.get("sentiment") or {}).get("escalated"):
        return "negative_sentiment"  # bot/nlp/sentiment_escalation.py turned the message into a complaint
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    offer = pending_offer(tracker) if intent == "affirm" else None
    if offer is not None and offer.handoff_reason:
        return offer.handoff_reason
    reason = _REASONS_BY_INTENT.get(intent or "", "customer_request")
    if reason == "customer_request" and _backoffice_failed_recently(tracker):
        return "backoffice_failure"
    return reason


def handoff_signal(tracker: Tracker, reason: str) -> dict[str, Any]:
    """The handoff signal the gateway turns into a ticket."""
    lines = transcript(tracker)
    customer_lines = [line["text"] for line in lines if line["from"] == "customer"]
    intents = [line["intent"] for line in lines if line["from"] == "customer" and line.get("intent")]
    topics = [i for i in dict.fromkeys(intents) if i not in _NOT_TOPICS]
    order_ids = order_ids_mentioned(tracker)
    summary_parts = [f"Escalated: {REASONS.get(reason, reason)}."]
    sentiment = tracker.latest_message.get("sentiment") or {}
    if reason == "negative_sentiment" and "score" in sentiment:
        summary_parts[0] = f"Escalated: {REASONS[reason]} (sentiment {sentiment['score']:+.2f})."
    if topics:
        summary_parts.append("Topics: " + ", ".join(topics) + ".")
    if order_ids:
        summary_parts.append("Orders: " + ", ".join(order_ids) + ".")
    if customer_lines:
        summary_parts.append(f"Last message: “{customer_lines[-1][:200]}”")
    return {
        "handoff": {
            "reason": reason,
            "language": tracker_language(tracker),
            "summary": " ".join(summary_parts),
            "order_ids": order_ids,
            "intent": (tracker.latest_message.get("intent") or {}).get("name"),
            "transcript": lines,
        }
    }


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    """Tell the customer a person will answer, signal the gateway, and pause the bot."""
    dispatcher.utter_message(response="utter_handoff")
    dispatcher.utter_message(json_message=handoff_signal(tracker, reason))
    # A form left open would resume asking its question when the bot takes the conversation back.
    stop_form: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)] if tracker.active_loop else []
    return [*stop_form, ConversationPaused()]


class ActionHandoff(Action):
    """Hands the conversation to a community manager."""

    def name(self) -> str:
        """Action name."""
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Escalate with the reason inferred from the conversation."""
        return hand_off(dispatcher, tracker, handoff_reason(tracker))


def previous_turn_failed(tracker: Tracker) -> bool:
    """Whether the bot already fell back on the customer's previous message."""
    user_turns = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            user_turns += 1
            if user_turns == 2:
                return False
        elif user_turns == 1 and event.get("event") == "action" and event.get("name") == "action_fallback":
            return True
    return False


class ActionFallback(Action):
    """Asks the customer to rephrase, with the main topics as buttons; a second failure in a row offers a person.

    An offer rather than a ticket: nobody understood the message, and the customer may not want a person.
    A "yes" then hands over (actions/offers.py, the ``handoff_reason`` of ``utter_offer_advisor``). The offer
    closes an open form, whose question would otherwise follow it and take that "yes" for its own answer
    ("Do you really want to cancel order 77120?").
    """

    def name(self) -> str:
        """Action name."""
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Rephrase prompt, or the offer of an advisor on the second consecutive failure."""
        if previous_turn_failed(tracker):
            dispatcher.utter_message(response="utter_offer_advisor")
            return [ActiveLoop(None), SlotSet("requested_slot", None)] if tracker.active_loop else []
        dispatcher.utter_message(response="utter_rephrase")
        return []
