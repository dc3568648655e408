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

from actions.orders import TASK_FORMS, other_order


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
    if kind in TASK_FORMS and accepted:
        # An offer to cancel or return starts that task's form on the order the offer named: it is the one the
        # customer means, no need to ask "order 48213?" again.
        return [SlotSet("task", kind), SlotSet("order_confirmed", True), FollowupAction(TASK_FORMS[kind])]
    form_of_task = TASK_FORMS.get(str(tracker.get_slot("task")))
    if kind == "other_order" and not accepted and form_of_task:
        # The form confirms the other order ("Order 77120?"), or asks for the number.
        return [
            SlotSet("order_id", other_order(tracker)),
            SlotSet("order_confirmed", None),
            FollowupAction(form_of_task),
        ]
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
