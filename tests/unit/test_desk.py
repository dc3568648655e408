"""The desk's timers and thread notices, with an in-memory Redis, a recording board and a clock we move."""

from __future__ import annotations

from typing import Any

import fakeredis
import pytest

from bot.conversation import Handoff, Inbound, Outbound
from bot.handoff.desk import DELETED, EDITED, Desk
from bot.handoff.tickets import Ticket

HOUR = 3600.0
DAY = 24 * HOUR


class Board:
    name = "test"

    def __init__(self) -> None:
        self.threads: dict[str, list[str]] = {}

    async def post_ticket(self, ticket: Ticket) -> str:
        ts = f"{len(self.threads) + 1}.0"
        self.threads[ts] = []
        return ts

    async def update_ticket(self, ts: str, ticket: Ticket) -> None:
        pass

    async def post_in_thread(self, ts: str, text: str, broadcast: bool = False) -> None:
        self.threads[ts].append(text)


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, conversation_id: str, message: Outbound, from_agent: bool = False) -> None:
        self.sent.append((conversation_id, message.text))


class Rasa:
    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def board() -> Board:
    return Board()


@pytest.fixture
def desk(board: Board, clock: Clock) -> Desk:
    senders: Any = {"messenger": Sender(), "telegram": Sender()}
    return Desk(fakeredis.FakeAsyncRedis(), board, Rasa(), senders, reannounce_after=1e9, clock=clock)


async def hand_over(desk: Desk, conversation: str) -> str:
    channel = conversation.split(":")[0]
    await desk.open_ticket(
        Inbound(conversation, channel, "je veux un humain", display_name="Léa"),
        Handoff(reason="customer_request", language="fr", summary="asked for a person"),
    )
    found = await desk.ticket(conversation)
    assert found is not None
    return found[1]


async def test_messenger_thread_is_warned_a_day_before_the_7_day_window_closes(
    desk: Desk, board: Board, clock: Clock
) -> None:
    thread = await hand_over(desk, "messenger:42")
    clock.now += 5 * DAY
    assert await desk.before_message(Inbound("messenger:42", "messenger", "toujours rien ?", message_id="m1"))
    clock.now += 5 * DAY + 23 * HOUR  # 5 days 23 h after the customer's last message: nothing yet
    assert await desk.warn_closing_windows() == 0
    clock.now += 2 * HOUR
    assert await desk.warn_closing_windows() == 1
    assert "Messenger closes this conversation in about 23 h" in board.threads[thread][-1]
    clock.now += HOUR
    assert await desk.warn_closing_windows() == 0  # once per customer message, not every tick


async def test_no_window_warning_on_telegram_or_after_hand_back(desk: Desk, clock: Clock) -> None:
    await hand_over(desk, "telegram:7")
    await hand_over(desk, "messenger:43")
    await desk.hand_back("messenger:43", "U1")
    clock.now += 7 * DAY
    assert await desk.warn_closing_windows() == 0


async def test_an_edited_or_deleted_reply_is_explained_in_the_thread(desk: Desk, board: Board) -> None:
    thread = await hand_over(desk, "telegram:8")
    await desk.thread_changed(thread, "Bonjour, je regarde.", "Bonjour, je regarde votre colis.")
    await desk.thread_changed(thread, "Bonjour, je regarde.", None)
    await desk.thread_changed(thread, "! note interne", "! note interne corrigée")  # notes never reached anyone
    await desk.thread_changed(thread, "même texte", "même texte")  # e.g. a link preview added
    await desk.thread_changed("999.0", "ailleurs", "autre")  # not a ticket thread
    assert board.threads[thread] == [EDITED, DELETED]
