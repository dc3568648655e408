"""When a digest is due and which period it covers, in local days of the team's time zone (pure functions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SCHEDULES = ("daily", "weekly", "off")
MONDAY = 0


def local_days(first: date, last: date, zone: str) -> tuple[float, float]:
    """The period from local midnight of ``first`` to local midnight after ``last`` (Unix times, end excluded)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return start.timestamp(), end.timestamp()


def last_days(now: float, days: int, zone: str) -> tuple[float, float]:
    """The ``days`` whole local days before the local day of ``now`` (today left out)."""
    today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
    return local_days(today - timedelta(days=days), today - timedelta(days=1), zone)


def due_period(now: float, schedule: str, hour: int, zone: str) -> tuple[float, float] | None:
    """The period whose digest is due at ``now``, or None.

    ``daily``: from ``hour`` (local) to midnight each day, the previous local day is due. ``weekly``: from ``hour``
    to midnight on Mondays, the previous seven local days (Monday to Sunday) are due. ``off``: never. Posting
    once per period is the caller's business (``bot.insights.digest.job``); a gateway down all the due day skips
    that period.

    Raises:
        ValueError: for another schedule or an hour outside 0-23.

    """
    if schedule not in SCHEDULES:
        raise ValueError(f"DIGEST_SCHEDULE must be one of {', '.join(SCHEDULES)}, not {schedule!r}")
    if not 0 <= hour <= 23:
        raise ValueError(f"DIGEST_HOUR must be between 0 and 23, not {hour}")
    local = datetime.fromtimestamp(now, ZoneInfo(zone))
    if schedule == "off" or local.hour < hour or (schedule == "weekly" and local.weekday() != MONDAY):
        return None
    return last_days(now, 1 if schedule == "daily" else 7, zone)
