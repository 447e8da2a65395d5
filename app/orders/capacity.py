"""An order's place in the calendar: its pickup slot and its share of what is baked for its pickup day.

place_order() reserves them after the stock of stocked products, in one transaction and in
one order for every order (products by id, then their day ledger rows for the pickup day by
product id, then for products made to order the resources they use by id, then the slot), so
that concurrent orders never deadlock. Each reservation is a conditional update on a row made
on first use (INSERT … ON CONFLICT DO UPDATE … WHERE), like the stock: two orders can never both
take the last place. A baked product takes from its pickup day's amount (app/catalog/daily.py),
one made to order from the room in the resources its batches use (app/catalog/resources.py);
every product of the order gets its ledger row, so cancelling always finds what to give back.
change_status() gives them back when an order is Cancelled or Failed, in its own transaction.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from itertools import takewhile

from sqlalchemy import update

from ..bakery_calendar import service as calendar_service
from ..bakery_calendar.formatting import day_name, pickup_time
from ..bakery_calendar.rules import Lead
from ..bakery_calendar.service import booked, calendar_and_bookings, load_calendar
from ..catalog import resources
from ..catalog.daily import available
from ..catalog.day_amounts import planned
from ..catalog.invalidation import mark_catalog_changed
from ..exceptions import Conflict, Invalid
from ..extensions import db
from ..infra.statements import HotStatement, upsert_text
from ..models import BAKED, Order, ProductDay, SlotBooking

LOGGER = logging.getLogger(__name__)


class SlotTaken(Conflict):
    """The slot an order was about to take is gone: full, or its client's share of it used up.
    When the bakery chose the slot, place_order chooses again without `starts`."""

    def __init__(self, message, details=None, starts=()):
        super().__init__(message, details)
        self.starts = list(starts)


@dataclass(frozen=True)
class Pickup:
    """The slot chosen for an order; `assigned` when the bakery chose it (the customer named none);
    `lead`: the notice its products need (the shop's own lead time is the calendar's)."""

    start: datetime
    assigned: bool
    calendar: object
    lead: Lead


def parse_pickup_at(value, calendar=None):
    """An ISO 8601 pickup time as the bakery's local wall time (an offset is converted); Invalid otherwise."""
    if value is None:
        return None
    calendar = calendar or load_calendar()
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None:
        message = (
            "pickup_at must be a time in ISO 8601, like 2026-12-03T08:30 (the bakery's local time) or with an offset"
        )
        raise Invalid(
            message,
            {"pickup_at": message, "next_available": _iso(calendar, first_free(calendar, calendar_service.now()))},
        )
    if moment.tzinfo is not None:
        moment = calendar.local(moment)
    return moment


def choose_pickup(lines, products, requested=None, passed_over=(), extra_lead=None):
    """The slot for an order: `requested` if it can be booked now, else (none asked) the earliest with room
    that is not one of `passed_over` (slots this order already found gone). `extra_lead` is what
    the chosen options add to each product's lead time ({product id: hours}).

    Invalid for a time that cannot be booked (closed, past, too soon, off the slot grid);
    Conflict when nothing within the booking horizon has room. Both say `next_available`.
    """
    calendar, bookings = calendar_and_bookings()
    moment = calendar_service.now()
    lead = Lead.of_products(products.values(), extra_lead)
    if requested is not None:
        problem = calendar.problem(requested, moment, lead)
        if problem:
            first = first_free(calendar, moment, lead, lines, products, bookings=bookings)
            raise Invalid(problem[1], {"pickup_at": problem[1], "next_available": _iso(calendar, first)})
        return Pickup(requested, False, calendar, lead)
    first = first_free(calendar, moment, lead, lines, products, bookings=bookings, skip=passed_over)
    if first is None:
        message = f"No pickup time in the next {calendar.days_ahead} days can take this order"
        raise Conflict(message, {"next_available": None})
    return Pickup(first, True, calendar, lead)


def reserve(order, lines, products, pickup):
    """Take each product's share of the pickup day, then a place in the slot; return the order as placed.

    An assigned slot that filled up meanwhile gives way to the next free one on the same day;
    past the day's last one it is SlotTaken, and place_order starts again on a later day (whose
    ledger rows would be out of the lock order here). A slot the customer chose is theirs or a Conflict.
    """
    day = pickup.start.date()
    _take_from_day(day, lines, products, pickup)
    for start in _candidates(pickup, day):
        if _take_place(start, pickup.calendar.capacity_of(start)):
            if start != pickup.start:
                db.session.execute(
                    update(Order)
                    .where(Order.public_id == order.public_id)
                    .values(pickup_at=start)
                    .execution_options(synchronize_session=False)
                )
            return replace(order, pickup_at=start)
    first = first_free(pickup.calendar, calendar_service.now(), pickup.lead, lines, products)
    message = f"{pickup_time(pickup.start)} is fully booked"
    raise SlotTaken(
        message,
        {"pickup_at": _iso(pickup.calendar, pickup.start), "next_available": _iso(pickup.calendar, first)},
        starts=[pickup.start],
    )


def release(order):
    """Give back the slot and the share of the pickup day that `order` holds (the caller commits)."""
    if order.pickup_at is None:
        return
    day = order.pickup_at.date()
    for item in sorted(order.items, key=lambda item: item.product_id):
        db.session.execute(
            update(ProductDay)
            .where(
                ProductDay.product_id == item.product_id,
                ProductDay.day == day,
                ProductDay.taken >= item.quantity,
            )
            .values(taken=ProductDay.taken - item.quantity)
            .execution_options(synchronize_session=False)
        )
        if item.product.kind == BAKED:
            mark_catalog_changed(db.session)  # that day's "available"
    db.session.execute(
        update(SlotBooking)
        .where(SlotBooking.slot_start == order.pickup_at, SlotBooking.taken > 0)
        .values(taken=SlotBooking.taken - 1)
        .execution_options(synchronize_session=False)
    )
    LOGGER.info("capacity released order_id=%s slot=%s", order.public_id, order.pickup_at.isoformat())


def _candidates(pickup, day):
    """The chosen slot, then (when the bakery chose it) the later ones of the same day that can be booked."""
    yield pickup.start
    if pickup.assigned:
        same_day = takewhile(
            lambda start: start.date() == day,
            pickup.calendar.feasible_slots(calendar_service.now(), pickup.lead, day),
        )
        yield from (start for start in same_day if start > pickup.start)


def _take_from_day(day, lines, products, pickup):
    # One upsert takes every product's share of the day, in product id order (the lock order).
    # A baked product's limit is its planned amount; a stocked one has none (its stock was taken
    # before). A row comes back for every product whose day had room.
    ordered = sorted(lines)
    made_to_order = {pid: lines[pid] for pid in ordered if products[pid].kind == BAKED and products[pid].to_order}
    plans = planned([pid for pid in ordered if products[pid].kind == BAKED and pid not in made_to_order], day)
    params = {"day": day}
    for n, pid in enumerate(ordered):
        params.update({f"product_id_{n}": pid, f"taken_{n}": lines[pid], f"limit_{n}": plans.get(pid)})
    rows = {row.product_id: row for row in _day_upsert(len(ordered)).rows(db.session, params)}
    for product_id in ordered:
        row = rows.get(product_id)
        if row is None or (product_id in plans and row.taken + row.counter_sold - row.adjusted > plans[product_id]):
            _day_refused(product_id, day, lines[product_id], products[product_id], pickup)
    if made_to_order and (full := resources.check_order(day, made_to_order)):
        _day_refused(full.product_id, day, lines[full.product_id], products[full.product_id], pickup, full.resource)
    if plans or made_to_order:
        mark_catalog_changed(db.session)  # what is left of that day changed


def _day_refused(product_id, day, quantity, product, pickup, resource=None):
    """SlotTaken for a product the pickup day has too few of (or, made to order, a `resource` too full for)."""
    db.session.rollback()  # the ledger rows this order took are given back before they are read
    left = max(0, available([product_id], day)[product_id])
    moment = calendar_service.now()
    first = first_free(pickup.calendar, moment, pickup.lead, {product_id: quantity}, {product_id: product}, day)
    next_day = first.date() if first else None
    later = f" — available {day_name(next_day)}" if next_day else ""
    if resource is not None:
        only = f": {left} {product.name} can still be made" if left else ""
        message = f"The {resource.name} is full for {day_name(day)}{only}{later}"
    elif left:
        message = f"Only {left} {product.name} left for {day_name(day)}"
    else:
        message = f"{product.name} is sold out for {day_name(day)}{later}"
    raise SlotTaken(  # the bakery's own choice of day then moves on to one with room
        message,
        {
            "product_id": product_id,
            "day": day.isoformat(),
            "available": left,
            "next_available_day": next_day.isoformat() if next_day else None,
            "requested": quantity,
            "left": left,
            "pickup_at": _iso(pickup.calendar, pickup.start),
            "next_available": _iso(pickup.calendar, first),
            **({"resource": resource.name} if resource is not None else {}),
        },
        starts=[pickup.start],
    )


@cache
def _day_upsert(count):
    """Take `count` products' share of a day in one statement; a row comes back for each that had room
    (a first order for more than the day's amount makes its row over the limit: the caller refuses it)."""
    rows = ", ".join(f"(:product_id_{n}, :day, :taken_{n}, 0, 0)" for n in range(count))
    limits = " ".join(f"WHEN :product_id_{n} THEN CAST(:limit_{n} AS INTEGER)" for n in range(count))
    return HotStatement(
        upsert_text(
            # Placeholders only
            f"INSERT INTO product_days (product_id, day, taken, adjusted, counter_sold) VALUES {rows} "  # nosec B608
            "ON CONFLICT (product_id, day) DO UPDATE SET taken = product_days.taken + excluded.taken "
            "WHERE product_days.taken + product_days.counter_sold + excluded.taken "
            f"<= COALESCE((CASE excluded.product_id {limits} END) + product_days.adjusted, "
            "product_days.taken + product_days.counter_sold + excluded.taken) "
            "RETURNING product_id, taken, adjusted, counter_sold",
            ProductDay.__table__,
        )
    )


# The slot's first order makes its row; later ones take a place while there is room.
SLOT_UPSERT = HotStatement(
    upsert_text(
        "INSERT INTO slot_bookings (slot_start, taken) VALUES (:slot_start, 1) "
        "ON CONFLICT (slot_start) DO UPDATE SET taken = slot_bookings.taken + 1 "
        "WHERE slot_bookings.taken < :capacity RETURNING taken",
        SlotBooking.__table__,
    )
)


def _take_place(start, capacity):
    if capacity < 1:
        return False
    return SLOT_UPSERT.scalar(db.session, {"slot_start": start, "capacity": capacity}) is not None


def first_free(calendar, moment, lead=None, lines=None, products=None, after_day=None, bookings=None, skip=()):
    """The earliest slot that can be booked now and has room (and, for `lines`, enough of each baked
    product on its day), or None; `lead` is the notice the products need (a Lead, or minutes).

    `bookings` ({slot start: taken} from today on, read with the calendar) saves reading them here;
    the slots in `skip` are passed over.
    """
    lines, products = lines or {}, products or {}
    baked = [pid for pid, p in products.items() if getattr(p, "kind", None) == BAKED and lines.get(pid)]
    day, taken, enough = None, {}, True
    first_day = after_day + timedelta(days=1) if after_day else None
    for start in calendar.feasible_slots(moment, lead, first_day):
        if start.date() != day:
            day = start.date()
            taken = bookings if bookings is not None else booked(calendar.slots_on(day))
            left = available(baked, day)
            enough = all(lines[pid] <= left[pid] for pid in baked)
        if enough and taken.get(start, 0) < calendar.capacity_of(start) and start not in skip:
            return start
    return None


def _iso(calendar, moment):
    return calendar.isoformat(moment) if moment else None
