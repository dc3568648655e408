"""The terminal chat's socket is for programs on the gateway's own machine, and only where `bot run` asks for it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.channels import terminal
from bot.channels.webchat import from_this_machine
from bot.config import Settings
from bot.gateway.app import create_app


@dataclass
class Client:
    host: str


@dataclass
class Socket:
    client: Client
    headers: dict[str, str] = field(default_factory=dict)


@pytest.mark.parametrize(
    ("host", "headers", "allowed"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("192.168.1.20", {}, False),
        ("127.0.0.1", {"x-forwarded-for": "203.0.113.9"}, False),  # a proxy on this host relays a stranger
        ("127.0.0.1", {"origin": "https://evil.example"}, False),  # a web page open in a local browser
        ("testclient", {}, False),
    ],
)
def test_only_local_programs_may_open_the_terminal_socket(host: str, headers: dict[str, str], allowed: bool) -> None:
    assert from_this_machine(Socket(Client(host), headers)) is allowed  # type: ignore[arg-type]


def terminal_routes(settings: Settings) -> list[str]:
    return [path for route in create_app(settings).routes if (path := getattr(route, "path", "")) == terminal.ROUTE]


def test_the_terminal_socket_is_served_only_when_bot_run_asks_for_it() -> None:
    assert terminal_routes(Settings()) == []
    assert terminal_routes(Settings(terminal_chat=True)) == [terminal.ROUTE]
