"""The brand's back office as the actions see it: orders, cancellations, returns and stores.

``BackOffice`` is the interface; ``DemoBackOffice`` serves the bundled demo data and ``HttpBackOffice`` calls a
company's own order API. A company plugs in its system by setting ``BACKOFFICE_URL`` (and serving the small JSON
API documented on ``HttpBackOffice``) or by writing another class with the same methods.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

import httpx

from actions.settings import ActionSettings

RETURN_WINDOW_DAYS = 30


class BackOfficeError(Exception):
    """The back office failed, timed out or answered something unusable."""


@dataclass(frozen=True)
class Order:
    """One customer order, with the dates that matter to its status."""

    id: str
    status: str  # processing | shipped | delivered | cancelled | returned
    carrier: str
    total_eur: float
    email: str
    ordered_on: date
    tracking_number: str | None = None
    shipped_on: date | None = None
    delivered_on: date | None = None
    eta: date | None = None
    refunded_on: date | None = None
    items: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def cancellable(self) -> bool:
        """Only orders still being prepared can be cancelled."""
        return self.status == "processing"

    def returnable(self, today: date) -> bool:
        """Delivered orders can be returned within the return window."""
        return (
            self.status == "delivered"
            and self.delivered_on is not None
            and (today - self.delivered_on).days <= RETURN_WINDOW_DAYS
        )


@dataclass(frozen=True)
class Store:
    """A physical store."""

    city: str
    name: str
    address: str
    phone: str
    hours_fr: str
    hours_en: str


class BackOffice(Protocol):
    """What the actions need from a back office. Every method raises ``BackOfficeError`` on failure."""

    def get_order(self, order_id: str) -> Order | None:
        """Return the order, or None when no order has this id."""

    def cancel_order(self, order_id: str) -> Order:
        """Cancel a cancellable order and return it updated."""

    def create_return(self, order_id: str, reason: str) -> str:
        """Open a return for a delivered order and return its return id."""

    def stores(self) -> list[Store]:
        """Return the brand's physical stores."""

    def today(self) -> date:
        """The back office's date, against which return windows are counted."""


def _order_from_record(record: dict[str, Any], today: date) -> Order:
    """Build an Order from a demo record, whose dates are days relative to today."""

    def days_ago(key: str) -> date | None:
        value = record.get(key)
        return None if value is None else today - timedelta(days=int(value))

    eta_in = record.get("eta_in_days")
    return Order(
        id=record["id"],
        status=record["status"],
        carrier=record["carrier"],
        total_eur=float(record["total_eur"]),
        email=record["email"],
        ordered_on=days_ago("ordered_days_ago") or today,
        tracking_number=record.get("tracking_number"),
        shipped_on=days_ago("shipped_days_ago"),
        delivered_on=days_ago("delivered_days_ago"),
        eta=None if eta_in is None else today + timedelta(days=int(eta_in)),
        refunded_on=days_ago("refunded_days_ago"),
        items=tuple(record.get("items", ())),
    )


class DemoBackOffice:
    """The bundled demo back office: about 50 orders and three stores, changes kept in memory."""

    def __init__(self, data: dict[str, Any], today: date | None = None) -> None:
        """Serve ``data`` (the demo JSON); ``today`` pins the clock for tests."""
        self._records = {o["id"]: copy.deepcopy(o) for o in data["orders"]}
        self._stores = [Store(**s) for s in data["stores"]]
        self._today = today
        self._lock = threading.Lock()
        self._returns = 0

    def today(self) -> date:
        """The back office's date: the pinned one in tests, else the real one."""
        return self._today or date.today()

    def get_order(self, order_id: str) -> Order | None:
        """Return the order, or None."""
        record = self._records.get(order_id)
        return None if record is None else _order_from_record(record, self.today())

    def cancel_order(self, order_id: str) -> Order:
        """Cancel the order if it is still being prepared."""
        with self._lock:
            record = self._records.get(order_id)
            if record is None or record["status"] != "processing":
                raise BackOfficeError(f"order {order_id} cannot be cancelled")
            record["status"] = "cancelled"
            record["tracking_number"] = None
            return _order_from_record(record, self.today())

    def create_return(self, order_id: str, reason: str) -> str:
        """Register a return and give it an id such as RET-60114-1."""
        order = self.get_order(order_id)
        if order is None or not order.returnable(self.today()):
            raise BackOfficeError(f"order {order_id} cannot be returned")
        with self._lock:
            self._returns += 1
            return f"RET-{order_id}-{self._returns}"

    def stores(self) -> list[Store]:
        """Return the three demo stores."""
        return list(self._stores)


def _parse_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


class HttpBackOffice:
    """A company's order API over HTTP with a bearer token.

    Endpoints: ``GET /orders/{id}`` (404 when unknown) returns an order with ISO dates (``ordered_on``,
    ``shipped_on``, ``delivered_on``, ``eta``, ``refunded_on``); ``POST /orders/{id}/cancel`` returns the updated
    order; ``POST /orders/{id}/returns`` with ``{"reason"}`` returns ``{"return_id"}``; ``GET /stores`` returns
    a list of stores.
    """

    def __init__(self, base_url: str, token: str = "", timeout: float = 3.0) -> None:
        """Talk to ``base_url``, giving up after ``timeout`` seconds."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise BackOfficeError(f"{method} {path}: {type(error).__name__}") from error
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise BackOfficeError(f"{method} {path}: HTTP {response.status_code}")
        return response

    @staticmethod
    def _order(body: dict[str, Any]) -> Order:
        try:
            return Order(
                id=str(body["id"]),
                status=body["status"],
                carrier=body.get("carrier", ""),
                total_eur=float(body.get("total_eur", 0)),
                email=body.get("email", ""),
                ordered_on=_parse_date(body["ordered_on"]) or date.today(),
                tracking_number=body.get("tracking_number"),
                shipped_on=_parse_date(body.get("shipped_on")),
                delivered_on=_parse_date(body.get("delivered_on")),
                eta=_parse_date(body.get("eta")),
                refunded_on=_parse_date(body.get("refunded_on")),
                items=tuple(body.get("items", ())),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BackOfficeError(f"unusable order: {error}") from error

    def get_order(self, order_id: str) -> Order | None:
        """Fetch one order."""
        response = self._request("GET", f"/orders/{order_id}")
        if response.status_code == 404:
            return None
        return self._order(response.json())

    def cancel_order(self, order_id: str) -> Order:
        """Ask the back office to cancel the order."""
        response = self._request("POST", f"/orders/{order_id}/cancel")
        if response.status_code >= 400:
            raise BackOfficeError(f"cancel {order_id}: HTTP {response.status_code}")
        return self._order(response.json())

    def create_return(self, order_id: str, reason: str) -> str:
        """Open a return and return its id."""
        response = self._request("POST", f"/orders/{order_id}/returns", json={"reason": reason})
        if response.status_code >= 400:
            raise BackOfficeError(f"return {order_id}: HTTP {response.status_code}")
        return str(response.json()["return_id"])

    def stores(self) -> list[Store]:
        """Fetch the stores."""
        return [Store(**s) for s in self._request("GET", "/stores").json()]

    def today(self) -> date:
        """The real date."""
        return date.today()


@lru_cache(maxsize=1)
def get_backoffice() -> BackOffice:
    """Return the process's back office, built on first use from the environment (no I/O at import time)."""
    settings = ActionSettings.from_env()
    if settings.backoffice_url:
        return HttpBackOffice(settings.backoffice_url, settings.backoffice_token, settings.backoffice_timeout)
    with settings.demo_data.open(encoding="utf-8") as handle:
        return DemoBackOffice(json.load(handle))
