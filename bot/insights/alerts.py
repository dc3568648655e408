"""E-reputation alerts: when the share of negative messages or complaints rises over a sliding window, say so once.

Private messages and public comments under the brand's posts are watched apart, with the same rule: an *episode*
starts when, over the last ``window`` seconds, at least ``min_messages`` of them were read and the share of negative
ones (sentiment at or under the cut-off, or a complaint; for comments also one the desk sent to the team) reaches
``share``. One alert is posted per episode and per kind, whichever gateway replica sees it first (a Redis key per
kind marks the episode: a burst of angry comments never silences one of angry messages); the episode ends, with a
short all-clear, when the share falls under half the threshold. The alert carries the count, the trend against the
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
from bot.insights.journal import COMMENT, MESSAGE, Event, Journal
from bot.keyspace import Namespace
from bot.nlp.sentiment.scoring import NEGATIVE_TO

log = logging.getLogger(__name__)
NEGATIVE_CUTOFF = NEGATIVE_TO  # a message at or under this sentiment reads negative (its label)
# One episode key per watched kind; the messages' is the one they had alone, so an episode open at an upgrade goes on.
EPISODE_KEY = Namespace("alert")("episode")
COMMENTS_EPISODE_KEY = Namespace("alert")("episode", "comments")


@dataclass(frozen=True)
class AlertRule:
    """When to alert.

    Attributes:
        share: Share of negative messages or complaints that starts an episode (0-1).
        window: The sliding window, in seconds.
        min_messages: Fewer messages (or, apart, comments) than this in the window never alert (a quiet night is no
            trend).
        examples: How many redacted examples the alert shows.

    """

    share: float = 0.3
    window: float = 3600.0
    min_messages: int = 10
    examples: int = 3


@dataclass(frozen=True)
class Reading:
    """The window's figures, of one watched kind (``messages`` counts the comments when comments are watched)."""

    messages: int
    negatives: int
    previous_messages: int
    previous_negatives: int
    examples: tuple[str, ...]

    @property
    def share(self) -> float:
        """Share of negative ones in the window."""
        return self.negatives / self.messages if self.messages else 0.0

    @property
    def previous_share(self) -> float:
        """The same share over the window before."""
        return self.previous_negatives / self.previous_messages if self.previous_messages else 0.0


def is_negative(event: Event) -> bool:
    """A complaint, or a message whose sentiment is at or under the cut-off."""
    return event.intent == "complaint" or (event.sentiment is not None and event.sentiment <= NEGATIVE_CUTOFF)


def is_negative_comment(event: Event) -> bool:
    """Negative as a message is, or sent to the team as a ticket (how the comment desk itself reads negative)."""
    return is_negative(event) or event.reason == "ticket"


def _is_message(event: Event) -> bool:
    return event.kind == MESSAGE


def _is_read_comment(event: Event) -> bool:
    """A public comment the desk read: a mention or a comment without text (no score) has no tone to count."""
    return event.kind == COMMENT and event.sentiment is not None


@dataclass(frozen=True)
class Watched:
    """One kind of customer words the alert watches apart from the other.

    Attributes:
        name: ``messages`` or ``comments``.
        noun: How the alert names them.
        negatives: How it names their negative ones.
        episode_key: The Redis key that marks an episode of this kind.
        counts: Whether a journal event is one of them.
        negative: Whether one of them reads negative.

    """

    name: str
    noun: str
    negatives: str
    episode_key: str
    counts: Callable[[Event], bool]
    negative: Callable[[Event], bool]


MESSAGES = Watched(
    "messages", "private customer messages", "negative or complaints", EPISODE_KEY, _is_message, is_negative
)
COMMENTS = Watched(
    "comments",
    "public comments under your posts",
    "negative, complaints or sent to the team",
    COMMENTS_EPISODE_KEY,
    _is_read_comment,
    is_negative_comment,
)


def read_window(events: list[Event], now: float, rule: AlertRule, watched: Watched) -> Reading:
    """Figures of the ``watched`` kind over the window ending at ``now`` and the one before it."""
    current = [e for e in events if watched.counts(e) and now - rule.window <= e.at < now]
    previous = [e for e in events if watched.counts(e) and now - 2 * rule.window <= e.at < now - rule.window]
    negatives = [e for e in current if watched.negative(e)]
    worst = sorted((e for e in negatives if e.text), key=lambda e: (e.sentiment or 0.0, -e.at))
    examples = list(dict.fromkeys(e.text or "" for e in worst))  # the most negative first, each text once
    return Reading(
        messages=len(current),
        negatives=len(negatives),
        previous_messages=len(previous),
        previous_negatives=sum(watched.negative(e) for e in previous),
        examples=tuple(examples[: rule.examples]),
    )


def alert_message(reading: Reading, rule: AlertRule, watched: Watched) -> tuple[str, list[dict[str, Any]]]:
    """The alert as a plain-text fallback and Block Kit blocks (customer text escaped)."""
    minutes = round(rule.window / 60)
    headline = (
        f"⚠️ E-reputation alert: {reading.negatives} of the last {reading.messages} {watched.noun} "
        f"({reading.share:.0%}) are {watched.negatives}, in the last {minutes} min"
    )
    before = (
        f"{reading.previous_share:.0%} in the {minutes} min before ({reading.previous_negatives} of "
        f"{reading.previous_messages})"
        if reading.previous_messages
        else f"none in the {minutes} min before"
    )
    trend = f"Trend: {before} → {reading.share:.0%} now."
    examples = "\n".join(f"> {escape(text)[:280]}" for text in reading.examples) or "_(no text kept)_"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": trend}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Examples (redacted):\n{examples}"}},
    ]
    return f"{headline}. {trend}", blocks


def all_clear_message(reading: Reading, watched: Watched) -> str:
    """The message that ends an episode."""
    return (
        f"✅ E-reputation back to normal: {reading.negatives} of {reading.messages} recent {watched.noun} are "
        f"{watched.negatives}."
    )


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

    async def check(self) -> list[tuple[str, str]]:
        """Look at the windows now; what was posted, as ``(kind, "alert" or "all_clear")``, messages first.

        Each kind is checked even when posting the other's failed (logged; tried again at the next check).
        """
        now = self.clock()
        events = await self.journal.between(now - 2 * self.rule.window, now)
        posted = []
        for watched in (MESSAGES, COMMENTS):
            try:
                outcome = await self._check(watched, read_window(events, now, self.rule, watched), now)
            except DeliveryError as error:
                log.warning("e-reputation %s alert could not be posted: %s", watched.name, error)
                continue
            if outcome is not None:
                posted.append((watched.name, outcome))
        return posted

    async def _check(self, watched: Watched, reading: Reading, now: float) -> str | None:
        """Alert once per episode of ``watched``, or give the all-clear; what was posted."""
        if reading.messages >= self.rule.min_messages and reading.share >= self.rule.share:
            if not await self.redis.set(watched.episode_key, str(now), nx=True):
                return None  # this episode was announced already (maybe by another gateway)
            text, blocks = alert_message(reading, self.rule, watched)
            try:
                await self.board.post_notice(text, blocks)
            except DeliveryError:
                await self.redis.delete(watched.episode_key)  # try again at the next check
                raise
            log.warning("e-reputation alert: %d of %d %s negative", reading.negatives, reading.messages, watched.noun)
            return "alert"
        if reading.share < self.rule.share / 2 and await self.redis.delete(watched.episode_key):
            await self.board.post_notice(all_clear_message(reading, watched))
            return "all_clear"
        return None
