"""The local agent console's board: tickets, threads and notices kept in Redis for ``/agent``, digests as pages."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.config import PROJECT_ROOT
from bot.handoff.tickets import Ticket
from bot.insights.digest.render import render_html
from bot.insights.digest.summary import Digest
from bot.keyspace import Namespace, text

log = logging.getLogger(__name__)
KEYS = Namespace("console")


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
        await self.redis.rpush(KEYS("tickets"), ts)
        await self.update_ticket(ts, ticket)
        return ts

    async def update_ticket(self, ts: str, ticket: Ticket) -> None:
        """Store the ticket's state."""
        await self.redis.set(
            KEYS("ticket", ts),
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
        await self.redis.rpush(KEYS("thread", ts), text)

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Keep the notice for the console page (the last 50)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(KEYS("notices"), json.dumps({"at": time.time(), "text": text}))
            pipe.ltrim(KEYS("notices"), -50, -1)
            await pipe.execute()

    async def post_card(self, text: str, blocks: list[dict[str, Any]]) -> str:
        """Show a comment card as a notice (its buttons are Slack's: the console lists what the desk did)."""
        await self.post_notice(f"💬 {text}")
        return ""  # no card to update later

    async def update_card(self, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Nothing to update: the console shows cards as notices."""

    async def notices(self) -> list[dict[str, Any]]:
        """The kept notices, newest first."""
        return [json.loads(raw) for raw in reversed(await self.redis.lrange(KEYS("notices"), 0, -1))]

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
        for raw_ts in reversed(await self.redis.lrange(KEYS("tickets"), -limit, -1)):
            ts = text(raw_ts)
            raw = await self.redis.get(KEYS("ticket", ts))
            if raw is None:
                continue
            ticket = json.loads(raw)
            thread = await self.redis.lrange(KEYS("thread", ts), 0, -1)
            ticket["thread"] = [text(t) for t in thread]
            tickets.append(ticket)
        return tickets
