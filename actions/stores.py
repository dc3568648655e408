"""Store information: one store when the customer names its city, otherwise all of them."""

from __future__ import annotations

import unicodedata

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backoffice import BackOfficeError, Store, get_backoffice


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def stores_named_in(text: str, stores: list[Store]) -> list[Store]:
    """The stores whose city the message names, e.g. "votre boutique de bordeaux"."""
    folded = _fold(text)
    return [store for store in stores if _fold(store.city) in folded]


class ActionStoreInfo(Action):
    """Gives the address, opening hours and phone number of the brand's stores."""

    def name(self) -> str:
        """Action name."""
        return "action_store_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Answer about the store(s) asked for."""
        try:
            stores = get_backoffice().stores()
        except BackOfficeError:
            dispatcher.utter_message(response="utter_backoffice_down")
            return []
        named = stores_named_in(tracker.latest_message.get("text") or "", stores)
        if not named:
            dispatcher.utter_message(response="utter_store_intro")
        for store in named or stores:
            dispatcher.utter_message(
                response="utter_store_info",
                store_name=store.name,
                address=store.address,
                hours_fr=store.hours_fr,
                hours_en=store.hours_en,
                phone=store.phone,
            )
        return []
