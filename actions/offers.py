"""Yes/no offers: the customer's next "yes" or "no" answers the question the bot's previous message ended with.

A response that ends with an offer says so in its ``metadata`` in domain.yml (``offer``: ``advisor``, ``cancel``,
``return`` or ``anything_else``; ``handoff_reason`` for an advisor offered for another reason than the customer's
request). Rasa copies that metadata into the bot event, so the offer is read from the conversation itself: one rule
for affirm and one for deny run :class:`ActionAnswerOffer`, and an offer lapses as soon as the customer says
anything else (only the bot's message just before the yes or no counts).

``other_order`` marks a refusal about one order ("order 76986 can no longer be cancelled"): a "no" to it means "not
that order", and the task goes on with the conversation's other order, or asks for the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.orders import order_ids_mentioned
from bot.nlp.entity_values import normalize_order_id

# What accepting each offer starts: a form continues the task on the order the offer was about.
_FORM_OF_OFFER = {"cancel": ("cancel", "cancel_form"), "return": ("return", "return_form")}
_FORM_OF_TASK = {"cancel": "cancel_form", "return": "return_form"}


@dataclass(frozen=True)
class Offer:
    """A yes/no question the bot asked, as declared in its response's metadata."""

    kind: str
    handoff_reason: str | None = None


def _offer_of(event: dict[str, Any]) -> Offer | None:
    declared = ((event.get("metadata") or {}).get("metadata")) or {}
    kind = declared.get("offer") if isinstance(declared, dict) else None
    return Offer(str(kind), declared.get("handoff_reason")) if kind else None


def pending_offer(tracker: Tracker) -> Offer | None:
    """The offer the bot's last message before the customer's latest message ended with, if it ended with one."""
    seen_latest_message = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_message:
                return None  # the previous turn sent no message at all
            seen_latest_message = True
        elif kind == "bot" and seen_latest_message and (event.get("text") or event.get("data")):
            return _offer_of(event)
    return None


def answer_offer(
    offer: Offer | None, accepted: bool, dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType]:
    """Do what the customer's yes or no to ``offer`` asks; without an offer, a polite prompt."""
    kind = offer.kind if offer else None
    if kind == "advisor" and accepted:
        # The handoff action itself, so that logs and `bot learn` see a handoff; it reads the offer's reason.
        return [FollowupAction("action_handoff")]
    if kind in _FORM_OF_OFFER and accepted:
        task, form = _FORM_OF_OFFER[kind]
        # The offer named the order: it is the one the customer means, no need to ask "order 48213?" again.
        return [SlotSet("task", task), SlotSet("order_confirmed", True), FollowupAction(form)]
    form_of_task = _FORM_OF_TASK.get(str(tracker.get_slot("task")))
    if kind == "other_order" and not accepted and form_of_task:
        current = normalize_order_id(tracker.get_slot("order_id"))
        others = [order_id for order_id in order_ids_mentioned(tracker) if order_id != current]
        other = others[0] if len(others) == 1 else None  # the form confirms it ("Order 77120?"), or asks
        return [SlotSet("order_id", other), SlotSet("order_confirmed", None), FollowupAction(form_of_task)]
    if kind == "anything_else" and not accepted:
        dispatcher.utter_message(response="utter_goodbye")
        return []
    dispatcher.utter_message(response="utter_ack" if accepted else "utter_anything_else")
    return []


class ActionAnswerOffer(Action):
    """Runs on every yes or no that no form took as its answer."""

    def name(self) -> str:
        """Action name."""
        return "action_answer_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Accept or decline the pending offer."""
        accepted = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        return answer_offer(pending_offer(tracker), accepted, dispatcher, tracker)
