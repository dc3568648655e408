"""Helpers for running actions on recorded trackers against a chosen back office."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backoffice import get_backoffice
from tests.paths import ROOT

TRACKERS = ROOT / "tests" / "actions" / "trackers"
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
DEMO = json.loads((ROOT / "data" / "backoffice" / "demo.json").read_text(encoding="utf-8"))


def recorded(name: str) -> Tracker:
    """The tracker Rasa sent with the recorded action call ``name``."""
    return Tracker.from_dict(json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))["tracker"])


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    """The names of the responses an action sent."""
    return [m.get("response") for m in dispatcher.messages]


def response_args(dispatcher: CollectingDispatcher, name: str) -> dict[str, Any]:
    """The message an action sent with the response ``name``, including the values it passed for it."""
    return next(m for m in dispatcher.messages if m.get("response") == name)


@pytest.fixture(autouse=True)
def demo_backoffice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh demo back office for every test (the environment decides which back office actions use)."""
    monkeypatch.delenv("BACKOFFICE_URL", raising=False)
    get_backoffice.cache_clear()
    yield
    get_backoffice.cache_clear()
