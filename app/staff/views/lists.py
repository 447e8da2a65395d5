"""The bake list and the pick list of a day: pages that print on A4, JSON and CSV on the same routes."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import render_template, request

from ...bakery_calendar import service as calendar_service
from ...bakery_calendar.formatting import clock, local_isoformat
from ...bakery_calendar.service import load_calendar
from ...catalog.allergens import ALLERGENS
from ...exceptions import Invalid
from ...orders import lists
from ...orders.days import FIRST_DAY, LAST_DAY, board_day
from ...reports.ranges import day_or_default
from ...web.csv_export import csv_response, wants_csv
from ...web.negotiation import html_page, respond
from .. import bp
from ..auth import staff_required

BAKE_COLUMNS = ("date", "category", "product_id", "product", "quantity", "orders", "ordered", "for_counter", "batches")
PICK_COLUMNS = (
    "date",
    "pickup",
    "code",
    "status",
    "customer_name",
    "customer_contact",
    "product",
    "quantity",
    "contains",
    "may_contain",
    "note",
)
GROUPINGS = {"": False, "product": False, "slot": True}
# The pick list shows the orders still to hand over; ?show=all adds the collected, cancelled and no-show ones.
SHOWING = {"": False, "all": True}


@dataclass(frozen=True)
class DaySwitch:
    """The day shown and its neighbours, for the previous / today / next links and the date field."""

    day: date | None
    today: date
    typed: str = ""

    @property
    def previous(self):
        return self.day - timedelta(days=1) if self.day and self.day > FIRST_DAY else None

    @property
    def next(self):
        return self.day + timedelta(days=1) if self.day and self.day < LAST_DAY else None


def answer_page(data, template, block, **context):
    """`respond`, except that htmx restoring its history (a cache miss) gets the whole page it needs."""
    if request.headers.get("HX-History-Restore-Request") == "true":
        return html_page(render_template(template, **context))
    return respond(data, template, block=block, **context)


def refused(template, block, error, **context):
    """The page again at 422 with the message at its field; JSON callers get {"error", "details"}."""
    data = {"error": error.message, "details": error.details or {}}
    return respond(data, template, status=422, block=block, error=error, **context)


def _check_format():
    if request.args.get("format") not in (None, "", "csv"):
        raise Invalid("Ask for format=csv, or leave the format out", {"format": "Use csv"})


def _day_asked():
    """The day in ?date=, or the board's day (today until closing, then the next opening day)."""
    _check_format()
    return day_or_default(request.args.get("date"), board_day(load_calendar(), calendar_service.now()))


def _switch(day=None):
    return DaySwitch(day, calendar_service.now().date(), request.args.get("date") or "")


def _grouping():
    by = request.args.get("by") or ""
    if by not in GROUPINGS:
        raise Invalid("Group the bake list by product or by slot", {"by": "Use product or slot"})
    return by


@bp.get("/bake-list")
@staff_required
def bake_list():
    try:
        day, by = _day_asked(), _grouping()
    except Invalid as error:
        return refused(
            "staff/bake_list.html",
            "bake_list",
            error,
            switch=_switch(),
            bake=None,
            made_at=calendar_service.now(),
            by="",
        )
    bake = lists.bake_list(day, by_slot=GROUPINGS[by])
    if wants_csv():
        header = BAKE_COLUMNS[:1] + (("slot",) if bake.by_slot else ()) + BAKE_COLUMNS[1:]
        return csv_response(f"bake-list-{day}.csv", header, _bake_rows(bake))
    return answer_page(
        bake_json(bake),
        "staff/bake_list.html",
        "bake_list",
        bake=bake,
        switch=_switch(day),
        made_at=calendar_service.now(),
        by=by,
    )


def _slot(line):
    return clock(line.slot) if line.slot else ""


def _bake_rows(bake):
    for line in (*bake.lines, *bake.counter_lines):
        slot = (_slot(line),) if bake.by_slot else ()
        yield (
            bake.day.isoformat(),
            *slot,
            line.category or "",
            line.product_id,
            line.product,
            line.to_bake,
            line.orders,
            line.ordered,
            line.for_counter,
            "" if line.batches is None else line.batches,
        )


def bake_json(bake):
    """The bake list in JSON: one entry per line with the same fields as the CSV's columns, and the resources' load.
    By slot, the counter's lines have "slot": "counter"."""

    def line_json(line, slot=None):
        return {
            **({"slot": slot or _slot(line) or None} if bake.by_slot else {}),
            "category": line.category,
            "product_id": line.product_id,
            "product": line.product,
            "quantity": line.to_bake,
            "orders": line.orders,
            "ordered": line.ordered,
            "for_counter": line.for_counter,
            "batches": line.batches,
        }

    return {
        "date": bake.day.isoformat(),
        "by": "slot" if bake.by_slot else "product",
        "orders": bake.order_count,
        "total_quantity": bake.total_quantity,
        "lines": [line_json(line) for line in bake.lines] + [line_json(line, "counter") for line in bake.counter_lines],
        "resources": [load.to_dict() for load in bake.loads],
    }


def _showing():
    show = request.args.get("show") or ""
    if show not in SHOWING:
        raise Invalid("Ask for show=all, or leave it out for the orders still to hand over", {"show": "Use all"})
    return SHOWING[show]


@bp.get("/pick-list")
@staff_required
def pick_list():
    try:
        day, show_all = _day_asked(), _showing()
    except Invalid as error:
        return refused(
            "staff/pick_list.html", "pick_list", error, switch=_switch(), pick=None, made_at=calendar_service.now()
        )
    pick = lists.pick_list(day, show_all=show_all)
    if wants_csv():
        return csv_response(f"pick-list-{day}.csv", PICK_COLUMNS, _pick_rows(day, pick.orders))
    data = {
        "date": day.isoformat(),
        "show": "all" if show_all else "to_hand_over",
        "hidden": pick.hidden,
        "orders": [pick_json(order) for order in pick.orders],
    }
    return answer_page(
        data, "staff/pick_list.html", "pick_list", pick=pick, switch=_switch(day), made_at=calendar_service.now()
    )


def pick_json(order):
    """One order of the pick list in JSON, its items with their allergens."""
    return {
        "order_id": order.public_id,
        "code": order.code,
        "status": order.status,
        "pickup_at": local_isoformat(order.pickup_at),
        "customer_name": order.customer_name,
        "customer_contact": order.customer_contact,
        "note": order.note,
        "total": order.total,
        "items": [item.to_dict() for item in order.items],
    }


def _words(codes):
    return ", ".join(ALLERGENS.get(code, code) for code in codes)


def _pick_rows(day, orders):
    for order in orders:
        pickup = clock(order.pickup_at) if order.pickup_at else ""
        for item in order.items:
            yield (
                day.isoformat(),
                pickup,
                order.code,
                order.status,
                order.customer_name or "",
                order.customer_contact or "",
                item.product_name,
                item.quantity,
                _words(item.product.allergens),
                _words(item.product.may_contain),
                order.note or "",
            )
