"""E-reputation alerts: when the share of negative messages or complaints rises over a sliding window, say so once.

An *episode* starts when, over the last ``window`` seconds, at least ``min_messages`` customer messages were read
and the share of negative ones (sentiment at or under the cut-off, or a complaint) reaches ``share``. One alert is
posted per episode, whichever gateway replica sees it first (a Redis key marks the episode); the episode ends, with
a short all-clear, when the share falls under half the threshold. The alert carries the count, the trend against the
window before, and a few redacted examples.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.channels.base import DeliveryError
from bot.conversation import escape
from bot.insights.journal import MESSAGE, Event, Journal
from bot.keyspace import Namespace
from bot.nlp.sentiment.scoring import NEGATIVE_TO

log = logging.getLogger(__name__)
NEGATIVE_CUTOFF = NEGATIVE_TO  # a message at or under this sentiment reads negative (its label)
EPISODE_KEY = Namespace("alert")("episode")


@dataclass(frozen=True)
class AlertRule:
    """When to alert.

    Attributes:
        share: Share of negative messages or complaints that starts an episode (0-1).
        window: The sliding window, in seconds.
        min_messages: Fewer messages than this in the window never alert (a quiet night is no trend).
        examples: How many redacted examples the alert shows.

    """

    share: float = 0.3
    window: float = 3600.0
    min_messages: int = 10
    examples: int = 3


@dataclass(frozen=True)
class Reading:
    """The window's figures."""

    messages: int
    negatives: int
    previous_messages: int
    previous_negatives: int
    examples: tuple[str, ...]

    @property
    def share(self) -> float:
        """Share of negative messages in the window."""
        return self.negatives / self.messages if self.messages else 0.0

    @property
    def previous_share(self) -> float:
        """The same share over the window before."""
        return self.previous_negatives / self.previous_messages if self.previous_messages else 0.0


def is_negative(event: Event) -> bool:
    """A complaint, or a message whose sentiment is at or under the cut-off."""
    return event.intent == "complaint" or (event.sentiment is not None and event.sentiment <= NEGATIVE_CUTOFF)


def read_window(events: list[Event], now: float, rule: AlertRule) -> Reading:
    """Figures of the window ending at ``now`` and of the one before it."""
    current = [e for e in events if e.kind == MESSAGE and now - rule.window <= e.at < now]
    previous = [e for e in events if e.kind == MESSAGE and now - 2 * rule.window <= e.at < now - rule.window]
    negatives = [e for e in current if is_negative(e)]
    worst = sorted((e for e in negatives if e.text), key=lambda e: (e.sentiment or 0.0, -e.at))
    examples = list(dict.fromkeys(e.text or "" for e in worst))  # the most negative first, each text once
    return Reading(
        messages=len(current),
        negatives=len(negatives),
        previous_messages=len(previous),
        previous_negatives=sum(is_negative(e) for e in previous),
        examples=tuple(examples[: rule.examples]),
    )


def alert_message(reading: Reading, rule: AlertRule) -> tuple[str, list[dict[str, Any]]]:
    """The alert as a plain-text fallback and Block Kit blocks (customer text escaped)."""
    minutes = round(rule.window / 60)
    headline = (
        f"⚠️ E-reputation alert: {reading.negatives} of the last {reading.messages} customer messages "
        f"({reading.share:.0%}) are negative or complaints, in the last {minutes} min"
    )
    before = (
        f"{reading.previous_share:.0%} in the {minutes} min before ({reading.previous_negatives} of "
        f"{reading.previous_messages})"
        if reading.previous_messages
        else f"no messages in the {minutes} min before"
    )
    trend = f"Trend: {before} → {reading.share:.0%} now."
    examples = "\n".join(f"> {escape(text)[:280]}" for text in reading.examples) or "_(no text kept)_"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": trend}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Examples (redacted):\n{examples}"}},
    ]
    return f"{headline}. {trend}", blocks


def all_clear_message(reading: Reading) -> str:
    """The message that ends an episode."""
    return f"✅ E-reputation back to normal: {reading.negatives} of {reading.messages} recent messages are negative."


class Noticeboard(Protocol):
    """Where alerts go (the Slack support channel, or the local console)."""

    async def post_notice(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Post a message in the channel."""


class ReputationWatch:
    """Checks the journal and alerts once per episode."""

    def __init__(
        self,
        journal: Journal,
        redis: Redis,
        board: Noticeboard,
        rule: AlertRule | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Read ``journal``, mark episodes in ``redis``, post on ``board``."""
        self.journal = journal
        self.redis = redis
        self.board = board
        self.rule = rule or AlertRule()
        self.clock = clock

    async def check(self) -> str | None:
        """Look at the window now; returns ``"alert"`` or ``"all_clear"`` when one was posted."""
        now = self.clock()
        reading = read_window(await self.journal.between(now - 2 * self.rule.window, now), now, self.rule)
        if reading.messages >= self.rule.min_messages and reading.share >= self.rule.share:
            if not await self.redis.set(EPISODE_KEY, str(now), nx=True):
                return None  # this episode was announced already (maybe by another gateway)
            text, blocks = alert_message(reading, self.rule)
            try:
                await self.board.post_notice(text, blocks)
            except DeliveryError:
                await self.redis.delete(EPISODE_KEY)  # try again at the next check
                raise
            log.warning("e-reputation alert: %d of %d messages negative", reading.negatives, reading.messages)
            return "alert"
        if reading.share < self.rule.share / 2 and await self.redis.delete(EPISODE_KEY):
            await self.board.post_notice(all_clear_message(reading))
            return "all_clear"
        return None
