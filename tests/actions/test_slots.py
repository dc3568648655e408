from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import ValidateSlotMappings
from tests.actions.conftest import DOMAIN, recorded


async def test_first_message_sets_the_language() -> None:
    events = await ValidateSlotMappings().run(
        CollectingDispatcher(), recorded("fr_first_message_slot_mappings"), DOMAIN
    )
    assert SlotSet("language", "fr") in events


async def test_switching_to_english_and_normalising_the_order_id() -> None:
    tracker = recorded("en_switch_slot_mappings")
    assert tracker.get_slot("language") == "fr"
    events = await ValidateSlotMappings().run(CollectingDispatcher(), tracker, DOMAIN)
    assert SlotSet("language", "en") in events
    assert SlotSet("order_id", "11111") in events
