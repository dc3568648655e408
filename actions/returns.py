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


class ValidateReturnForm(OrderFormValidation):
    """Checks the order and the reason given for a return."""

    def name(self) -> str:
        """Action name."""
        return "validate_return_form"

    def continues_after(self, order: Order, today: date) -> bool:
        """Ask for a reason only when the order can actually be returned."""
        return order.returnable(today)

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
        else:
            try:
                return_id = backoffice.create_return(order.id, tracker.get_slot("return_reason") or "")
            except BackOfficeError:
                dispatcher.utter_message(response="utter_backoffice_down")
                return reset
            dispatcher.utter_message(response="utter_return_created", return_id=return_id, **details)
        return reset
