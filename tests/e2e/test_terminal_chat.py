"""`make run` shows the whole loop: the terminal chat goes through the gateway like any channel, so asking for a
person opens a ticket in the local agent console, the advisor's reply appears in the terminal, and "hand back"
returns the customer to the bot (the README's first steps)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from bot.local.stack import free_port
from tests.paths import ROOT

pytestmark = pytest.mark.stack


class Terminal:
    """`bot run` in a terminal: lines typed in, lines printed out (read on a thread, with deadlines)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.printed: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first line printed from now on that contains ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.printed.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed within {timeout} s; printed: {self.printed[-10:]}")

    def printed_within(self, seconds: float) -> list[str]:
        """Every line printed in the next ``seconds``."""
        deadline, lines = time.monotonic() + seconds, []
        while (left := deadline - time.monotonic()) > 0:
            try:
                lines.append(self.lines.get(timeout=left))
            except queue.Empty:
                break
        self.printed += lines
        return lines


def ticket_of(gateway: str, channel: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tickets = httpx.get(f"{gateway}/agent/state", timeout=5).json()["tickets"]
        found = [t for t in tickets if t["channel"] == channel]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no {channel} ticket in the agent console within {timeout} s")


def act(gateway: str, action: str, conversation: str, text: str = "") -> None:
    body = {"action": action, "conversation_id": conversation, "agent": "Léa", "text": text}
    assert httpx.post(f"{gateway}/agent/action", json=body, timeout=10).json() == {"ok": True}


def test_a_person_takes_over_from_the_agent_console_and_hands_back(model: Path, tmp_path: Path) -> None:
    gateway = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}/webhook",
        "GATEWAY_URL": gateway,
        "PASSERELLE_VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": "",
        "SLACK_BOT_TOKEN": "",
        "TELEGRAM_TOKEN": "",
        "MESSENGER_PAGE_TOKEN": "",
        "HANDOFF_HOURS": "",
    }
    terminal = Terminal(env)
    try:
        terminal.wait_for(f"{gateway}/agent", timeout=240)  # the chat is up, and says where advisors answer
        terminal.type("bonjour")
        terminal.wait_for("Bonjour")
        terminal.type("je veux parler à un humain")
        terminal.wait_for("conseiller")
        ticket = ticket_of(gateway, "terminal")
        assert ticket["language"] == "fr" and ticket["status"] == "waiting"
        act(gateway, "take_over", ticket["conversation_id"])
        act(gateway, "reply", ticket["conversation_id"], "Bonjour, ici Léa : que puis-je faire pour vous ?")
        terminal.wait_for("ici Léa")
        terminal.type("ma commande 48213 est en retard")  # while a person has it, the bot stays quiet
        assert not [line for line in terminal.printed_within(4) if "bot >" in line]
        act(gateway, "hand_back", ticket["conversation_id"])
        terminal.wait_for("assistant virtuel")
        terminal.type("où en est ma commande 48213 ?")
        assert "48213" in terminal.wait_for("expédiée")
        terminal.type("/quit")
        assert terminal.process.wait(timeout=60) == 0
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()
