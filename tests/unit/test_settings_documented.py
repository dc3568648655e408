"""Every variable of .env.example is documented in the README and read by the code."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from actions.settings import ActionSettings
from bot.config import Settings
from tests.paths import ROOT

NAMES = re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
README = (ROOT / "README.md").read_text()


class Recorder(dict[str, str]):
    """An environment that remembers which variables were asked for."""

    def __init__(self, base: dict[str, str]) -> None:
        super().__init__(base)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def read_variables(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    environ = Recorder({})
    Settings.from_env(environ)
    actions = Recorder({})
    monkeypatch.setattr(os, "environ", actions)
    ActionSettings.from_env()
    endpoints = set(re.findall(r"\$\{([A-Z0-9_]+)\}", (ROOT / "endpoints.yml").read_text()))
    return environ.asked | actions.asked | endpoints


def test_env_example_is_not_empty() -> None:
    assert len(NAMES) > 30 and len(NAMES) == len(set(NAMES))


def test_every_setting_is_read_by_the_gateway_the_actions_or_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    unread = set(NAMES) - read_variables(monkeypatch)
    assert not unread, f"in .env.example but read by nothing: {sorted(unread)}"


def test_every_setting_has_a_row_in_the_readme_table() -> None:
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", README, re.M))
    assert rows == set(NAMES), f"missing: {sorted(set(NAMES) - rows)}; unknown: {sorted(rows - set(NAMES))}"


def test_every_variable_the_settings_read_is_in_env_example() -> None:
    environ = Recorder({})
    Settings.from_env(environ)
    # LANG is the system's locale (a language hint for the terminal chat), not a setting of ours to document.
    undocumented = environ.asked - set(NAMES) - {"LANG"}
    assert not undocumented, f"read but missing from .env.example: {sorted(undocumented)}"
