"""Where handoff tickets are shown: Slack, or the local console that stands in for it without credentials."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import PROJECT_ROOT
from bot.gateway.dispatcher import DeliveryError
from bot.gateway.store import PREFIX
from bot.handoff.tickets import Ticket, ticket_blocks, ticket_text
from bot.insights.digest.render import digest_blocks, digest_text, render_html
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

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Post a message of its own in the channel (an e-reputation alert); raise ``DeliveryError`` on failure."""

    async def post_digest(self, digest: Digest, chart_png: bytes) -> str:
        """Show the service digest and its chart; return where (a Slack ts, a file path)."""


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

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Post in the support channel."""
        try:
            await self.client.chat_postMessage(channel=self.channel, text=text, blocks=blocks)
        except SlackApiError as error:
            raise DeliveryError(f"Slack refused the message: {error.response.get('error')}") from error


class ConsoleBoard:
    """Tickets kept in Redis for the local agent console (``/agent``), a stand-in for Slack."""

    name = "console"

    def __init__(self, redis: Redis, reports_dir: Path = PROJECT_ROOT / "var" / "reports") -> None:
        """Keep the console's state in ``redis``, and digests as web pages in ``reports_dir``."""
        self.redis = redis
        self.reports_dir = reports_dir

    async def post_ticket(self, ticket: Ticket) -> str:
        """Store a new ticket."""
        ts = f"{time.time():.6f}"
        await self.redis.rpush(f"{PREFIX}console:tickets", ts)
        await self.update_ticket(ts, ticket)
        return ts

    async def update_ticket(self, ts: str, ticket: Ticket) -> None:
        """Store the ticket's state."""
        await self.redis.set(
            f"{PREFIX}console:ticket:{ts}",
            json.dumps(
                {
                    "ts": ts,
                    "conversation_id": ticket.conversation_id,
                    "customer": ticket.customer,
                    "channel": ticket.channel,
                    "language": ticket.language,
                    "reason": ticket.reason,
                    "summary": ticket.summary,
                    "owner": ticket.owner,
                    "status": ticket.status,
                    "rating": ticket.rating,
                    "transcript": list(ticket.transcript),
                }
            ),
        )

    async def post_in_thread(self, ts: str, text: str, broadcast: bool = False) -> None:
        """Append to the ticket's thread."""
        await self.redis.rpush(f"{PREFIX}console:thread:{ts}", text)

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Keep the notice for the console page (the last 50)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(f"{PREFIX}console:notices", json.dumps({"at": time.time(), "text": text}))
            pipe.ltrim(f"{PREFIX}console:notices", -50, -1)
            await pipe.execute()

    async def notices(self) -> list[dict[str, Any]]:
        """The kept notices, newest first."""
        return [json.loads(raw) for raw in reversed(await self.redis.lrange(f"{PREFIX}console:notices", 0, -1))]

    async def post_digest(self, digest: Digest, chart_png: bytes) -> str:
        """Write the digest as a web page (``digest-<first day>[_<last day>].html``); return its path."""
        days = f"{digest.first_day}" if digest.first_day == digest.last_day else f"{digest.first_day}_{digest.last_day}"
        path = self.reports_dir / f"digest-{days}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(digest, chart_png), encoding="utf-8")
        log.info("service digest written to %s (Slack is not configured): open it in a browser", path)
        return str(path)

    async def state(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest tickets with their threads, newest first, for the console page."""
        tickets = []
        for raw_ts in reversed(await self.redis.lrange(f"{PREFIX}console:tickets", -limit, -1)):
            ts = raw_ts.decode() if isinstance(raw_ts, bytes) else str(raw_ts)
            raw = await self.redis.get(f"{PREFIX}console:ticket:{ts}")
            if raw is None:
                continue
            ticket = json.loads(raw)
            thread = await self.redis.lrange(f"{PREFIX}console:thread:{ts}", 0, -1)
            ticket["thread"] = [t.decode() if isinstance(t, bytes) else str(t) for t in thread]
            tickets.append(ticket)
        return tickets
