"""Business hours of the support team: when is someone there, and when will someone be back.

Written as ``"mon-fri 09:00-19:00; sat 10:00-18:00"`` (days ``mon`` .. ``sun``, ranges or single days, several
periods a day allowed), in the team's time zone. An empty schedule means always open.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import notices

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)
Schedule = dict[int, list[tuple[time, time]]]


def parse_schedule(text: str) -> Schedule:
    """Read a schedule.

    Raises:
        ValueError: on anything it cannot read, naming the part.

    """
    schedule: Schedule = {}
    for part in filter(None, (p.strip().lower() for p in text.split(";"))):
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"cannot read business hours {part!r} (expected e.g. 'mon-fri 09:00-19:00')")
        start, end = (time.fromisoformat(match[k].zfill(5)) for k in ("start", "end"))
        if end <= start:
            raise ValueError(f"business hours {part!r} end before they start")
        for span in match["days"].split(","):
            first, _, last = span.partition("-")
            if first not in DAYS or (last and last not in DAYS):
                raise ValueError(f"unknown day in {part!r}")
            a, b = DAYS.index(first), DAYS.index(last or first)
            for day in range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]:
                schedule.setdefault(day, []).append((start, end))
    return schedule


def next_opening(now: datetime, schedule: Schedule) -> datetime | None:
    """None when the team is there at ``now`` (aware datetime); otherwise when it next is."""
    if not schedule:
        return None
    for offset in range(8):
        day = (now + timedelta(days=offset)).date()
        for start, end in sorted(schedule.get(day.weekday(), [])):
            opens = datetime.combine(day, start, tzinfo=now.tzinfo)
            closes = datetime.combine(day, end, tzinfo=now.tzinfo)
            if offset == 0 and opens <= now < closes:
                return None
            if opens > now:
                return opens
    return None


def closed_notice(now_utc: datetime, schedule: Schedule, zone: str, language: str) -> str | None:
    """What to tell a customer handed over while nobody is there, in their language; None when open."""
    opening = next_opening(now_utc.astimezone(ZoneInfo(zone)), schedule)
    if opening is None:
        return None
    lang = notices.customer_language(language)
    return notices.closed(notices.format_moment(opening, lang), lang)
