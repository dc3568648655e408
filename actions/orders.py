"""Order actions: status, cancellation with confirmation, and the order-id validation the forms share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backoffice import BackOfficeError, Order, get_backoffice
from actions.i18n import format_date, format_price, status_label, tracker_language
from bot.nlp.entity_values import normalize_order_id


def order_details(order: Order, tracker: Tracker) -> dict[str, str]:
    """Everything a response about ``order`` may quote, formatted in the conversation's language."""
    language = tracker_language(tracker)
    return {
        "order_id": order.id,
        "order_date": format_date(order.ordered_on, language),
        "shipped_date": format_date(order.shipped_on, language),
        "delivered_date": format_date(order.delivered_on, language),
        "refund_date": format_date(order.refunded_on, language),
        "eta": format_date(order.eta, language),
        "carrier": order.carrier,
        "tracking_number": order.tracking_number or "-",
        "order_total": format_price(order.total_eur, language),
        "status_label": status_label(order.status, language),
        "email": order.email,
    }


def validate_order_id_slot(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Normalise the order id and check that the order exists.

    When the back office cannot be reached the id is kept as given: the action that uses it apologises then.
    """
    order_id = normalize_order_id(value)
    if order_id is None:
        dispatcher.utter_message(response="utter_order_id_unreadable")
        return {"order_id": None}
    try:
        order = get_backoffice().get_order(order_id)
    except BackOfficeError:
        return {"order_id": order_id}
    if order is None:
        dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
        return {"order_id": None}
    return {"order_id": order_id}


def fetch_order(dispatcher: CollectingDispatcher, tracker: Tracker) -> Order | None:
    """Fetch the order in the ``order_id`` slot, telling the customer when that fails."""
    order_id = normalize_order_id(tracker.get_slot("order_id"))
    if order_id is None:
        dispatcher.utter_message(response="utter_ask_order_id")
        return None
    try:
        order = get_backoffice().get_order(order_id)
    except BackOfficeError:
        dispatcher.utter_message(response="utter_backoffice_down")
        return None
    if order is None:
        dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
    return order


class OrderFormValidation(FormValidationAction, ABC):
    """Validation shared by the forms that start from an order id (status, cancellation, return).

    The order id must name an existing order; the form asks its other questions only when
    ``continues_after`` says the order allows it, so nobody confirms the cancellation of a shipped order.
    """

    @abstractmethod
    def continues_after(self, order: Order, today: date) -> bool:
        """Whether the form asks more than the order id for this order."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Only the order id, unless the order allows the rest of the form."""
        order_id = normalize_order_id(tracker.get_slot("order_id"))
        if order_id is None:
            return domain_slots
        backoffice = get_backoffice()
        try:
            order = backoffice.get_order(order_id)
        except BackOfficeError:
            return ["order_id"]
        if order is None or not self.continues_after(order, backoffice.today()):
            return ["order_id"]
        return domain_slots

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep the id only if the order exists."""
        return validate_order_id_slot(value, dispatcher, tracker)


class ValidateOrderStatusForm(OrderFormValidation):
    """Checks the order id asked for by ``order_status_form``."""

    def name(self) -> str:
        """Action name."""
        return "validate_order_status_form"

    def continues_after(self, order: Order, today: date) -> bool:
        """The status form has nothing else to ask."""
        return False


class ActionOrderStatus(Action):
    """Tells the customer where their order is."""

    def name(self) -> str:
        """Action name."""
        return "action_order_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Answer with the response that matches the order's status."""
        order = fetch_order(dispatcher, tracker)
        if order is not None:
            dispatcher.utter_message(response=f"utter_order_{order.status}", **order_details(order, tracker))
        return []


class ValidateCancelForm(OrderFormValidation):
    """Checks the order to cancel; asks for confirmation only when the order can still be cancelled."""

    def name(self) -> str:
        """Action name."""
        return "validate_cancel_form"

    def continues_after(self, order: Order, today: date) -> bool:
        """Confirm only what can be cancelled."""
        return order.cancellable


class ActionCancelOrder(Action):
    """Cancels the order once the customer confirmed, or explains why it cannot be cancelled."""

    def name(self) -> str:
        """Action name."""
        return "action_cancel_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Cancel, keep, or explain; always clears the confirmation for the next request."""
        reset = [SlotSet("cancel_confirmed", None)]
        order = fetch_order(dispatcher, tracker)
        if order is None:
            return reset
        details = order_details(order, tracker)
        if order.status == "cancelled":
            dispatcher.utter_message(response="utter_cancel_already", **details)
        elif not order.cancellable:
            dispatcher.utter_message(response="utter_cancel_too_late", **details)
        elif tracker.get_slot("cancel_confirmed") is True:
            try:
                cancelled = get_backoffice().cancel_order(order.id)
            except BackOfficeError:
                dispatcher.utter_message(response="utter_backoffice_down")
                return reset
            dispatcher.utter_message(response="utter_cancel_done", **order_details(cancelled, tracker))
        else:
            dispatcher.utter_message(response="utter_cancel_kept", **details)
        return reset
