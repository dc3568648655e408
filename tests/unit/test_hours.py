from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.handoff.hours import closed_notice, next_opening, parse_schedule

PARIS = ZoneInfo("Europe/Paris")
WEEK = parse_schedule("mon-fri 09:00-12:30; mon-fri 14:00-19:00; sat 10:00-18:00")


def at(day: int, hour: int, minute: int = 0) -> datetime:  # November 2026: the 23rd is a Monday
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(23, 10), None),  # Monday morning: open
        (at(23, 13), at(23, 14)),  # lunch break
        (at(23, 19), at(24, 9)),  # Monday evening -> Tuesday 9:00
        (at(28, 18, 30), at(30, 9)),  # Saturday after closing -> Monday
        (at(29, 12), at(30, 9)),  # Sunday
    ],
)
def test_next_opening(now: datetime, expected: datetime | None) -> None:
    assert next_opening(now, WEEK) == expected


def test_an_empty_schedule_is_always_open() -> None:
    assert next_opening(at(29, 3), parse_schedule("")) is None


@pytest.mark.parametrize("text", ["mon 9-18", "xyz 09:00-10:00", "mon 18:00-09:00", "lundi 09:00-18:00"])
def test_unreadable_schedules_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_a_wrapping_day_range() -> None:
    assert set(parse_schedule("sat-mon 10:00-11:00")) == {5, 6, 0}


def test_the_customer_is_told_when_someone_is_back_in_their_language() -> None:
    sunday_noon_utc = datetime(2026, 11, 29, 11, 0, tzinfo=timezone.utc)
    assert "lundi 30 novembre à 9 h 00" in closed_notice(sunday_noon_utc, WEEK, "Europe/Paris", "fr")
    assert "Monday 30 November at 9:00" in closed_notice(sunday_noon_utc, WEEK, "Europe/Paris", "en")
    monday = datetime(2026, 11, 30, 9, 30, tzinfo=timezone.utc)
    assert closed_notice(monday, WEEK, "Europe/Paris", "fr") is None
