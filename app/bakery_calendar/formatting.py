"""Dates and times as people in the bakery's locale (BAKERY_LOCALE) read them, with Babel."""

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names
from flask import current_app


def _locale():
    return current_app.config["BAKERY_LOCALE"]


def day_name(day):
    """ "Thursday 3 December" (en_GB): weekday, day and month, no year."""
    return format_date(day, "EEEE d MMMM", locale=_locale())


def short_day(day):
    """ "Thu 3 Dec": for tight lists."""
    return format_date(day, "EEE d MMM", locale=_locale())


def clock(moment):
    """ "07:30": 24-hour time, whatever the locale's habit."""
    return format_time(moment, "HH:mm", locale=_locale())


def pickup_time(moment):
    """ "Thursday 3 December at 08:30"."""
    return f"{day_name(moment.date())} at {clock(moment)}"


def local_isoformat(local):
    """A stored local wall time in ISO 8601 with the bakery's UTC offset then ("2026-12-03T08:30:00+01:00")."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(current_app.config["BAKERY_TIMEZONE"]), fold=0).isoformat()


def weekday_name(number):
    """ "Monday" for 0, … "Sunday" for 6, in the bakery's locale."""
    return get_day_names("wide", locale=_locale())[number]
