"""Order actions: status, cancellation with confirmation, and the order-id validation the forms share."""

from __future__ import annotations

import re
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

# The tasks that change an order, and their forms: before they do, a remembered order is confirmed ("Order 48213?").
TASK_FORMS = {"cancel": "cancel_form", "return": "return_form"}
# A negation in a request to cancel given as the answer to "Do you really want to cancel?": "don't cancel it" and
# "je ne veux plus l'annuler" are understood as requests to cancel, so they are not taken for a yes.
_NEGATION = re.compile(
    r"\b(?:ne|n'|n’|pas|plus|non|no|not|don't|dont|never|jamais|sans|without)\b|n't\b", re.IGNORECASE
)


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


def order_ids_mentioned(tracker: Tracker) -> list[str]:
    """Every order id the customer gave in this conversation, in order, without repeats."""
    found: list[str] = []
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            order_id = normalize_order_id(entity.get("value")) if entity.get("entity") == "order_id" else None
            if order_id and order_id not in found:
                found.append(order_id)
    slot = normalize_order_id(tracker.get_slot("order_id"))
    if slot and slot not in found:
        found.append(slot)
    return found


def other_order(tracker: Tracker) -> str | None:
    """The conversation's one order besides the current one ("no, the other order"), or None when not exactly one."""
    current = normalize_order_id(tracker.get_slot("order_id"))
    others = [order_id for order_id in order_ids_mentioned(tracker) if order_id != current]
    return others[0] if len(others) == 1 else None


def order_id_before_this_message(tracker: Tracker) -> str | None:
    """The order id the conversation had before the customer's latest message."""
    order_id = None
    last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=-1)
    for event in tracker.events[: max(last_user, 0)]:
        if event.get("event") == "slot" and event.get("name") == "order_id":
            order_id = normalize_order_id(event.get("value"))
    return order_id


def task_events(tracker: Tracker, form: str) -> list[dict[str, Any]]:
    """The events of the current run of ``form``: from the customer message that started it to now.

    While the form is being activated its activation is not in the events yet: the task then starts at the
    latest customer message.
    """
    events: list[dict[str, Any]] = list(tracker.events)
    start = len(events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "active_loop" and events[index].get("name") == form:
            start = index
            break
    for index in range(start - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index:]
    return events[start:] if start < len(events) else events


def order_given_in_task(tracker: Tracker, form: str, order_id: str) -> bool:
    """Whether the customer wrote ``order_id`` or said yes to it in this task (not remembered from before).

    A confirmation counts only right after a "yes" (to "Order 48213?" or to an offer naming the order): a value
    left over from an earlier task, which Rasa re-validates when the form starts, does not.
    """
    latest_intent = None
    for event in task_events(tracker, form):
        if event.get("event") == "user":
            parse_data = event.get("parse_data") or {}
            latest_intent = (parse_data.get("intent") or {}).get("name")
            for entity in parse_data.get("entities") or []:
                if entity.get("entity") == "order_id" and normalize_order_id(entity.get("value")) == order_id:
                    return True
        elif (
            event.get("event") == "slot"
            and event.get("name") == "order_confirmed"
            and event.get("value") is True
            and latest_intent == "affirm"
        ):
            return True
    return False


class OrderFormValidation(FormValidationAction, ABC):
    """Validation shared by the forms that start from an order id (status, cancellation, return).

    The order id must name an existing order. A form that changes the order (cancellation, return) first asks
    whether a remembered order is the one meant ("Order 48213?"), unless the customer named it in this task.
    The form asks its other questions only when ``continues_after`` says the order allows it, so nobody confirms
    the cancellation of a shipped order. A new order id at any point (a correction) replaces the old one.
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
        """The order id, its confirmation when it was remembered, and the rest only if the order allows it."""
        order_id = normalize_order_id(tracker.get_slot("order_id"))
        if order_id is None:
            return domain_slots
        first = ["order_id"]
        if "order_confirmed" in domain_slots and not order_given_in_task(tracker, self.form_name(), order_id):
            first.append("order_confirmed")
        rest = [slot for slot in domain_slots if slot not in ("order_id", "order_confirmed")]
        backoffice = get_backoffice()
        try:
            order = backoffice.get_order(order_id)
        except BackOfficeError:
            return ["order_id"]
        if order is None:
            return ["order_id"]
        if not self.continues_after(order, backoffice.today()):
            return first
        return first + rest

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep the id only if the order exists.

        In the middle of a cancellation or a return, a question about another order's status ("where is 48213?")
        is answered, and the task keeps its order: only a correction or an answer changes what is cancelled.
        """
        kept = order_id_before_this_message(tracker)
        asked_about = normalize_order_id(value)
        if (
            self.form_name() in TASK_FORMS.values()
            and tracker.active_loop_name == self.form_name()
            and (tracker.latest_message.get("intent") or {}).get("name") == "order_status"
            and kept is not None
            and asked_about not in (None, kept)
        ):
            try:
                order = get_backoffice().get_order(str(asked_about))
            except BackOfficeError:
                dispatcher.utter_message(response="utter_backoffice_down")
                return {"order_id": kept}
            if order is None:
                dispatcher.utter_message(response="utter_order_not_found", order_id=asked_about)
            else:
                dispatcher.utter_message(response=f"utter_order_{order.status}", **order_details(order, tracker))
            return {"order_id": kept}
        return validate_order_id_slot(value, dispatcher, tracker)

    def validate_order_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A yes keeps the order; a no takes the conversation's only other order (asked in turn), else asks."""
        if value is True:
            order_id = normalize_order_id(tracker.get_slot("order_id")) or ""
            return {"order_confirmed": True if order_given_in_task(tracker, self.form_name(), order_id) else None}
        return {"order_id": other_order(tracker), "order_confirmed": None}


class ValidateOrderStatusForm(OrderFormValidation):
    """Checks the order id asked for by ``order_status_form``."""

    def name(self) -> str:
        """Action name."""
        return "validate_order_status_form"

    def continues_after(self, order: Order, today: date) -> bool:
        """The status form has nothing else to ask."""
        return False


class ActionAskOrderId(Action):
    """Asks for the order number in the words of the task at hand.

    The question then also reminds the customer of the task when the form resumes after a digression.
    """

    def name(self) -> str:
        """Action name."""
        return "action_ask_order_id"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """The cancellation's or the return's question, else the plain one."""
        form = tracker.active_loop.get("name") if tracker.active_loop else None
        task = next((t for t, f in TASK_FORMS.items() if f == form), None) or tracker.get_slot("task")
        response = {"cancel": "utter_ask_order_id_cancel", "return": "utter_ask_order_id_return"}.get(
            str(task), "utter_ask_order_id"
        )
        dispatcher.utter_message(response=response)
        return []


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

    def validate_cancel_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A yes, or "yes, cancel it"; a request to cancel with a negation in it asks the question again.

        Cancelling cannot be undone: "don't cancel it" (which the NLU reads as a request to cancel) must not be
        a yes, and asking again costs one message.
        """
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if value is True and intent == "cancel_order" and _NEGATION.search(tracker.latest_message.get("text") or ""):
            return {"cancel_confirmed": None}
        return {"cancel_confirmed": value}


class ActionCancelOrder(Action):
    """Cancels the order once the customer confirmed, or explains why it cannot be cancelled."""

    def name(self) -> str:
        """Action name."""
        return "action_cancel_order"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Cancel, keep, or explain (offering a return if delivered); always clears the confirmations."""
        reset = [SlotSet("cancel_confirmed", None), SlotSet("order_confirmed", None)]
        order = fetch_order(dispatcher, tracker)
        if order is None:
            return reset
        details = order_details(order, tracker)
        backoffice = get_backoffice()
        if order.status == "cancelled":
            dispatcher.utter_message(response="utter_cancel_already", **details)
        elif order.status == "delivered":
            returnable = order.returnable(backoffice.today())
            dispatcher.utter_message(
                response="utter_cancel_delivered" if returnable else "utter_return_window_closed", **details
            )
        elif not order.cancellable:
            dispatcher.utter_message(response="utter_cancel_too_late", **details)
        elif tracker.get_slot("cancel_confirmed") is True:
            try:
                cancelled = backoffice.cancel_order(order.id)
            except BackOfficeError:
                dispatcher.utter_message(response="utter_backoffice_down")
                return reset
            dispatcher.utter_message(response="utter_cancel_done", **order_details(cancelled, tracker))
        else:
            dispatcher.utter_message(response="utter_cancel_kept", **details)
        return reset
