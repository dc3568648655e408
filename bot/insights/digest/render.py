"""The digest as Slack Block Kit and as a self-contained HTML page, from the same rows (pure functions).

Every text is escaped: topic names and keywords come from customers' words, and nothing else should reach Slack's
mrkdwn or the page's HTML unescaped either.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from bot.conversation import CHANNEL_NAMES, REASONS, escape
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


def digest_text(digest: Digest) -> str:
    """The notification text (shown where blocks are not)."""
    d = digest
    return escape(
        f"Service digest, {period(d)}: {d.conversations} conversations, {percent(d.resolved_share)} resolved "
        f"without a human, {d.handoffs} handoffs"
    )


def _lines(title: str, rows: Rows) -> str:
    text = f"*{escape(title)}*"
    for label, value in rows or [("none", "")]:
        line = f"\n• {escape(label)}" + (f": {escape(value)}" if value else "")
        if len(text) + len(line) > SECTION_CHARS:
            return text + "\n…"
        text += line
    return text


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    """The digest as a Block Kit message; the chart follows as a file."""
    fields = [{"type": "mrkdwn", "text": f"*{escape(label)}*\n{escape(value)}"} for label, value in headline(digest)]
    note = (
        f"Local days in {escape(digest.zone)}. Negative: sentiment score at or below {NEGATIVE_TO}. "
        "`bot report` writes this digest as a web page."
    )
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Service digest: {period(digest)}"[:150]}},
        {"type": "section", "fields": fields},
        *({"type": "section", "text": {"type": "mrkdwn", "text": _lines(t, r)}} for t, r in breakdowns(digest)),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
    ]


def _table(rows: Rows) -> str:
    cells = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in rows)
    return f"<table>{cells}</table>" if rows else "<p class='muted'>None.</p>"


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
        f"{sections}</html>"
    )
