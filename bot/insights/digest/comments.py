"""The digest's public comments part: comments under the brand's posts, counted apart from private messages (pure).

A comment is a ``comment`` event (one per comment the desk read, its decision in ``reason``); its answers are
``comment_answer`` events (``public``, ``private`` or ``hidden``), linked to it by ``comment_key``. Of the events
with ``start <= at < end``:

- the comments, their sentiment, decisions and topics are those *read* in the period;
- *negative*: a scored comment at or under the sentiment cut-off, a complaint, or one sent to the team as a ticket
  (``is_negative_comment``, as the alert counts them); the average and the share are of the comments with a score
  (a mention or a comment without text, a photo or a sticker, has none);
- *to answer*: the period's comments the desk decided to reply to, in public or in private, or sent to the team as a
  ticket (those left alone or hidden call for no answer); *answered*: those of them answered in public or in private
  in the period (one answered after the period's end counts as unanswered in it); the *time to answer* is the median,
  over the answered ones, of the time from the comment being written to its first answer;
- *hidden*: the comments hidden in the period (as spam by the desk, or by a manager), whenever they were written, as
  handoffs and claims count when they happen.

A period without a comment read has no comments part (a brand without the comment desk sees no block of zeros).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from bot.insights.alerts import is_negative_comment
from bot.insights.digest.counting import UNKNOWN, most_first, share, top_intents
from bot.insights.journal import COMMENT, COMMENT_ANSWER, Event

TO_ANSWER = ("public_reply", "private_reply", "ticket")
REPLIES = ("public", "private")


@dataclass(frozen=True)
class PublicComments:
    """The period's public comments (see the module docstring for what each figure counts).

    Attributes:
        comments: Comments read.
        by_channel: Comments per channel (``facebook_comments``, ``instagram_comments``), most first.
        scored: Those with a sentiment score.
        average_sentiment: Their mean score, None without scored comments.
        negative: The negative ones among them.
        negative_share: ``negative / scored``, None without scored comments.
        decisions: Comments per decision of the desk (``public_reply``, ``private_reply``, ``ticket``, ``hide``,
            ``leave``), most first.
        to_answer: Comments whose decision called for an answer.
        answered: Those answered in public or in private in the period.
        answered_share: ``answered / to_answer``, None when none called for an answer.
        answer_median: Median seconds from writing to the first answer of the answered ones, None without them.
        hidden: Comments hidden in the period.
        top_intents: The most frequent intents of the comments (unsure ones have none), most first, ties by name.

    """

    comments: int
    by_channel: dict[str, int]
    scored: int
    average_sentiment: float | None
    negative: int
    negative_share: float | None
    decisions: dict[str, int]
    to_answer: int
    answered: int
    answered_share: float | None
    answer_median: float | None
    hidden: int
    top_intents: list[tuple[str, int]]


def summarize_comments(inside: list[Event]) -> PublicComments | None:
    """The part, from the period's events (``inside``, oldest first); None when no comment was read in the period."""
    comments = [e for e in inside if e.kind == COMMENT]
    if not comments:
        return None
    answers = [e for e in inside if e.kind == COMMENT_ANSWER]
    first_reply: dict[str, float | None] = {}  # comment key -> seconds to its first reply (None: not known)
    for answer in answers:
        if answer.reason in REPLIES and answer.comment_key is not None:
            first_reply.setdefault(answer.comment_key, answer.seconds)
    scores = [c.sentiment for c in comments if c.sentiment is not None]
    negative = sum(is_negative_comment(c) for c in comments if c.sentiment is not None)
    to_answer = [c for c in comments if c.reason in TO_ANSWER]
    answered = [first_reply[key] for c in to_answer if (key := c.comment_key) is not None and key in first_reply]
    times = [seconds for seconds in answered if seconds is not None]
    return PublicComments(
        comments=len(comments),
        by_channel=dict(most_first(Counter(c.channel for c in comments))),
        scored=len(scores),
        average_sentiment=statistics.fmean(scores) if scores else None,
        negative=negative,
        negative_share=share(negative, len(scores)),
        decisions=dict(most_first(Counter(c.reason or UNKNOWN for c in comments))),
        to_answer=len(to_answer),
        answered=len(answered),
        answered_share=share(len(answered), len(to_answer)),
        answer_median=statistics.median(times) if times else None,
        hidden=sum(a.reason == "hidden" for a in answers),
        top_intents=top_intents(comments),
    )
