"""What a board is, and which one the settings choose: Slack when a bot token is set, else the local console."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.boards.console import ConsoleBoard
from bot.boards.slack import SlackBoard, make_slack_client
from bot.config import Settings
from bot.handoff.tickets import Ticket
from bot.insights.digest.summary import Digest

log = logging.getLogger(__name__)


class Board(Protocol):
    """A place where community managers see tickets and their threads."""

    name: str

    async def post_ticket(self, ticket: Ticket) -> str:
        """Show a new ticket; return its id (its thread's id)."""

    async def update_ticket(self, ts: str, ticket: Ticket) -> None:
        """Show the ticket's new state."""

    async def post_in_thread(self, ts: str, text: str, broadcast: bool = False) -> None:
        """Add a message under the ticket (``broadcast``: also to the whole channel)."""

    async def post_card(self, text: str, blocks: list[dict[str, Any]]) -> str:
        """Show a public comment's card (bot/comments/cards.py); return its id."""

    async def update_card(self, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Show a comment card's new state."""

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Post a message of its own in the channel (an e-reputation alert); raise ``DeliveryError`` on failure."""

    async def post_digest(self, digest: Digest, chart_png: bytes) -> str:
        """Show the service digest and its chart; return where (a Slack ts, a file path)."""


def open_board(settings: Settings, redis: Redis) -> SlackBoard | ConsoleBoard:
    """Slack when ``SLACK_BOT_TOKEN`` is set; else the local console (its state in ``redis``, digests as pages)."""
    if settings.slack_bot_token:
        client = make_slack_client(settings.slack_bot_token, settings.slack_api_url)
        return SlackBoard(client, settings.slack_support_channel)
    return ConsoleBoard(redis, settings.var_dir / "reports")
