"""The calendar as staff keep it in the database: read into a Calendar, seeded from the settings, edited.

The environment's BAKERY_HOURS and BAKERY_SLOT_CAPACITY only seed the tables, on first use.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Date, DateTime, String, bindparam, cast, delete, func, literal, null, select, union_all, update

from ..catalog.invalidation import mark_catalog_changed
from ..exceptions import Invalid, NotFound, Stale
from ..extensions import db
from ..form_values import truthy, whole_number
from ..infra.statements import HotStatement, dialect_insert
from ..models import (
    CalendarSettings,
    Closure,
    DayCapacity,
    SlotBooking,
    SlotCapacity,
    SpecialHours,
    WeeklyHours,
)
from ..security.text_rules import unfit_characters
from .rules import Calendar, ClosedDays

LOGGER = logging.getLogger(__name__)
CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
MAX_CAPACITY = 1000
MAX_NOTE = 200
MAX_VERSION = 10**12
STALE_CALENDAR = (
    "Someone else changed the calendar after you opened this page, so nothing was saved. "
    "The page now shows the calendar as it is: check it and save again."
)


def now():
    """The bakery's clock: its local wall time now in BAKERY_TIMEZONE, naive (pickup times are stored as the
    shop's local time), to the minute. The only one; callers reach it as `calendar_service.now()` so a test
    can set the time with monkeypatch.setattr("app.bakery_calendar.service.now", ...)."""
    zone = ZoneInfo(current_app.config["BAKERY_TIMEZONE"])
    return datetime.now(zone).replace(tzinfo=None, second=0, microsecond=0)


def load_calendar():
    """The calendar as it stands: the tables (seeded on first use) and the settings."""
    return _read_calendar(with_bookings=False)[0]


def calendar_and_bookings():
    """(the calendar, {slot start: orders it holds} for every slot from today on), in one round trip."""
    return _read_calendar(with_bookings=True)


def _read_calendar(with_bookings):
    # One statement reads every calendar table (and, if asked, the bookings): placing an order
    # needs all of them, and seven round trips cost more than the rows. The Calendar built from
    # the rows is kept per process while the rows stay the same (so nothing can be stale).
    today = now().date()
    params = {"today": today, "since": today - timedelta(days=62), "start": datetime.combine(today, time.min)}
    rows = _calendar_rows(with_bookings).rows(db.session, params)
    if sum(1 for row in rows if row.kind == "w") < 7:
        _fill_missing_weekly_hours()
        rows = _calendar_rows(with_bookings).rows(db.session, params)
    bookings = {datetime.fromisoformat(row.a): int(row.b) for row in rows if row.kind == "b"}
    config = current_app.config
    settings = tuple(config[name] for name in CALENDAR_SETTINGS)
    key = (today, settings, tuple(tuple(row) for row in rows if row.kind != "b"))
    kept = current_app.extensions.get(CALENDAR_KEPT)
    if kept is None or kept[0] != key:
        kept = (key, _build_calendar(today, key[2]))
        current_app.extensions[CALENDAR_KEPT] = kept
    return kept[1], bookings


CALENDAR_KEPT = "calendar_kept"
# The settings a Calendar is built from besides the rows (part of what a kept one must match).
CALENDAR_SETTINGS = (
    "BAKERY_TIMEZONE",
    "BAKERY_SLOT_MINUTES",
    "BAKERY_SLOT_CAPACITY",
    "BAKERY_ORDER_CUTOFF",
    "BAKERY_PICKUP_LEAD_MINUTES",
    "BAKERY_PICKUP_DAYS_AHEAD",
)


def _text(column):
    return cast(column, String)


@cache
def _calendar_rows(with_bookings):
    """(kind, a, b, c) as text: w weekly hours, c closures, s special hours, d/l day/slot capacities,
    g the default capacity, b bookings. Built once: its cache key is then computed once too."""
    today, since = bindparam("today", type_=Date), bindparam("since", type_=Date)
    start = bindparam("start", type_=DateTime)
    parts = [
        select(
            literal("w").label("kind"),
            _text(WeeklyHours.weekday).label("a"),
            _text(WeeklyHours.opens).label("b"),
            _text(WeeklyHours.closes).label("c"),
        ),
        select(literal("c"), _text(Closure.first_day), _text(Closure.last_day), Closure.note).where(
            Closure.last_day >= since
        ),
        select(literal("s"), _text(SpecialHours.day), _text(SpecialHours.opens), _text(SpecialHours.closes)),
        select(literal("d"), _text(DayCapacity.day), _text(DayCapacity.capacity), null()).where(
            DayCapacity.day >= today
        ),
        select(literal("l"), _text(SlotCapacity.slot_start), _text(SlotCapacity.capacity), null()).where(
            SlotCapacity.slot_start >= start
        ),
        select(literal("g"), _text(CalendarSettings.slot_capacity), null(), null()).where(CalendarSettings.id == 1),
    ]
    if with_bookings:
        parts.append(
            select(literal("b"), _text(SlotBooking.slot_start), _text(SlotBooking.taken), null()).where(
                SlotBooking.slot_start >= start
            )
        )
    return HotStatement(union_all(*parts))


def _clock(text):
    return time.fromisoformat(text) if text is not None else None


def _build_calendar(today, rows):
    config = current_app.config
    week = [None] * 7
    closures, special, days, slots = [], {}, {}, {}
    capacity = config["BAKERY_SLOT_CAPACITY"]
    for kind, a, b, c in rows:
        if kind == "w":
            week[int(a)] = (_clock(b), _clock(c)) if b is not None else None
        elif kind == "c":
            closures.append(ClosedDays(date.fromisoformat(a), date.fromisoformat(b), c))
        elif kind == "s":
            special[date.fromisoformat(a)] = (_clock(b), _clock(c))
        elif kind == "d":
            days[date.fromisoformat(a)] = int(b)
        elif kind == "l":
            slots[datetime.fromisoformat(a)] = int(b)
        elif kind == "g" and a is not None:
            capacity = int(a)
    closures.sort(key=lambda closure: closure.first)
    return Calendar(
        week=tuple(week),
        timezone=config["BAKERY_TIMEZONE"],
        closures=tuple(closures),
        special=special,
        slot_minutes=config["BAKERY_SLOT_MINUTES"],
        capacity=capacity,
        day_capacity=days,
        slot_capacity=slots,
        cutoff=config["BAKERY_ORDER_CUTOFF"],
        lead_minutes=config["BAKERY_PICKUP_LEAD_MINUTES"],
        days_ahead=config["BAKERY_PICKUP_DAYS_AHEAD"],
    )


def weekly_hours():
    rows = db.session.execute(select(WeeklyHours.weekday, WeeklyHours.opens, WeeklyHours.closes)).all()
    if len(rows) < 7:
        _fill_missing_weekly_hours()
        rows = db.session.execute(select(WeeklyHours.weekday, WeeklyHours.opens, WeeklyHours.closes)).all()
    week = [None] * 7
    for weekday, opens, closes in rows:
        week[weekday] = (opens, closes) if opens is not None else None
    return tuple(week)


def _fill_missing_weekly_hours():
    """Fill in the weekdays missing from the table from BAKERY_HOURS (concurrent first uses agree)."""
    seed = current_app.config["BAKERY_OPENING_HOURS"]
    rows = [
        {"weekday": day, "opens": hours[0] if hours else None, "closes": hours[1] if hours else None}
        for day, hours in enumerate(seed)
    ]
    db.session.execute(dialect_insert(WeeklyHours).values(rows).on_conflict_do_nothing())
    db.session.commit()


def default_capacity():
    """Orders per slot unless a day or slot says otherwise: staff's setting, else BAKERY_SLOT_CAPACITY."""
    stored = db.session.scalar(select(CalendarSettings.slot_capacity).where(CalendarSettings.id == 1))
    return current_app.config["BAKERY_SLOT_CAPACITY"] if stored is None else stored


@dataclass(frozen=True)
class Slot:
    """One pickup slot as customers see it: when, how many places are left, and whether it can be chosen."""

    start: datetime
    end: datetime
    left: int
    past: bool

    @property
    def available(self):
        return not self.past and self.left > 0

    def to_dict(self, calendar):
        return {
            "start": calendar.isoformat(self.start),
            "end": calendar.isoformat(self.end),
            "available": self.available,
            "left": self.left,
        }


def slots_on(calendar, day, moment, product_lead=0):
    """`day`'s slots with what is left in each; a slot too soon (or past the cutoff) counts as past."""
    starts = calendar.slots_on(day)
    if not starts:
        return []
    taken = booked(starts)
    feasible = set(calendar.feasible_slots(moment, product_lead, first_day=day))
    return [
        Slot(
            start=start,
            end=calendar.slot_end(start),
            left=max(0, calendar.capacity_of(start) - taken.get(start, 0)),
            past=start not in feasible,
        )
        for start in starts
    ]


def booked(starts):
    """{slot start: orders it holds} for these starts."""
    if not starts:
        return {}
    return dict(
        db.session.execute(
            select(SlotBooking.slot_start, SlotBooking.taken).where(SlotBooking.slot_start.in_(list(starts)))
        ).all()
    )


def ordering_day(calendar=None, moment=None):
    """The day the shop is taking orders for: the day of the first slot that can still be booked, or None."""
    calendar = calendar or load_calendar()
    first = next(calendar.feasible_slots(moment or now()), None)
    return first.date() if first else None


def ordering_days(calendar=None, moment=None):
    """The days the shop is taking orders for: each day with a slot that can still be booked, in order."""
    calendar = calendar or load_calendar()
    return sorted({start.date() for start in calendar.feasible_slots(moment or now())})


def parse_day(text, calendar=None, moment=None, field="date"):
    """A YYYY-MM-DD date within the booking horizon; Invalid otherwise."""
    try:
        day = date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid("A date looks like 2026-12-03", {field: "must be a date like 2026-12-03"})
    if calendar is not None:
        moment = moment or now()
        if not moment.date() <= day <= calendar.last_day(moment):
            message = f"Choose a day from today to {calendar.days_ahead} days ahead"
            raise Invalid(message, {field: message})
    return day


# Staff edits


def parse_clock(text, field, errors):
    """A "07:30" time, or None with a message in `errors[field]`."""
    match = CLOCK.match(str(text or "").strip())
    if not match:
        errors[field] = "A time like 07:30 (24-hour)."
        return None
    return time(int(match[1]), int(match[2]))


def _whole_number(text, field, errors, maximum=MAX_CAPACITY):
    number = whole_number(text, maximum)
    if number is None:
        errors[field] = f"A whole number from 0 to {maximum}."
    return number


def set_weekly_hours(form):
    """Replace the weekly hours from a form with `open-N`, `opens-N`, `closes-N` for each weekday N (0 = Monday)."""
    errors, rows = {}, []
    for day in range(7):
        if not truthy(form.get(f"open-{day}")):
            rows.append((day, None, None))
            continue
        opens = parse_clock(form.get(f"opens-{day}"), f"opens-{day}", errors)
        closes = parse_clock(form.get(f"closes-{day}"), f"closes-{day}", errors)
        if opens and closes and opens >= closes:
            errors[f"closes-{day}"] = "Closing time must be after opening time."
        rows.append((day, opens, closes))
    if errors:
        raise Invalid("Please check the opening hours", errors)
    weekly_hours()  # seeds the rows when missing
    claim_version(form.get("version"))
    for day, opens, closes in rows:
        row = db.session.get(WeeklyHours, day)
        row.opens, row.closes = opens, closes
    _commit_change()
    LOGGER.info("weekly hours changed")


def add_closure(form):
    """Close from `first_day` to `last_day` (or just `first_day`) with an optional note."""
    errors = {}
    first = _form_day(form.get("first_day"), "first_day", errors)
    last_text = str(form.get("last_day") or "").strip()
    last = _form_day(last_text, "last_day", errors) if last_text else first
    if first and last and last < first:
        errors["last_day"] = "The last day cannot be before the first."
    note = str(form.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"Please keep the note under {MAX_NOTE} characters."
    elif unfit := unfit_characters(note):  # customers see it in the shop
        errors["note"] = f"A note can't contain {unfit}."
    if errors:
        raise Invalid("Please check the closed days", errors)
    claim_version(form.get("version"))
    closure = Closure(first_day=first, last_day=last, note=note)
    db.session.add(closure)
    _commit_change()
    LOGGER.info("closure added closure_id=%s first=%s last=%s", closure.id, first, last)
    return closure


def delete_closure(closure_id, version):
    """Open again on the days of this closure (`version`: the calendar's, as the page showed it)."""
    claim_version(version)
    if db.session.execute(delete(Closure).where(Closure.id == closure_id)).rowcount != 1:
        db.session.rollback()
        raise NotFound("No such closed days")
    _commit_change()


def set_special_hours(form):
    """Other hours for one date (replacing any it had)."""
    errors = {}
    day = _form_day(form.get("day"), "special_day", errors)
    opens = parse_clock(form.get("opens"), "special_opens", errors)
    closes = parse_clock(form.get("closes"), "special_closes", errors)
    if opens and closes and opens >= closes:
        errors["special_closes"] = "Closing time must be after opening time."
    if errors:
        raise Invalid("Please check the special hours", errors)
    claim_version(form.get("version"))
    db.session.execute(
        dialect_insert(SpecialHours)
        .values(day=day, opens=opens, closes=closes)
        .on_conflict_do_update(index_elements=["day"], set_={"opens": opens, "closes": closes})
    )
    _commit_change()
    LOGGER.info("special hours day=%s opens=%s closes=%s", day, opens, closes)


def delete_special_hours(day, version):
    """The weekday's usual hours again on `day`."""
    claim_version(version)
    if db.session.execute(delete(SpecialHours).where(SpecialHours.day == day)).rowcount != 1:
        db.session.rollback()
        raise NotFound("No special hours on that day")
    _commit_change()


def set_default_capacity(form):
    """Orders per slot by default."""
    errors = {}
    capacity = _whole_number(form.get("capacity"), "capacity", errors)
    if errors:
        raise Invalid("Please check the capacity", errors)
    claim_version(form.get("version"), slot_capacity=capacity)
    db.session.commit()
    LOGGER.info("default slot capacity=%d", capacity)


def set_capacity_override(form):
    """Orders per slot for one day (no time given) or for the one slot starting at `time` that day."""
    errors = {}
    day = _form_day(form.get("day"), "override_day", errors)
    at_text = str(form.get("time") or "").strip()
    at = parse_clock(at_text, "override_time", errors) if at_text else None
    capacity = _whole_number(form.get("capacity"), "override_capacity", errors)
    if day and at and not errors:
        start = datetime.combine(day, at)
        if start not in load_calendar().slots_on(day):
            errors["override_time"] = "No pickup slot starts then: choose one of that day's slot times."
    if errors:
        raise Invalid("Please check the capacity for that day or slot", errors)
    claim_version(form.get("version"))
    if at is None:
        statement = dialect_insert(DayCapacity).values(day=day, capacity=capacity)
        statement = statement.on_conflict_do_update(index_elements=["day"], set_={"capacity": capacity})
    else:
        statement = dialect_insert(SlotCapacity).values(slot_start=datetime.combine(day, at), capacity=capacity)
        statement = statement.on_conflict_do_update(index_elements=["slot_start"], set_={"capacity": capacity})
    db.session.execute(statement)
    db.session.commit()
    LOGGER.info("capacity override day=%s time=%s capacity=%d", day, at, capacity)


def delete_capacity_override(day, at=None, version=None):
    """Back to the default for the day (or to the day's capacity for the slot at `at`)."""
    claim_version(version)
    if at is None:
        result = db.session.execute(delete(DayCapacity).where(DayCapacity.day == day))
    else:
        result = db.session.execute(delete(SlotCapacity).where(SlotCapacity.slot_start == datetime.combine(day, at)))
    if result.rowcount != 1:
        db.session.rollback()
        raise NotFound("No such capacity override")
    db.session.commit()


def calendar_version():
    """How many staff changes the calendar has had: the version a page of it is made from."""
    return db.session.scalar(select(CalendarSettings.version).where(CalendarSettings.id == 1)) or 0


def claim_version(version, **settings):
    """Count a change made from calendar `version` (setting `settings` with it); Stale if it is not current.

    One conditional statement on the calendar's one row, which then stays locked until the
    change commits: of two changes made from the same page only the first one counts.
    """
    expected = whole_number(version, MAX_VERSION)
    if expected is None:
        raise Stale(STALE_CALENDAR)
    if expected == 0:  # the row may not exist yet
        statement = (
            dialect_insert(CalendarSettings)
            .values(id=1, version=1, **settings)
            .on_conflict_do_update(
                index_elements=["id"],
                set_={"version": CalendarSettings.version + 1, **settings},
                where=CalendarSettings.version == 0,
            )
        )
    else:
        statement = (
            update(CalendarSettings)
            .where(CalendarSettings.id == 1, CalendarSettings.version == expected)
            .values(version=CalendarSettings.version + 1, **settings)
        )
    if db.session.execute(statement).rowcount != 1:
        db.session.rollback()
        raise Stale(STALE_CALENDAR)


def _commit_change():
    # The catalogue's cached pages show the hours and the day orders are taken for.
    mark_catalog_changed(db.session)
    db.session.commit()


def _form_day(text, field, errors):
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        errors[field] = "Choose a date."
        return None


@dataclass
class CalendarPage:
    """What the staff calendar page shows."""

    calendar: Calendar
    week_rows: list
    closures: list
    special: list
    day_overrides: list
    slot_overrides: list
    capacity: int
    version: int


def staff_overview():
    """The calendar for the staff page: hours by weekday, coming closures, special hours and overrides."""
    calendar = load_calendar()
    today = now().date()
    closures = db.session.scalars(select(Closure).where(Closure.last_day >= today).order_by(Closure.first_day)).all()
    special = db.session.scalars(select(SpecialHours).where(SpecialHours.day >= today).order_by(SpecialHours.day)).all()
    days = db.session.scalars(select(DayCapacity).where(DayCapacity.day >= today).order_by(DayCapacity.day)).all()
    slots = db.session.scalars(
        select(SlotCapacity)
        .where(SlotCapacity.slot_start >= datetime.combine(today, time.min))
        .order_by(SlotCapacity.slot_start)
    ).all()
    return CalendarPage(
        calendar=calendar,
        week_rows=list(enumerate(calendar.week)),
        closures=closures,
        special=special,
        day_overrides=days,
        slot_overrides=slots,
        capacity=calendar.capacity,
        version=calendar_version(),
    )


def count_bookings():
    """How many slots hold orders (for tests and the operator)."""
    return db.session.scalar(select(func.coalesce(func.sum(SlotBooking.taken), 0)))
