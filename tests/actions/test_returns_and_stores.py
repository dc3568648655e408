from rasa_sdk.executor import CollectingDispatcher

from actions.returns import ActionSubmitReturn
from actions.stores import ActionStoreInfo
from tests.actions.conftest import DEMO, DOMAIN, recorded, response_args, responses

ORDERS = {o["id"]: o for o in DEMO["orders"]}


def test_a_return_inside_the_window_is_opened() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionSubmitReturn().run(dispatcher, recorded("en_return_submit"), DOMAIN)
    assert responses(dispatcher) == ["utter_return_created"]
    message = response_args(dispatcher, "utter_return_created")
    assert message["return_id"].startswith("RET-60114-")
    assert message["email"] == ORDERS["60114"]["email"]
    assert {"event": "slot", "timestamp": None, "name": "return_reason", "value": None} in events


def test_a_return_after_the_window_is_refused() -> None:
    dispatcher = CollectingDispatcher()
    ActionSubmitReturn().run(dispatcher, recorded("fr_return_window_closed"), DOMAIN)
    assert responses(dispatcher) == ["utter_return_window_closed"]


def test_store_information_for_the_city_asked_about() -> None:
    dispatcher = CollectingDispatcher()
    ActionStoreInfo().run(dispatcher, recorded("en_store_paris"), DOMAIN)
    assert responses(dispatcher) == ["utter_store_info"]
    assert response_args(dispatcher, "utter_store_info")["store_name"] == "Paris Marais"
