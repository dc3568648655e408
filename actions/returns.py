"""Return and refund requests: a form collects the order id and the reason, then the return is opened."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backoffice import BackOfficeError, get_backoffice
from actions.orders import fetch_order, normalize_order_id, order_details, validate_order_id_slot

MAX_REASON_LENGTH = 500


class ValidateReturnForm(FormValidationAction):
    """Checks the order and the reason given for a return."""

    def name(self) -> str:
        """Action name."""
        return "validate_return_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Ask for a reason only when the order can actually be returned."""
        order_id = normalize_order_id(tracker.get_slot("order_id"))
        if order_id is None:
            return domain_slots
        backoffice = get_backoffice()
        try:
            order = backoffice.get_order(order_id)
        except BackOfficeError:
            return ["order_id"]
        if order is None or not order.returnable(backoffice.today()):
            return ["order_id"]
        return domain_slots

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep the id only if the order exists."""
        return validate_order_id_slot(value, dispatcher, tracker)

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
        """Open the return for a delivered order inside the return window."""
        reset = [SlotSet("return_reason", None)]
        order = fetch_order(dispatcher, tracker)
        if order is None:
            return reset
        details = order_details(order, tracker)
        backoffice = get_backoffice()
        if order.status in ("processing", "shipped"):
            dispatcher.utter_message(response="utter_return_not_delivered", **details)
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
