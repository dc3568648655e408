"""The support desk: tickets, the conversation <-> thread link, and relaying both ways.

One file, over 300 lines, because every operation (open, claim, relay, hand back, rate, re-announce) reads
and writes the same handoff state in Redis; split, the state's invariants would live in several places.

Handoff state lives in Redis (``gw:handoff:conv:<conversation>`` and ``gw:handoff:ts:<ticket ts>``), so any
gateway process, after any restart, knows which thread belongs to which customer and who owns it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime, timezone
from typing import Any, Protocol

from redis.asyncio import Redis

from bot import notices
from bot.channels.base import DeliveryError, Sender
from bot.conversation import CHANNEL_NAMES, Button, Handoff, Inbound, Outbound, escape
from bot.handoff.hours import Schedule, closed_notice
from bot.handoff.tickets import Ticket, TicketBoard, mirrored_customer_message
from bot.insights.journal import CLAIM, HANDOFF, MESSAGE, RATING, Event, Journal, record_best_effort
from bot.keyspace import Namespace, text

log = logging.getLogger(__name__)
KEYS = Namespace("handoff")
NOTE_PREFIXES = ("!", "note:", "[note]")
RATING_PAYLOAD = re.compile(r"^csat:([1-5])$")
# Meta lets a person answer with the HUMAN_AGENT tag up to 7 days after the customer's last message, not later.
META_WINDOW = 7 * 24 * 3600.0
WINDOWED_CHANNELS = ("messenger", "instagram")  # Instagram Direct follows Messenger's rules (HUMAN_AGENT tag)
EDITED = "✏️ Edits are not sent: the customer already has the first version. To correct it, send a new reply."
DELETED = "🗑️ Deleted in Slack only: the customer still has this message."


class DeskCounters(Protocol):
    """What the desk counts (the gateway's metrics): time to claim, and the advisors' replies delivered."""

    def claimed(self, seconds: float) -> None:
        """A ticket was taken over ``seconds`` after it was posted."""

    def delivered(self, channel: str, source: str) -> None:
        """A message reached a customer on ``channel`` (``source``: who wrote it)."""


class _NoCounters:
    """Counts nothing: a desk built without the gateway's metrics."""

    def claimed(self, seconds: float) -> None:
        """Nothing to count."""

    def delivered(self, channel: str, source: str) -> None:
        """Nothing to count."""


class RasaEvents(Protocol):
    """The part of Rasa's HTTP API the desk uses."""

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to a conversation."""


class Desk:
    """Opens tickets, mirrors customer messages into their thread, and relays the managers' replies.

    Where tickets are shown is the ``board``'s business: Slack, or the local console standing in for it.
    """

    def __init__(
        self,
        redis: Redis,
        board: TicketBoard,
        rasa: RasaEvents,
        senders: dict[str, Sender],
        reannounce_after: float = 300.0,
        mention: str = "<!here>",
        expected_wait_minutes: int = 15,
        hours: Schedule | None = None,
        zone: str = "Europe/Paris",
        window_warning: float = 24 * 3600.0,
        clock: Callable[[], float] = time.time,
        metrics: DeskCounters | None = None,
        journal: Journal | None = None,
    ) -> None:
        """Show tickets on ``board``; deliver replies through ``senders``; log them in Rasa.

        A ticket nobody took after ``reannounce_after`` seconds is announced again with ``mention`` (``<!here>``
        or a user group such as ``<!subteam^S123>``), and the customer is told the expected wait. Outside
        ``hours`` (in time zone ``zone``) the customer is told when someone will be back. On Messenger, the thread
        is warned ``window_warning`` seconds before the 7-day window for a person's replies closes. Handoffs, claims
        and ratings are written to ``journal`` for the service digest.
        """
        self.window_warning = window_warning
        self.clock = clock
        self.metrics = metrics or _NoCounters()
        self.journal = journal
        self.hours = hours or {}
        self.zone = zone
        self.reannounce_after = reannounce_after
        self.mention = mention
        self.expected_wait_minutes = expected_wait_minutes
        self.redis = redis
        self.board = board
        self.rasa = rasa
        self.senders = senders

    async def ticket(self, conversation_id: str) -> tuple[Ticket, str] | None:
        """The conversation's open ticket and its Slack ts, if any."""
        raw = await self.redis.get(KEYS("conv", conversation_id))
        if raw is None:
            return None
        data = json.loads(raw)
        ts = data.pop("ticket_ts")
        data["order_ids"] = tuple(data["order_ids"])
        data["transcript"] = tuple(data["transcript"])
        return Ticket(**data), ts

    async def open_tickets(self) -> list[Ticket]:
        """Every ticket not closed yet, oldest first."""
        tickets = []
        async for key in self.redis.scan_iter(match=KEYS("conv", "*"), count=500):
            name = text(key)
            found = await self.ticket(name.removeprefix(KEYS("conv", "")))
            if found is not None and found[0].status != "closed":
                tickets.append(found)
        return [ticket for ticket, ts in sorted(tickets, key=lambda pair: float(pair[1]))]

    async def conversation_of_thread(self, ts: str) -> str | None:
        """Which conversation a ticket thread belongs to."""
        raw = await self.redis.get(KEYS("ts", ts))
        return None if raw is None else text(raw)

    async def _save(self, ticket: Ticket, ts: str) -> None:
        record = json.dumps({**asdict(ticket), "ticket_ts": ts})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(KEYS("conv", ticket.conversation_id), record)
            pipe.set(KEYS("ts", ts), ticket.conversation_id)
            await pipe.execute()

    async def open_ticket(self, message: Inbound, handoff: Handoff) -> None:
        """Post the ticket for a conversation the bot just handed over (once, even if called again)."""
        existing = await self.ticket(message.conversation_id)
        if existing is not None and existing[0].status != "closed":
            return
        ticket = Ticket(
            conversation_id=message.conversation_id,
            channel=message.channel,
            customer=message.display_name or message.conversation_id,
            language=handoff.language,
            reason=handoff.reason,
            summary=handoff.summary,
            order_ids=handoff.order_ids,
            transcript=handoff.transcript,
            opened_at=self.clock(),
        )
        ts = await self.board.post_ticket(ticket)
        await self._save(ticket, ts)
        await self._customer_wrote(ticket)
        await self._journal(HANDOFF, ticket, reason=ticket.reason)
        notice = closed_notice(
            datetime.fromtimestamp(self.clock(), tz=timezone.utc), self.hours, self.zone, ticket.language
        )
        if notice is None:
            await self.redis.zadd(KEYS("waiting"), {ticket.conversation_id: self.clock()})
            return
        # Nobody is there: tell the customer when someone will be, and do not re-announce at night.
        try:
            await self.senders[ticket.channel].send(message.conversation_id, Outbound(text=notice))
        except DeliveryError as error:
            log.warning("could not tell %s when advisors are back: %s", message.conversation_id, error)
        await self.board.post_in_thread(ts, f"Outside business hours; the customer was told: {escape(notice)}")

    async def reannounce_due(self) -> int:
        """Announce again the tickets nobody took in time, and reassure their customers; returns how many."""
        due = await self.redis.zrangebyscore(KEYS("waiting"), 0, self.clock() - self.reannounce_after)
        announced = 0
        for raw in due:
            conversation_id = text(raw)
            if not await self.redis.zrem(KEYS("waiting"), conversation_id):
                continue  # another gateway process took this one
            found = await self.ticket(conversation_id)
            if found is None or found[0].status != "waiting":
                continue
            ticket, ts = found
            minutes = self.reannounce_after // 60
            await self.board.post_in_thread(
                ts,
                f"{self.mention} {escape(ticket.customer)} has been waiting for {minutes:.0f} min: who takes it?",
                broadcast=True,
            )
            notice = notices.pick(notices.STILL_WAITING, ticket.language).format(minutes=self.expected_wait_minutes)
            try:
                await self.senders[ticket.channel].send(conversation_id, Outbound(text=notice))
            except DeliveryError as error:
                log.warning("could not reassure %s: %s", conversation_id, error)
            announced += 1
        return announced

    async def run_timers(self, interval: float = 5.0) -> None:
        """Check for unclaimed tickets every ``interval`` seconds, forever."""
        while True:
            try:
                await self.reannounce_due()
                await self.warn_closing_windows()
            except Exception:  # a Slack or Redis hiccup must not stop the timer
                log.exception("re-announcing tickets or warning of closing windows failed")
            await asyncio.sleep(interval)

    async def _customer_wrote(self, ticket: Ticket) -> None:
        """Restart the clock of Meta's 7-day window for a person's replies (Messenger and Instagram)."""
        if ticket.channel in WINDOWED_CHANNELS:
            await self.redis.zadd(KEYS("window"), {ticket.conversation_id: self.clock()})

    async def warn_closing_windows(self) -> int:
        """Warn in the thread when Meta will soon refuse a person's replies; returns how many warnings."""
        now = self.clock()
        due = await self.redis.zrangebyscore(
            KEYS("window"), 0, now - (META_WINDOW - self.window_warning), withscores=True
        )
        warned = 0
        for raw, last in due:
            conversation_id = text(raw)
            if not await self.redis.zrem(KEYS("window"), conversation_id):
                continue  # another gateway process warned
            found = await self.ticket(conversation_id)
            if found is None or found[0].status == "closed":
                continue
            closes = datetime.fromtimestamp(last + META_WINDOW, tz=timezone.utc)
            left = max(0.0, (last + META_WINDOW - now) / 3600)
            await self.board.post_in_thread(
                found[1],
                f"⏳ {CHANNEL_NAMES.get(found[0].channel, found[0].channel)} closes this conversation in about "
                f"{left:.0f} h ({closes:%a %d %b %H:%M} UTC), 7 days "
                "after the customer's last message: after that, replies cannot reach them until they write again.",
            )
            warned += 1
        return warned

    async def _update(self, ticket: Ticket, ts: str) -> None:
        await self._save(ticket, ts)
        if ticket.status != "waiting":
            await self.redis.zrem(KEYS("waiting"), ticket.conversation_id)
        await self.board.update_ticket(ts, ticket)

    async def take_over(self, conversation_id: str, user: str) -> None:
        """Make ``user`` the ticket's owner."""
        found = await self.ticket(conversation_id)
        if found is None or found[0].status != "waiting":
            return
        await self._update(replace(found[0], owner=user, status="claimed"), found[1])
        await self._claimed(found[0])

    async def _claimed(self, ticket: Ticket) -> None:
        if ticket.opened_at:  # tickets opened before the field existed have no start time
            seconds = self.clock() - ticket.opened_at
            self.metrics.claimed(seconds)
            await self._journal(CLAIM, ticket, seconds=seconds)

    async def _journal(self, kind: str, ticket: Ticket, event_id: str | None = None, **fields: Any) -> None:
        """Record a handoff, claim, rating or message for the digest (best effort: never fails the desk's work)."""
        if self.journal is None:
            return
        event = Event(
            kind,
            self.clock(),
            ticket.conversation_id,
            ticket.channel,
            language=ticket.language,
            id=event_id or f"{kind}:{ticket.conversation_id}:{ticket.opened_at}",
            **fields,
        )
        await record_best_effort(self.journal, event)

    async def relay(self, thread_ts: str, user: str, text: str) -> None:
        """Send a manager's thread reply to the customer, unless it is an internal note."""
        conversation_id = await self.conversation_of_thread(thread_ts)
        if conversation_id is None or text.strip().lower().startswith(NOTE_PREFIXES):
            return
        found = await self.ticket(conversation_id)
        if found is None or found[0].status == "closed":
            return
        ticket, ts = found
        if ticket.status == "waiting":  # answering is taking over
            ticket = replace(ticket, owner=user, status="claimed")
            await self._update(ticket, ts)
            await self._claimed(ticket)
        try:
            await self.senders[ticket.channel].send(conversation_id, Outbound(text=text), from_agent=True)
        except DeliveryError as error:
            await self.board.post_in_thread(ts, f"⚠️ Not delivered to the customer: {error}")
            return
        self.metrics.delivered(ticket.channel, "agent")
        await self.rasa.append_events(
            conversation_id, [{"event": "bot", "text": text, "metadata": {"agent": user, "source": self.board.name}}]
        )

    async def thread_changed(self, thread_ts: str, before: str, after: str | None) -> None:
        """Say in the thread that a manager's edit (or deletion: ``after`` None) does not reach the customer."""
        conversation_id = await self.conversation_of_thread(thread_ts)
        if conversation_id is None or before.strip().lower().startswith(NOTE_PREFIXES) or before == after:
            return
        found = await self.ticket(conversation_id)
        if found is not None and found[0].status != "closed":
            await self.board.post_in_thread(found[1], DELETED if after is None else EDITED)

    async def hand_back(self, conversation_id: str, user: str) -> None:
        """Give the conversation back to the bot and tell the customer, in their language."""
        found = await self.ticket(conversation_id)
        if found is None or found[0].status == "closed":
            return
        ticket, ts = found
        # After the resume, the bot listens: the next message starts a normal turn (rules match again).
        await self.rasa.append_events(
            conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        )
        await self.redis.zrem(KEYS("window"), conversation_id)
        language = ticket.language
        survey = Outbound(
            text=notices.pick(notices.SURVEY, language), buttons=tuple(Button(str(n), f"csat:{n}") for n in range(1, 6))
        )
        try:
            await self.senders[ticket.channel].send(
                conversation_id, Outbound(text=notices.pick(notices.BACK_TO_BOT, language))
            )
            await self.senders[ticket.channel].send(conversation_id, survey)
        except DeliveryError as error:
            log.warning("could not tell %s the bot is back: %s", conversation_id, error)
        await self._update(replace(ticket, status="closed", owner=ticket.owner or user), ts)

    async def before_message(self, message: Inbound) -> bool:
        """Take what the bot must not answer; True if taken.

        A ``csat:N`` button press is the answer to the satisfaction question. While a person has the conversation
        (ticket waiting or claimed), every customer message is the person's: it goes into the ticket's thread and
        into Rasa's tracker as a plain event, without a turn. Rasa is not asked at all, so nothing it does (a new
        session after 120 idle minutes would unpause the conversation) can make the bot answer beside the person.
        """
        found = await self.ticket(message.conversation_id)
        match = RATING_PAYLOAD.match(message.text.strip())
        if match is not None:
            return found is not None and await self._rate(found, int(match.group(1)), message)
        if found is None or found[0].status == "closed":
            return False
        ticket, ts = found
        await self.board.post_in_thread(ts, mirrored_customer_message(message.text))
        await self._customer_wrote(ticket)
        user = {
            "event": "user",
            "text": message.text,
            "parse_data": {"intent": {}, "entities": []},  # no NLU: the bot does not take this turn
            "timestamp": self.clock(),
            "metadata": message.rasa_metadata(),
        }
        try:
            await self.rasa.append_events(message.conversation_id, [user])
        except Exception as error:  # the transcript in Rasa is a record; the person already has the message
            log.warning("could not log %s's message in Rasa: %s", message.conversation_id, error)
        await self._journal(MESSAGE, ticket, event_id=f"message:{message.dedupe_key}")
        return True

    async def _rate(self, found: tuple[Ticket, str], rating: int, message: Inbound) -> bool:
        """Keep the customer's 1-5 rating of a closed ticket and thank them; True (the press is handled)."""
        ticket, ts = found
        if ticket.status != "closed" or ticket.rating is not None:
            return True  # a stale or repeated press: nothing for the bot to answer either
        await self._update(replace(ticket, rating=rating), ts)
        await self._journal(RATING, ticket, rating=rating)
        thanks = notices.pick(notices.THANKS_FOR_RATING, ticket.language)
        await self.senders[ticket.channel].send(message.conversation_id, Outbound(text=thanks))
        return True
