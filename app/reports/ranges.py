"""The days a staff list or report is for, read from the query string: checked, bounded, explained."""

from ..exceptions import Invalid
from ..orders.days import FIRST_DAY, LAST_DAY, parse_board_day

# A year is far enough for any report (the day bounds themselves live in orders/days.py).
MAX_RANGE_DAYS = 366


def parse_day(text, field="date"):
    """The YYYY-MM-DD day in `text`; Invalid with a message at `field` otherwise."""
    day = parse_board_day(text)
    if day is None:
        hint = f"Use a date like 2026-12-03, from {FIRST_DAY} to {LAST_DAY}"
        raise Invalid(f"Give the {field} as a date like 2026-12-03", {field: hint})
    return day


def day_or_default(text, default, field="date"):
    """The day asked for, or `default` when the parameter is missing or empty."""
    return default if text in (None, "") else parse_day(text, field)


def parse_range(first_text, last_text, today):
    """(first, last) of a report: both given, or this month so far; Invalid at the field that is wrong."""
    errors, first, last = {}, None, None
    for field, text in (("from", first_text), ("to", last_text)):
        try:
            if text not in (None, ""):
                parsed = parse_day(text, field)
                first, last = (parsed, last) if field == "from" else (first, parsed)
        except Invalid as bad:
            errors.update(bad.details)
    if errors:
        raise Invalid("Check the dates of the report", errors)
    last = last or max(today, first or today)
    first = first or last.replace(day=1)
    if first > last:
        raise Invalid("The report ends before it starts", {"to": "Choose a day on or after the start"})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        message = f"A report covers at most {MAX_RANGE_DAYS} days; choose a shorter range"
        raise Invalid(message, {"to": message})
    return first, last
