from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backoffice import get_backoffice
from actions.orders import ActionCancelOrder, ActionOrderStatus, ValidateCancelForm
from bot.nlp.entity_values import normalize_order_id
from tests.actions.conftest import DEMO, DOMAIN, recorded, response_args, responses
from tests.actions.fake_backoffice import FakeOrderApi, serve

ORDERS = {o["id"]: o for o in DEMO["orders"]}
FRENCH_MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("48213", "48213"),
        ("CMD-77120", "77120"),
        ("#60114", "60114"),
        ("n°55031", "55031"),
        ("n° 55031", "55031"),
        ("cmd 12345", "12345"),
        ("123456", None),
        ("abc", None),
        (None, None),
    ],
)
def test_order_ids_are_normalised_to_five_digits(raw: str | None, expected: str | None) -> None:
    assert normalize_order_id(raw) == expected


def test_status_of_a_shipped_order_in_french() -> None:
    dispatcher = CollectingDispatcher()
    ActionOrderStatus().run(dispatcher, recorded("fr_order_status_shipped"), DOMAIN)
    assert responses(dispatcher) == ["utter_order_shipped"]
    message = response_args(dispatcher, "utter_order_shipped")
    assert message["tracking_number"] == ORDERS["48213"]["tracking_number"]
    assert message["carrier"] == ORDERS["48213"]["carrier"]
    # Dates are written the French way: "22 novembre 2026", "1er décembre 2026".
    shipped = date.today() - timedelta(days=ORDERS["48213"]["shipped_days_ago"])
    day = "1er" if shipped.day == 1 else str(shipped.day)
    assert message["shipped_date"] == f"{day} {FRENCH_MONTHS[shipped.month - 1]} {shipped.year}"


def test_status_of_a_delivered_order_in_english() -> None:
    dispatcher = CollectingDispatcher()
    ActionOrderStatus().run(dispatcher, recorded("en_order_status_delivered"), DOMAIN)
    assert responses(dispatcher) == ["utter_order_delivered"]
    assert response_args(dispatcher, "utter_order_delivered")["delivered_date"][-4:].isdigit()


def test_confirmed_cancellation_cancels_in_the_back_office() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionCancelOrder().run(dispatcher, recorded("en_cancel_confirmed"), DOMAIN)
    assert responses(dispatcher) == ["utter_cancel_done"]
    assert response_args(dispatcher, "utter_cancel_done")["order_total"] == f"€{ORDERS['77120']['total_eur']:.2f}"
    assert get_backoffice().get_order("77120").status == "cancelled"
    assert SlotSet("cancel_confirmed", None) in events


async def test_a_shipped_order_skips_the_confirmation_question() -> None:
    tracker = recorded("fr_cancel_form_shipped")
    slots = await ValidateCancelForm().required_slots(
        ["order_id", "cancel_confirmed"], CollectingDispatcher(), tracker, DOMAIN
    )
    assert slots == ["order_id"]


def test_a_shipped_order_is_not_cancelled() -> None:
    dispatcher = CollectingDispatcher()
    ActionCancelOrder().run(dispatcher, recorded("fr_cancel_shipped"), DOMAIN)
    assert responses(dispatcher) == ["utter_cancel_too_late"]
    assert response_args(dispatcher, "utter_cancel_too_late")["status_label"] == "expédiée"
    assert get_backoffice().get_order("48213").status == "shipped"


@pytest.fixture
def failing_backoffice(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[FakeOrderApi]:
    api = FakeOrderApi(orders={}, stores=[])
    api.mode, api.delay = request.param, 2.0
    with serve(api) as url:
        monkeypatch.setenv("BACKOFFICE_URL", url)
        monkeypatch.setenv("BACKOFFICE_TIMEOUT", "0.3")
        get_backoffice.cache_clear()
        yield api


@pytest.mark.parametrize("failing_backoffice", ["slow", "error"], indirect=True)
@pytest.mark.parametrize(
    ("action", "tracker"),
    [(ActionOrderStatus, "fr_order_status_shipped"), (ActionCancelOrder, "en_cancel_confirmed")],
)
def test_a_failing_back_office_gets_an_apology(failing_backoffice: FakeOrderApi, action: type, tracker: str) -> None:
    dispatcher = CollectingDispatcher()
    action().run(dispatcher, recorded(tracker), DOMAIN)
    assert responses(dispatcher) == ["utter_backoffice_down"]
    assert failing_backoffice.requests, "the action did call the back office"
