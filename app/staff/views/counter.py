"""The counter (/staff/counter): a day's baked products, and what was sold, baked more or burnt in the shop.

Each change is a delta on the day's ledger (app/catalog/daily.py: record_counter), so orders
taken meanwhile still count; a sale of more than is left is refused at its field.
"""

import logging
from dataclasses import dataclass

from flask import request, url_for

from ...bakery_calendar import service as calendar_service
from ...bakery_calendar.service import load_calendar, parse_day
from ...catalog import daily, editing
from ...catalog.service import all_products, get_any_product
from ...exceptions import Invalid
from ...web.negotiation import respond, respond_after_write
from .. import bp
from ..auth import current_staff, staff_required
from .lists import DaySwitch
from .shared import submitted

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class CounterSwitch(DaySwitch):
    """The day switcher, kept to the days orders can be taken for."""

    last: object = None

    @property
    def previous(self):
        return super().previous if self.day and self.day > self.today else None

    @property
    def next(self):
        return super().next if self.day and self.last and self.day < self.last else None


def _switch(day=None):
    moment = calendar_service.now()
    return CounterSwitch(day, moment.date(), request.args.get("date") or "", load_calendar().last_day(moment))


def _day(text):
    """A day from today to the booking horizon (today when none is given); Invalid otherwise."""
    if text in (None, ""):
        return calendar_service.now().date()
    return parse_day(text, load_calendar(), field="date")


@bp.get("/counter")
@staff_required
def counter():
    try:
        day = _day(request.args.get("date"))
    except Invalid as error:
        data = {"error": error.message, "details": error.details or {}}
        return respond(data, "staff/counter.html", status=422, block="counter", error=error, switch=_switch(), rows=[])
    return _page(day, saved=request.args.get("saved", type=int))


@bp.post("/counter/<id:product_id>")
@staff_required
def counter_change(product_id):
    """Record a sale at the counter, a second batch or a burnt tray for a product and a day."""
    form = submitted("date", "change", "amount", "reason")
    product = get_any_product(product_id)
    try:
        day = _day(form.get("date"))
    except Invalid as error:
        data = {"error": error.message, "details": error.details or {}}
        return respond(data, "staff/counter.html", status=422, block="counter", error=error, switch=_switch(), rows=[])
    try:
        change = daily.parse_counter_change(form.get("change"))
        amount = daily.parse_counter_amount(form.get("amount"))
        reason = editing.parse_reason(form.get("reason"))
        now = daily.record_counter(product, day, change, amount, reason, actor=current_staff())
    except Invalid as refused:
        return _page(day, status=422, refused=refused, edited=product.id, typed=form)
    LOGGER.info(
        "staff counter change product_id=%s day=%s change=%s amount=%d by=%s",
        product.id,
        day.isoformat(),
        change,
        amount,
        current_staff().username,
    )
    return respond_after_write(
        now.to_dict(),
        "staff/counter.html",
        url_for("staff.counter", date=day.isoformat(), saved=product.id, _anchor=f"counter-{product.id}"),
        block="counter",
        **_context(day, saved=product.id),
    )


def _context(day, **extra):
    return {"day": day, "rows": daily.counter_days(all_products(), day), "switch": _switch(day), **extra}


def _page(day, status=200, refused=None, **extra):
    context = _context(day, **extra)
    if refused is not None:
        data = {"error": refused.message, "details": refused.details or {}}
        context["errors"] = refused.details or {}
        context["problem"] = refused.message
    else:
        data = [row.to_dict() for row in context["rows"]]
    return respond(data, "staff/counter.html", status=status, block="counter", **context)
