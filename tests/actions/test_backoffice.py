from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest

from actions.backoffice import BackOfficeError, DemoBackOffice, HttpBackOffice
from tests.actions.fake_backoffice import FakeOrderApi, serve
from tests.paths import ROOT

TODAY = date(2026, 11, 23)
DEMO = json.loads((ROOT / "data" / "backoffice" / "demo.json").read_text(encoding="utf-8"))


@pytest.fixture
def demo() -> DemoBackOffice:
    return DemoBackOffice(DEMO, today=TODAY)


def test_demo_has_about_fifty_orders_of_every_status(demo: DemoBackOffice) -> None:
    statuses = [demo.get_order(o["id"]).status for o in DEMO["orders"]]
    assert 45 <= len(statuses) <= 60
    assert set(statuses) == {"processing", "shipped", "delivered", "cancelled", "returned"}


def test_demo_dates_are_relative_to_today(demo: DemoBackOffice) -> None:
    order = demo.get_order("60114")
    assert order is not None and order.delivered_on == date(2026, 11, 20)
    assert order.returnable(TODAY)
    late = demo.get_order("55031")
    assert late is not None and not late.returnable(TODAY)


def test_only_orders_in_preparation_can_be_cancelled(demo: DemoBackOffice) -> None:
    assert demo.cancel_order("77120").status == "cancelled"
    with pytest.raises(BackOfficeError):
        demo.cancel_order("77120")
    with pytest.raises(BackOfficeError):
        demo.cancel_order("48213")  # shipped


def test_returns_get_distinct_ids_and_only_inside_the_window(demo: DemoBackOffice) -> None:
    assert demo.create_return("60114", "too small") != demo.create_return("60114", "colour")
    with pytest.raises(BackOfficeError):
        demo.create_return("55031", "too late")


@pytest.fixture
def api() -> Iterator[tuple[FakeOrderApi, str]]:
    fake = FakeOrderApi(
        orders={
            "48213": {
                "id": "48213",
                "status": "shipped",
                "carrier": "DHL",
                "total_eur": 59.0,
                "email": "a@example.com",
                "ordered_on": "2026-11-19",
                "shipped_on": "2026-11-20",
                "eta": "2026-11-24",
                "tracking_number": "123",
            }
        },
        stores=DEMO["stores"],
    )
    with serve(fake) as url:
        yield fake, url


def test_http_back_office_reads_orders_with_its_token(api: tuple[FakeOrderApi, str]) -> None:
    fake, url = api
    client = HttpBackOffice(url, token="s3cret", timeout=2)
    order = client.get_order("48213")
    assert order is not None and order.shipped_on == date(2026, 11, 20) and order.tracking_number == "123"
    assert client.get_order("99999") is None
    assert fake.requests[0][2]["Authorization"] == "Bearer s3cret"
    assert [s.city for s in client.stores()] == ["Lyon", "Paris", "Bordeaux"]


@pytest.mark.parametrize("mode", ["slow", "error"])
def test_http_back_office_failures_become_back_office_errors(api: tuple[FakeOrderApi, str], mode: str) -> None:
    fake, url = api
    fake.mode, fake.delay = mode, 1.0
    with pytest.raises(BackOfficeError):
        HttpBackOffice(url, timeout=0.2).get_order("48213")
