"""Tickets as Block Kit messages in a support channel, conversations in their threads, digests with their chart."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.base import DeliveryError
from bot.handoff.tickets import Ticket, ticket_blocks, ticket_text
from bot.insights.digest.render import digest_blocks, digest_text
from bot.insights.digest.summary import Digest

log = logging.getLogger(__name__)


def make_slack_client(token: str, api_url: str) -> AsyncWebClient:
    """A Web API client that retries 429 (after ``Retry-After``), 5xx and connection errors."""
    client = AsyncWebClient(token=token, base_url=api_url)
    client.retry_handlers.extend(
        [
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ]
    )
    return client


PASSING_TROUBLE = ("ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout")


def _refusal(what: str, error: SlackApiError) -> DeliveryError:
    """Slack's refusal as a ``DeliveryError``, permanent unless Slack's trouble passes (worth trying again)."""
    reason = error.response.get("error")
    return DeliveryError(f"Slack refused {what}: {reason}", permanent=reason not in PASSING_TROUBLE)


class SlackBoard:
    """Tickets as Block Kit messages in a support channel, conversations in their threads."""

    name = "slack"

    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        """Post with ``client`` in ``channel``."""
        self.client = client
        self.channel = channel

    async def post_ticket(self, ticket: Ticket) -> str:
        """Post the ticket message."""
        try:
            posted = await self.client.chat_postMessage(
                channel=self.channel, text=ticket_text(ticket), blocks=ticket_blocks(ticket)
            )
        except SlackApiError as error:
            raise DeliveryError(f"Slack refused the ticket: {error.response.get('error')}") from error
        return str(posted["ts"])

    async def update_ticket(self, ts: str, ticket: Ticket) -> None:
        """Edit the ticket message."""
        await self.client.chat_update(
            channel=self.channel, ts=ts, text=ticket_text(ticket), blocks=ticket_blocks(ticket)
        )

    async def post_in_thread(self, ts: str, text: str, broadcast: bool = False) -> None:
        """Reply in the ticket's thread."""
        try:
            await self.client.chat_postMessage(channel=self.channel, thread_ts=ts, text=text, reply_broadcast=broadcast)
        except SlackApiError as error:
            raise DeliveryError(f"Slack refused a thread message: {error.response.get('error')}") from error

    async def post_digest(self, digest: Digest, chart_png: bytes) -> str:
        """Post the digest, then its chart as a file; return the message's ts.

        A refused digest raises ``DeliveryError`` (try again later); a refused chart (e.g. ``missing_scope``:
        ``files:write``) is logged and said in the digest's thread, since the digest itself is there.
        """
        try:
            posted = await self.client.chat_postMessage(
                channel=self.channel, text=digest_text(digest), blocks=digest_blocks(digest)
            )
        except SlackApiError as error:
            raise DeliveryError(f"Slack refused the digest: {error.response.get('error')}") from error
        ts = str(posted["ts"])
        try:
            await self.client.files_upload_v2(
                channel=self.channel, file=chart_png, filename="digest.png", title="Messages and negative share per day"
            )
        except SlackApiError as error:
            reason = error.response.get("error")
            log.warning("Slack refused the digest's chart: %s", reason)
            await self.post_in_thread(ts, f"The chart could not be uploaded ({reason}): `bot report` draws it.")
        return ts

    async def post_card(self, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post a comment's card (bot/comments/cards.py); return its ts.

        Slack's refusals other than a passing trouble (``channel_not_found``, ``invalid_blocks``...) are permanent: the
        same card would be refused again.
        """
        try:
            posted = await self.client.chat_postMessage(channel=self.channel, text=text, blocks=blocks or None)
        except SlackApiError as error:
            raise _refusal("the comment card", error) from error
        return str(posted["ts"])

    async def update_card(self, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Show a comment card's new state."""
        try:
            await self.client.chat_update(channel=self.channel, ts=ts, text=text, blocks=blocks or None)
        except SlackApiError as error:
            raise _refusal("the comment card's update", error) from error

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Post in the support channel."""
        try:
            await self.client.chat_postMessage(channel=self.channel, text=text, blocks=blocks)
        except SlackApiError as error:
            raise DeliveryError(f"Slack refused the message: {error.response.get('error')}") from error
