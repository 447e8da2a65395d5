"""The calendar's rules as plain functions of a Calendar snapshot and the time now (no database, no Flask).

Times are the bakery's local wall time, naive, as Order.pickup_at stores them. Durations
(lead times) are measured in real time between aware moments, so a night that loses or
gains an hour to daylight saving counts what the clock really ran.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far back to look for "the previous opening day" of a cutoff, and how far ahead a lead
# time may reach (a 48-hour cake over a long closure): beyond these, nothing is feasible.
LOOK_BACK_DAYS = 60
LOOK_AHEAD_DAYS = 400
MAX_KEPT_DAYS = 64  # days whose slots a Calendar keeps (the booking horizon is 14 by default)


def day_count(days):
    """ "1 day", "2 days"."""
    return f"{days} day" if days == 1 else f"{days} days"


def days_of_notice(days):
    """ "1 day's notice", "2 days' notice"."""
    return f"{day_count(days)}'s notice" if days == 1 else f"{day_count(days)}' notice"


@dataclass(frozen=True)
class Lead:
    """The notice an order's products need, on top of the shop's own lead time: `minutes` of opening hours
    (the longest lead_hours) and whole calendar `days` (the longest lead_days: ordered on day D − days or
    earlier for pickup on D), with the name of the product that needs those days, to say so."""

    minutes: int = 0
    days: int = 0
    needs_days: str = ""

    @classmethod
    def of(cls, value):
        """`value` as a Lead: a Lead, or minutes of opening hours (None: none), as callers used to pass."""
        return value if isinstance(value, Lead) else cls(minutes=value or 0)

    @classmethod
    def of_products(cls, products, extra_hours=None):
        """The longest lead times among `products` (anything with lead_hours, lead_days and an id); `extra_hours`
        ({product id: hours}) is what chosen options add (app/catalog/options.py: a 10″ cake needs a day more)."""
        products, extra_hours = list(products), extra_hours or {}
        minutes = max([0, *(((getattr(p, "lead_hours", None) or 0) + extra_hours.get(p.id, 0)) * 60 for p in products)])
        longest = max(products, key=lambda p: getattr(p, "lead_days", None) or 0, default=None)
        days = (getattr(longest, "lead_days", None) or 0) if longest is not None else 0
        return cls(minutes, days, longest.name if days else "")

    def first_day(self, today):
        """The first pickup day its days of notice allow when ordering on `today`."""
        return today + timedelta(days=self.days)


@dataclass(frozen=True)
class ClosedDays:
    """Closed from `first` to `last` inclusive; `note` is shown to customers."""

    first: date
    last: date
    note: str = ""


@dataclass(frozen=True)
class Calendar:
    """Everything the rules need: the week, exceptions to it, slots and their capacity, and the limits."""

    week: tuple  # seven (opens, closes) pairs or None (closed), Monday first
    timezone: str = "Europe/Berlin"
    closures: tuple = ()
    special: dict = field(default_factory=dict)  # date -> (opens, closes)
    slot_minutes: int = 30
    capacity: int = 8
    day_capacity: dict = field(default_factory=dict)  # date -> orders per slot that day
    slot_capacity: dict = field(default_factory=dict)  # slot start -> orders
    cutoff: time | None = None
    lead_minutes: int = 30
    days_ahead: int = 14
    # Each day's slots, worked out once per Calendar: a kept Calendar (bakery_calendar/service.py) serves
    # every order of a process, and each order asks for the slots of its days again.
    _slots: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def closure_on(self, day):
        """The closure that covers `day`, or None."""
        return next((c for c in self.closures if c.first <= day <= c.last), None)

    def hours_on(self, day):
        """(opens, closes) on `day`, or None when closed: a closure beats special hours, which beat the week."""
        if self.closure_on(day):
            return None
        if day in self.special:
            return self.special[day]
        return self.week[day.weekday()]

    def is_open(self, day):
        return self.hours_on(day) is not None

    def slots_on(self, day):
        """The starts of `day`'s pickup slots: every slot_minutes from opening, the last before closing.

        A wall time that does not exist (the hour skipped when clocks go forward) is no slot.
        """
        if day not in self._slots:
            if len(self._slots) >= MAX_KEPT_DAYS:  # only staff ask beyond the horizon; keep it bounded anyway
                self._slots.clear()
            self._slots[day] = tuple(self._work_out_slots(day))
        return list(self._slots[day])

    def _work_out_slots(self, day):
        hours = self.hours_on(day)
        if hours is None:
            return
        start, closes = datetime.combine(day, hours[0]), datetime.combine(day, hours[1])
        step = timedelta(minutes=self.slot_minutes)
        while start < closes:
            if self.exists(start):
                yield start
            start += step

    def slot_end(self, start):
        """When the slot starting at `start` ends: a slot length later, or at closing time."""
        closes = datetime.combine(start.date(), self.hours_on(start.date())[1])
        return min(start + timedelta(minutes=self.slot_minutes), closes)

    def capacity_of(self, start):
        """Orders the slot at `start` takes: its own override, else its day's, else the default."""
        if start in self.slot_capacity:
            return self.slot_capacity[start]
        return self.day_capacity.get(start.date(), self.capacity)

    # Time zone

    def aware(self, local):
        """The local wall time as an aware moment (the first of two, when clocks go back)."""
        return local.replace(tzinfo=ZoneInfo(self.timezone), fold=0)

    def exists(self, local):
        """Whether the wall time happens at all in the bakery's zone (not skipped by a DST change)."""
        there_and_back = self.aware(local).astimezone(UTC).astimezone(ZoneInfo(self.timezone))
        return there_and_back.replace(tzinfo=None) == local

    def local(self, moment):
        """An aware moment as the bakery's naive wall time."""
        return moment.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def isoformat(self, local):
        """The local wall time in ISO 8601 with the bakery's UTC offset at that moment."""
        return self.aware(local).isoformat()

    # Lead time and cutoff

    def ready_after(self, now, minutes):
        """The moment `minutes` of opening time after `now` (closed hours and days do not count); None if never."""
        remaining = timedelta(minutes=minutes)
        if remaining <= timedelta(0):
            return now
        for offset in range(LOOK_AHEAD_DAYS):
            day = now.date() + timedelta(days=offset)
            hours = self.hours_on(day)
            if hours is None:
                continue
            opens = self.aware(max(now, datetime.combine(day, hours[0])))
            closes = self.aware(datetime.combine(day, hours[1]))
            if closes <= opens:
                continue
            if closes - opens >= remaining:
                return self.local(opens.astimezone(UTC) + remaining)
            remaining -= closes - opens
        return None

    def earliest(self, now, product_lead=0):
        """The earliest pickup moment: the shop's lead time on the clock, the cart's longest product lead time
        in opening hours, and its days of notice (`product_lead`: a Lead, or minutes); None if never."""
        lead = Lead.of(product_lead)
        ready = self.ready_after(now, lead.minutes)
        if ready is None:
            return None
        on_the_clock = self.local(self.aware(now).astimezone(UTC) + timedelta(minutes=self.lead_minutes))
        first_day = datetime.combine(lead.first_day(now.date()), time.min)
        return max(on_the_clock, ready, first_day)

    def previous_open_day(self, day):
        """The last opening day before `day` (the day before, if none is found)."""
        for back in range(1, LOOK_BACK_DAYS):
            earlier = day - timedelta(days=back)
            if self.is_open(earlier):
                return earlier
        return day - timedelta(days=1)

    def order_deadline(self, day):
        """Until when pickups on `day` can be ordered (the cutoff on the previous opening day), or None."""
        if self.cutoff is None:
            return None
        return datetime.combine(self.previous_open_day(day), self.cutoff)

    def last_day(self, now):
        """The last day of the booking horizon."""
        return now.date() + timedelta(days=self.days_ahead)

    # What can be booked

    def problem(self, start, now, product_lead=0):
        """Why a pickup at `start` cannot be booked now, as (field, message) with field "date" or "time"; or None.

        `product_lead` is the products' Lead (or minutes of opening hours), as for earliest().

        Capacity is not checked here: that needs the bookings (app/orders/capacity.py).
        """
        day = start.date()
        if day < now.date():
            return "date", "That day has passed — choose today or a later day."
        if day > self.last_day(now):
            return "date", f"We take orders up to {self.days_ahead} days ahead."
        closure = self.closure_on(day)
        if closure:
            return "date", f"We're closed that day{' — ' + closure.note if closure.note else ''}. Choose another day."
        hours = self.hours_on(day)
        if hours is None:
            return "date", f"We're closed on {day:%A}s — choose another day."
        opens, closes = hours
        if not opens <= start.time() < closes:
            return "time", f"On {day:%A} {day.day} {day:%B} we're open {opens:%H:%M}–{closes:%H:%M}."
        if start not in self.slots_on(day):
            return (
                "time",
                f"Pickup times are every {self.slot_minutes} minutes from {opens:%H:%M} — choose one of them.",
            )
        if start <= now:
            return "time", "That time has passed — choose a later one."
        deadline = self.order_deadline(day)
        if deadline is not None and now > deadline:
            return "date", f"Orders for that day closed at {deadline:%H:%M} on {deadline:%A} — choose a later day."
        ready = self.earliest(now, product_lead)
        if ready is None or start < ready:
            return self._too_soon(day, now, Lead.of(product_lead))
        return None

    def _too_soon(self, day, now, lead):
        """Why a pickup on `day` is too soon for `lead`: its days of notice, if they are what rules `day` out."""
        if day >= lead.first_day(now.date()):
            return "time", "We need more time to get this order ready — choose a later time."
        first = next(self.feasible_slots(now, lead), None)
        earliest = f": the earliest pickup is {first:%A} {first.day} {first:%B}" if first else ""
        return "date", f"{lead.needs_days} needs {days_of_notice(lead.days)}{earliest}."

    def feasible_slots(self, now, product_lead=0, first_day=None):
        """Every slot that can be booked now (ignoring capacity), in order, from `first_day` to the horizon."""
        ready = self.earliest(now, product_lead)
        if ready is None:
            return
        day = max(now.date(), first_day or now.date(), ready.date())
        while day <= self.last_day(now):
            deadline = self.order_deadline(day)
            if deadline is None or now <= deadline:
                for start in self.slots_on(day):
                    if start > now and start >= ready:
                        yield start
            day += timedelta(days=1)

    def open_days(self, now):
        """The opening days from today to the horizon."""
        days = (now.date() + timedelta(days=n) for n in range(self.days_ahead + 1))
        return [day for day in days if self.is_open(day)]
