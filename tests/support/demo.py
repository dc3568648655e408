"""The demo back office as the end-to-end tests see it. Cancelling changes the action server's state for the
whole session, so each test that cancels takes an order no other test uses."""

from __future__ import annotations

import json
from typing import Any

from tests.paths import ROOT

DEMO = json.loads((ROOT / "data" / "backoffice" / "demo.json").read_text(encoding="utf-8"))
ORDERS: dict[str, dict[str, Any]] = {o["id"]: o for o in DEMO["orders"]}
# 77120 stays untouched: tests decline to cancel it and read its status.
_cancellable = iter([o for o in DEMO["orders"] if o["status"] == "processing" and o["id"] != "77120"])


def take_cancellable_order() -> dict[str, Any]:
    """An order still being prepared that no other test has used."""
    return next(_cancellable)
