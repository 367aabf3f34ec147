"""Deadline arithmetic for diagrams: calendar minutes and days, and Chinese official working days.

Which limits count working days and which calendar days is decided in docs/DECISIONS.md, D14.

Working days follow the State Council holiday calendar including adjusted working weekends (调休), from the
maintained ``chinesecalendar`` package. A year the package does not cover fails loudly instead of guessing.
Dates are counted in China Standard Time; results are ISO 8601 strings with their offset.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import chinese_calendar

from engine.errors import EmflowError

CST = timezone(timedelta(hours=8), "CST")


class CalendarNotCovered(EmflowError):
    code = "calendar_not_covered"


def parse_instant(value: str | datetime) -> datetime:
    """An aware datetime from an ISO string; a naive one is read as China Standard Time."""
    if isinstance(value, datetime):
        parsed = value
    else:
        if not isinstance(value, str):
            raise ValueError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CST)


def add_minutes(start: str, minutes: float) -> str:
    return (parse_instant(start) + timedelta(minutes=minutes)).isoformat()


def add_days(start: str, days: float) -> str:
    return (parse_instant(start) + timedelta(days=days)).isoformat()


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarNotCovered(
            f"the Chinese working-day calendar does not cover {day.year}; update the chinesecalendar package",
            {"year": day.year},
        ) from None


def add_working_days(start: str, days: int) -> str:
    """The same time of day ``days`` working days later (the start day itself is not counted).

    A date without a time ("2025-09-26") means the whole day: the deadline is the end of the last working day.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError("the number of working days must be a non-negative integer")
    moment = parse_instant(start).astimezone(CST)
    day = moment.date()
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    if isinstance(start, str) and len(start.strip()) == 10:
        return datetime.combine(day + timedelta(days=1), datetime.min.time(), CST).isoformat()
    return datetime.combine(day, moment.timetz()).isoformat()


def minutes_between(start: str, end: str) -> float:
    return (parse_instant(end) - parse_instant(start)).total_seconds() / 60
