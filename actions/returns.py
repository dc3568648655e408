"""Return and refund requests: a form collects the order id and the reason, then the return is opened."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backoffice import BackOfficeError, Order, get_backoffice
from actions.orders import OrderFormValidation, fetch_order, order_details

MAX_REASON_LENGTH = 500
# A "no" of at most this many words where the reason was asked drops the return ("non merci", "never mind");
# a longer one is a reason that merely sounds negative ("the colour is wrong", "ça ne me va pas du tout").
MAX_WORDS_OF_A_REFUSAL = 3


def gave_up_the_return(tracker: Tracker) -> bool:
    """Whether the customer answered the question of the reason with a short no."""
    message = tracker.latest_message or {}
    return (
        tracker.get_slot("requested_slot") == "return_reason"
        and (message.get("intent") or {}).get("name") == "deny"
        and len(str(message.get("text") or "").split()) <= MAX_WORDS_OF_A_REFUSAL
    )


class ValidateReturnForm(OrderFormValidation):
    """Checks the order and the reason given for a return."""

    def name(self) -> str:
        """Action name."""
        return "validate_return_form"

    def continues_after(self, order: Order, today: date) -> bool:
        """Ask for a reason only when the order can actually be returned."""
        return order.returnable(today)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """As for every order form, but without the reason once the customer dropped the return."""
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        return [slot for slot in slots if slot != "return_reason"] if gave_up_the_return(tracker) else slots

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate as usual; a dropped return also forgets the "no" that Rasa took for a reason."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        return [*events, SlotSet("return_reason", None)] if gave_up_the_return(tracker) else events

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep the reason as the customer wrote it, trimmed to a sane length."""
        reason = str(value or "").strip()[:MAX_REASON_LENGTH]
        return {"return_reason": reason or None}


class ActionSubmitReturn(Action):
    """Opens the return, or explains why the order cannot be returned."""

    def name(self) -> str:
        """Action name."""
        return "action_submit_return"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Open the return for a delivered order inside the window; otherwise say why, with an offer if any.

        An order still being prepared gets the offer to cancel it; a closed window, the offer of an advisor.
        """
        reset = [SlotSet("return_reason", None), SlotSet("order_confirmed", None)]
        order = fetch_order(dispatcher, tracker)
        if order is None:
            return reset
        details = order_details(order, tracker)
        backoffice = get_backoffice()
        if order.status == "processing":  # ends with the offer to cancel it instead
            dispatcher.utter_message(response="utter_return_not_delivered", **details)
        elif order.status == "shipped":
            dispatcher.utter_message(response="utter_return_not_yet_delivered", **details)
        elif order.status != "delivered":
            dispatcher.utter_message(response="utter_return_not_possible", **details)
        elif not order.returnable(backoffice.today()):
            dispatcher.utter_message(response="utter_return_window_closed", **details)
        elif not tracker.get_slot("return_reason"):  # the customer dropped the return when asked why
            dispatcher.utter_message(response="utter_anything_else")
        else:
            try:
                return_id = backoffice.create_return(order.id, tracker.get_slot("return_reason"))
            except BackOfficeError:
                dispatcher.utter_message(response="utter_backoffice_down")
                return reset
            dispatcher.utter_message(response="utter_return_created", return_id=return_id, **details)
        return reset
