"""The digest as Slack Block Kit and as a self-contained HTML page, from the same rows (pure functions).

The private messages' figures come first; the public comments under the brand's posts follow in a part of their own,
only when there were some. Every text is escaped: topic names and keywords come from customers' words, and nothing
else should reach Slack's mrkdwn or the page's HTML unescaped either.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from bot.conversation import CHANNEL_NAMES, REASONS, escape
from bot.insights.digest.comments import PublicComments
from bot.insights.digest.summary import Day, Digest
from bot.nlp.sentiment.scoring import NEGATIVE_TO
from bot.notices import format_date

Rows = list[tuple[str, str]]
SECTION_CHARS = 2900  # Slack refuses a section text over 3000 characters
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
    "text-align:left}.muted{color:#666}img{max-width:100%}"
)
COMMENTS_TITLE = "Public comments under your posts"
COMMENTS_NOTE = (
    f"Counted apart from the private messages above. Negative: sentiment score at or below {NEGATIVE_TO}, a "
    "complaint, or sent to the team. Answered: of the comments to reply to or sent to the team, those replied to in "
    "public or in private in the period. Hidden: in the period, as spam by the bot or by a manager."
)
DECISIONS = {
    "public_reply": "Replied in public",
    "private_reply": "Replied in private",
    "ticket": "Sent to the team",
    "hide": "Hidden as spam",
    "leave": "Left alone",
}


def percent(share: float | None) -> str:
    """``83 %``, or ``n/a``."""
    return "n/a" if share is None else f"{100 * share:.0f} %"


def duration(seconds: float | None) -> str:
    """``45 s``, ``2 min 05 s``, ``1 h 10 min``, or ``n/a``."""
    if seconds is None:
        return "n/a"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def count(number: int, noun: str) -> str:
    """``1 message``, ``2 messages``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def period(digest: Digest) -> str:
    """``23 November 2026 to 29 November 2026``, or one date."""
    first, last = format_date(digest.first_day, "en"), format_date(digest.last_day, "en")
    return first if first == last else f"{first} to {last}"


def headline(digest: Digest) -> Rows:
    """The main figures, as label and value."""
    d = digest
    claims = f"median {duration(d.claim_median)}, 90 % within {duration(d.claim_p90)} ({count(d.claims, 'claim')})"
    rating = "n/a" if d.rating_average is None else f"{d.rating_average:.1f} / 5"
    change = "n/a" if d.negative_share_change is None else f"{100 * d.negative_share_change:+.0f} points"
    halves = f"{percent(d.negative_share_first_half)} in the first half, {percent(d.negative_share_second_half)} in "
    return [
        ("Conversations", f"{d.conversations} ({count(d.messages, 'customer message')})"),
        ("Resolved without a human", f"{percent(d.resolved_share)} ({d.resolved_without_human} of {d.conversations})"),
        ("Handoffs", str(d.handoffs)),
        ("Time to claim", claims),
        ("Satisfaction", f"{rating} ({count(d.ratings, 'rating')})"),
        ("Not understood", count(d.unhandled, "message")),
        ("Negative messages", f"{halves}the second ({change})"),
    ]


def _day(day: Day) -> str:
    if day.average_sentiment is None:
        return f"{count(day.messages, 'message')}, no sentiment score"
    return (
        f"{count(day.messages, 'message')}, average {day.average_sentiment:+.2f}, "
        f"{percent(day.negative_share)} negative"
    )


def breakdowns(digest: Digest) -> list[tuple[str, Rows]]:
    """The detailed lists, each with a title."""
    d = digest
    return [
        ("Conversations by channel", [(CHANNEL_NAMES.get(c, c), str(n)) for c, n in d.by_channel.items()]),
        ("Conversations by language", [(lang, str(n)) for lang, n in d.by_language.items()]),
        ("Handoffs by reason", [(REASONS.get(r, r), str(n)) for r, n in d.handoff_reasons.items()]),
        ("Top intents", [(intent, count(n, "message")) for intent, n in d.top_intents]),
        ("Top unhandled topics", [(f"{t.name} ({', '.join(t.keywords)})", count(t.size, "message")) for t in d.topics]),
        ("Sentiment by day", [(f"{day.date:%a} {format_date(day.date, 'en')}", _day(day)) for day in d.days]),
    ]


def _platform(channel: str) -> str:
    """``Facebook`` for ``facebook_comments``: in the comments part, the channel's name without "comments"."""
    return CHANNEL_NAMES.get(channel, channel).removesuffix(" comments")


def comment_headline(comments: PublicComments) -> Rows:
    """The public comments' main figures, as label and value."""
    c = comments
    platforms = ", ".join(f"{_platform(channel)} {n}" for channel, n in c.by_channel.items())
    tone = (
        "no comment with text"
        if c.average_sentiment is None
        else f"average {c.average_sentiment:+.2f}, {percent(c.negative_share)} negative ({c.negative} of {c.scored})"
    )
    return [
        ("Public comments", f"{c.comments} ({platforms})"),
        ("Comment sentiment", tone),
        ("Comments answered", f"{percent(c.answered_share)} ({c.answered} of {c.to_answer} to answer)"),
        ("Time to answer a comment", f"median {duration(c.answer_median)}"),
        ("Comments hidden", str(c.hidden)),
    ]


def comment_breakdowns(comments: PublicComments) -> list[tuple[str, Rows]]:
    """The public comments' lists, each with a title."""
    return [
        ("What was done with the comments", [(DECISIONS.get(d, d), str(n)) for d, n in comments.decisions.items()]),
        ("Top comment topics", [(intent, count(n, "comment")) for intent, n in comments.top_intents]),
    ]


def digest_text(digest: Digest) -> str:
    """The notification text (shown where blocks are not)."""
    d = digest
    comments = "" if d.comments is None else f"; {count(d.comments.comments, 'public comment')}"
    return escape(
        f"Service digest, {period(d)}: {d.conversations} conversations, {percent(d.resolved_share)} resolved "
        f"without a human, {d.handoffs} handoffs{comments}"
    )


def _lines(title: str, rows: Rows) -> str:
    text = f"*{escape(title)}*"
    for label, value in rows or [("none", "")]:
        line = f"\n• {escape(label)}" + (f": {escape(value)}" if value else "")
        if len(text) + len(line) > SECTION_CHARS:
            return text + "\n…"
        text += line
    return text


def _fields(rows: Rows) -> dict[str, Any]:
    fields = [{"type": "mrkdwn", "text": f"*{escape(label)}*\n{escape(value)}"} for label, value in rows]
    return {"type": "section", "fields": fields}


def _sections(parts: list[tuple[str, Rows]]) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": _lines(t, r)}} for t, r in parts]


def _note(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _comment_blocks(comments: PublicComments | None) -> list[dict[str, Any]]:
    if comments is None:
        return []
    return [
        {"type": "header", "text": {"type": "plain_text", "text": COMMENTS_TITLE}},
        _fields(comment_headline(comments)),
        *_sections(comment_breakdowns(comments)),
        _note(COMMENTS_NOTE),
    ]


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    """The digest as a Block Kit message; the chart follows as a file."""
    note = (
        f"Local days in {escape(digest.zone)}. Negative: sentiment score at or below {NEGATIVE_TO}. "
        "`bot report` writes this digest as a web page."
    )
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Service digest: {period(digest)}"[:150]}},
        _fields(headline(digest)),
        *_sections(breakdowns(digest)),
        _note(note),
        *_comment_blocks(digest.comments),
    ]


def _table(rows: Rows) -> str:
    cells = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in rows)
    return f"<table>{cells}</table>" if rows else "<p class='muted'>None.</p>"


def _comments_html(comments: PublicComments | None) -> str:
    if comments is None:
        return ""
    sections = "".join(f"<h3>{html.escape(t)}</h3>{_table(r)}" for t, r in comment_breakdowns(comments))
    return (
        f"<h2>{html.escape(COMMENTS_TITLE)}</h2><p class='muted'>{html.escape(COMMENTS_NOTE)}</p>"
        f"{_table(comment_headline(comments))}{sections}"
    )


def render_html(digest: Digest, chart_png: bytes) -> str:
    """The digest as one HTML page, the chart embedded, every text escaped."""
    title = html.escape(f"Service digest: {period(digest)}")
    chart = base64.b64encode(chart_png).decode("ascii")
    sections = "".join(f"<h2>{html.escape(t)}</h2>{_table(r)}" for t, r in breakdowns(digest))
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{title}</title><style>{STYLE}</style>"
        f"<h1>{title}</h1><p class='muted'>Passerelle · local days in {html.escape(digest.zone)} · negative: "
        f"sentiment score at or below {NEGATIVE_TO}</p>{_table(headline(digest))}"
        f"<img alt='Customer messages per day and share of negative messages' src='data:image/png;base64,{chart}'>"
        f"{sections}{_comments_html(digest.comments)}</html>"
    )
