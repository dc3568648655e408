"""The service digest: a period's figures, computed from the journal's events (pure functions).

Every figure counts the events with ``start <= at < end`` and nothing else; in particular:

- a *conversation* is a conversation id with at least one ``message`` event in the period. One that started before
  the period and goes on in it counts; one with only a handoff, claim or rating in the period does not;
- its *channel* is the channel of its first message in the period, its *language* the language of its last message
  in the period that has one (``unknown`` when none has);
- *resolved without a human*: conversations (as above) with no ``handoff`` event in the period;
- *handoffs* are ``handoff`` events (a conversation handed over twice counts twice), *claims* are ``claim`` events
  and *ratings* are ``rating`` events of the period, whenever the ticket or the conversation began;
- days are local days in the digest's time zone, so a week across a DST change has a 23- or 25-hour day;
- public comments under the brand's posts are ``comment`` events, never messages: they count only in their own
  part (bot/insights/digest/comments.py).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.insights.digest.comments import PublicComments, summarize_comments
from bot.insights.digest.counting import TOP, UNKNOWN, most_first, share, top_intents
from bot.insights.journal import CLAIM, HANDOFF, MESSAGE, RATING, Event
from bot.learn.evaluate import Example
from bot.learn.signals import Unhandled
from bot.nlp.sentiment.scoring import NEGATIVE_TO


@dataclass(frozen=True)
class Topic:
    """A group of unhandled messages about one subject, as ``bot learn mine`` would propose it."""

    name: str
    keywords: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class Day:
    """One local day's messages and their sentiment.

    Attributes:
        date: The local date.
        messages: Customer messages that day.
        scored: Those with a sentiment score (the average and the share count only these).
        average_sentiment: Mean score, None without scored messages.
        negative_share: Share of scored messages at or below ``NEGATIVE_TO``, None without scored messages.

    """

    date: date
    messages: int
    scored: int
    average_sentiment: float | None
    negative_share: float | None


@dataclass(frozen=True)
class Digest:
    """A period's figures (see the module docstring for what each one counts).

    Attributes:
        start: Start of the period (Unix time, included).
        end: End of the period (Unix time, excluded).
        zone: The time zone of the days.
        conversations: Conversations with a customer message in the period.
        by_channel: Conversations per channel, most first.
        by_language: Conversations per language, most first.
        messages: Customer messages.
        unhandled: Customer messages the bot did not understand.
        resolved_without_human: Conversations with no handoff in the period.
        resolved_share: ``resolved_without_human / conversations``, None without conversations.
        handoffs: Handoff events.
        handoff_reasons: Handoffs per reason, most first.
        claims: Claim events.
        claim_median: Median seconds from ticket to claim, None without claims.
        claim_p90: 90th percentile of the same (nearest rank: the smallest value at least 90 % of claims do not
            exceed), None without claims.
        ratings: Satisfaction answers.
        rating_average: Their mean (1-5), None without ratings.
        top_intents: The most frequent recognised intents of customer messages (``nlu_fallback`` and messages
            without an intent left out), with their message counts, most first, ties by name.
        topics: The largest groups of unhandled messages, as ``bot learn mine`` clusters them, largest first.
        days: Every local day of the period, in order.
        negative_share_first_half: Negative share of the scored messages in the period's first half (by time).
        negative_share_second_half: The same in the second half.
        negative_share_change: Second minus first, None when a half has no scored messages.
        comments: The public comments under the brand's posts, apart; None when none was read in the period.

    """

    start: float
    end: float
    zone: str
    conversations: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    messages: int
    unhandled: int
    resolved_without_human: int
    resolved_share: float | None
    handoffs: int
    handoff_reasons: dict[str, int]
    claims: int
    claim_median: float | None
    claim_p90: float | None
    ratings: int
    rating_average: float | None
    top_intents: list[tuple[str, int]]
    topics: list[Topic]
    days: list[Day]
    negative_share_first_half: float | None
    negative_share_second_half: float | None
    negative_share_change: float | None
    comments: PublicComments | None

    @property
    def first_day(self) -> date:
        """The period's first local date."""
        return local_date(self.start, self.zone)

    @property
    def last_day(self) -> date:
        """The period's last local date (the end is excluded)."""
        return local_date(self.end - 1e-3, self.zone)


def local_date(at: float, zone: str) -> date:
    """The local date of a Unix time."""
    return datetime.fromtimestamp(at, ZoneInfo(zone)).date()


def nearest_rank(values: list[float], fraction: float) -> float | None:
    """The smallest value that at least ``fraction`` of the values do not exceed; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def negative_share(messages: list[Event]) -> float | None:
    """Share of the scored messages at or below ``NEGATIVE_TO``; None without scored messages."""
    scores = [m.sentiment for m in messages if m.sentiment is not None]
    return share(sum(s <= NEGATIVE_TO for s in scores), len(scores))


def daily_sentiment(messages: list[Event], first: date, last: date, zone: str) -> list[Day]:
    """One ``Day`` per local date from ``first`` to ``last``, days without messages included."""
    by_day: dict[date, list[Event]] = {}
    for message in messages:
        by_day.setdefault(local_date(message.at, zone), []).append(message)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        found = by_day.get(day, [])
        scores = [m.sentiment for m in found if m.sentiment is not None]
        average = statistics.fmean(scores) if scores else None
        days.append(Day(day, len(found), len(scores), average, negative_share(found)))
    return days


def unhandled_topics(messages: list[Event], training: list[Example]) -> list[Topic]:
    """Cluster the unhandled messages that kept their (redacted) text with ``bot learn mine``'s engine."""
    from bot.learn.topics import propose  # scikit-learn: loaded only when there is something to cluster

    unhandled = [
        Unhandled(m.conversation_id, m.text, m.language or "", "fallback", m.intent or "", 0.0)
        for m in messages
        if m.unhandled and m.text
    ]
    if not unhandled:
        return []
    candidates = propose(unhandled, training).candidates
    return [Topic(c.name, tuple(c.keywords), c.size) for c in candidates[:TOP]]


def summarize(events: list[Event], start: float, end: float, zone: str, training: list[Example] | None) -> Digest:
    """The digest of the events with ``start <= at < end``, in any order.

    ``training`` is the project's NLU examples, which unhandled messages are told apart from; None leaves the
    topics out (no clustering), an empty list clusters without them.
    """
    inside = sorted((e for e in events if start <= e.at < end), key=lambda e: e.at)
    messages = [e for e in inside if e.kind == MESSAGE]
    handoffs = [e for e in inside if e.kind == HANDOFF]
    claims = [float(e.seconds) for e in inside if e.kind == CLAIM and e.seconds is not None]
    ratings = [e.rating for e in inside if e.kind == RATING and e.rating is not None]
    channel: dict[str, str] = {}
    language: dict[str, str] = {}
    for message in messages:
        channel.setdefault(message.conversation_id, message.channel)
        if message.language:
            language[message.conversation_id] = message.language
    handed_over = {e.conversation_id for e in handoffs}
    resolved = sum(c not in handed_over for c in channel)
    middle = start + (end - start) / 2
    first_half = negative_share([m for m in messages if m.at < middle])
    second_half = negative_share([m for m in messages if m.at >= middle])
    return Digest(
        start=start,
        end=end,
        zone=zone,
        conversations=len(channel),
        by_channel=dict(most_first(Counter(channel.values()))),
        by_language=dict(most_first(Counter(language.get(c, UNKNOWN) for c in channel))),
        messages=len(messages),
        unhandled=sum(m.unhandled for m in messages),
        resolved_without_human=resolved,
        resolved_share=share(resolved, len(channel)),
        handoffs=len(handoffs),
        handoff_reasons=dict(most_first(Counter(e.reason or UNKNOWN for e in handoffs))),
        claims=len(claims),
        claim_median=statistics.median(claims) if claims else None,
        claim_p90=nearest_rank(claims, 0.9),
        ratings=len(ratings),
        rating_average=statistics.fmean(ratings) if ratings else None,
        top_intents=top_intents(messages),
        topics=[] if training is None else unhandled_topics(messages, training),
        days=daily_sentiment(messages, local_date(start, zone), local_date(end - 1e-3, zone), zone),
        negative_share_first_half=first_half,
        negative_share_second_half=second_half,
        negative_share_change=None if first_half is None or second_half is None else second_half - first_half,
        comments=summarize_comments(inside),
    )
