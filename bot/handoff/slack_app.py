"""The Slack app (slack-bolt): ticket buttons and thread replies from community managers.

Bolt checks each request's signature (``SLACK_SIGNING_SECRET``, 5-minute window) before anything is parsed.
Slack retries an event it thinks was not acknowledged; the same ``event_id`` is handled once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation import escape
from bot.handoff.desk import Desk
from bot.handoff.tickets import CLOSE, HAND_BACK, TAKE_OVER
from bot.keyspace import Namespace

log = logging.getLogger(__name__)
EVENT_TTL = 3600
COMMAND = "/passerelle"
USAGE = (
    f"`{COMMAND} list`: open tickets · `{COMMAND} handback <conversation>`: give it back to the bot · "
    f"`{COMMAND} close <conversation>`: the same, closing the ticket"
)


async def run_command(desk: Desk, text: str, user: str) -> str:
    """The answer (seen only by the manager who typed it) to ``/passerelle list|handback|close``."""
    words = text.split()
    verb = words[0].lower() if words else "list"
    if verb == "list":
        tickets = await desk.open_tickets()
        if not tickets:
            return "No open ticket."
        return "\n".join(
            f"• `{t.conversation_id}` {escape(t.customer)} ({t.channel}, {t.language}): "
            + (f"with <@{t.owner}>" if t.owner else "waiting")
            for t in tickets
        )
    if verb in ("handback", "close") and len(words) == 2:
        found = await desk.ticket(words[1])
        if found is None or found[0].status == "closed":
            return f"No open ticket for `{escape(words[1])}`."
        await desk.hand_back(words[1], user)
        return f"`{escape(words[1])}` is back with the bot."
    return USAGE


def build_slack_app(desk: Desk, client: AsyncWebClient, signing_secret: str, redis: Redis) -> AsyncApp:
    """The bolt app wired to the desk."""
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True)

    @app.middleware
    async def once_per_event(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = body.get("event_id")
        if event_id and not await redis.set(Namespace("slack")("event", event_id), "1", nx=True, ex=EVENT_TTL):
            log.info("ignored a retry of Slack event %s", event_id)
            return BoltResponse(status=200, body="")  # acknowledged, so that Slack stops retrying
        await next()
        return None

    @app.action(TAKE_OVER)
    async def take_over(ack: Callable[[], Awaitable[None]], body: dict[str, Any]) -> None:
        await ack()
        await desk.take_over(body["actions"][0]["value"], body["user"]["id"])

    async def hand_back(ack: Callable[[], Awaitable[None]], body: dict[str, Any]) -> None:
        await ack()
        await desk.hand_back(body["actions"][0]["value"], body["user"]["id"])

    app.action(HAND_BACK)(hand_back)
    app.action(CLOSE)(hand_back)

    @app.command(COMMAND)
    async def command(ack: Callable[..., Awaitable[None]], command: dict[str, Any]) -> None:
        await ack(text=await run_command(desk, command.get("text") or "", command["user_id"]))

    @app.event("message")
    async def thread_reply(event: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        if subtype in ("message_changed", "message_deleted"):
            await changed_in_thread(event)
            return
        # Bot posts (ours included), joins, files and other subtypes are not relayed.
        if event.get("bot_id") or subtype or not event.get("thread_ts") or not event.get("user"):
            return
        await desk.relay(event["thread_ts"], event["user"], event.get("text") or "")

    async def changed_in_thread(event: dict[str, Any]) -> None:
        """A manager edited or deleted a reply the customer already has: say so in the thread."""
        before = event.get("previous_message") or {}
        after = event.get("message") if event.get("subtype") == "message_changed" else None
        thread_ts = before.get("thread_ts") or (after or {}).get("thread_ts")
        if not thread_ts or thread_ts == before.get("ts") or before.get("bot_id") or not before.get("user"):
            return  # not a person's reply in a thread (the ticket itself, or a bot's post)
        await desk.thread_changed(
            thread_ts, before.get("text") or "", None if after is None else after.get("text") or ""
        )

    return app
