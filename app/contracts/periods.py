"""Dates of the agreement period (协议期), SPEC §9.

The service's clock gives instants in UTC; the agreement period runs on the calendar of the
province, China Standard Time (UTC+8, no daylight saving), so "today" is the date in UTC+8.
An agreement year n of a round starts on agreement_start + (n − 1) years and has 12 calendar
months counted from that day (a start on the 31st clamps to shorter months).
"""

from datetime import date, datetime, timedelta, timezone

from solver.agreement import add_months

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
MONTHS_PER_YEAR = 12


def local_date(now: datetime) -> date:
    """The calendar date of `now` in China Standard Time."""
    return now.astimezone(CHINA_STANDARD_TIME).date()


def year_starts_on(agreement_start: date, year: int) -> date:
    """The first day of agreement year `year` (1-based)."""
    return add_months(agreement_start, MONTHS_PER_YEAR * (year - 1))


def year_ends_on(agreement_start: date, year: int) -> date:
    """The last day of agreement year `year`."""
    return year_starts_on(agreement_start, year + 1) - timedelta(days=1)


def month_bounds(starts_on: date, months: int = MONTHS_PER_YEAR) -> list[tuple[date, date]]:
    """(first day, last day) of each month of a year that starts on `starts_on`."""
    firsts = [add_months(starts_on, m) for m in range(months + 1)]
    return [(firsts[m], firsts[m + 1] - timedelta(days=1)) for m in range(months)]


def month_of(starts_on: date, day: date, months: int = MONTHS_PER_YEAR) -> int | None:
    """The 0-based month of the year that holds `day`, or None outside the year."""
    for index, (first, last) in enumerate(month_bounds(starts_on, months)):
        if first <= day <= last:
            return index
    return None
