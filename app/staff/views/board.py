"""The order board (/staff/orders): a day's orders, moving them on at the counter, and the new-orders badge."""

import logging

from flask import current_app, jsonify, request, session, url_for

from ... import audit
from ...bakery_calendar import service as calendar_service
from ...exceptions import DomainError, Invalid, NotFound
from ...models import CANCELLED, COMPLETED, NO_SHOW, ORDER_STATUSES, PROCESSING, READY
from ...orders.days import order_day, parse_board_day
from ...orders.no_show import mark_no_show
from ...orders.service import change_status, get_order
from ...web.errors import status_for
from ...web.negotiation import is_htmx, respond, see_other, wants_json, wants_redirect
from .. import board, bp
from ..auth import current_staff, staff_required
from .lists import bake_json
from .shared import submitted

LOGGER = logging.getLogger(__name__)
# Failed is the worker's verdict, not a button; Pending is where orders start.
STAFF_MOVES = (PROCESSING, READY, COMPLETED, CANCELLED, NO_SHOW)
# The newest order this staff member has seen on the board, for the "N new" badge and title.
SEEN_KEY = "board_seen_order_id"


@bp.get("/orders")
@staff_required
def orders():
    """A day's board (?date=YYYY-MM-DD; by default today until closing, then the next opening day)."""
    asked = request.args.get("date")
    try:
        day = board.chosen_day(asked)
    except Invalid as refused:
        if wants_json():
            raise
        return _board(board.default_day(), status=422, date_error=refused.message, date_value=asked[:40])
    return _board(day)


@bp.post("/orders/<order_id>/status")
@staff_required
def order_status(order_id):
    """Move an order on; the board (or the order, for JSON) comes back, or a readable refusal.

    `from` is the status the board showed: a move made on a stale board is refused, not applied.
    A plain browser confirms "Collected" on a page of its own (htmx asks with hx-confirm).
    """
    form = submitted("status", "from", "reason", "confirmed", "date")
    new_status = form.get("status")
    try:
        if new_status not in STAFF_MOVES:
            raise Invalid("Choose what the order should become: Processing, Ready, Completed, No-show or Cancelled")
        seen = _status_seen(form.get("from"))
        if new_status == COMPLETED and wants_redirect() and form.get("confirmed") != "yes":
            order = get_order(order_id)
            if order.status == READY:
                return respond({}, "staff/confirm_collected.html", order=order, day=order_day(order))
        order = _move(order_id, new_status, seen, form.get("reason"))
    except DomainError as refused:
        if wants_json():
            raise
        return _board(_day_shown(form, order_id), error=refused.message, status=status_for(refused))
    LOGGER.info("staff moved order order_id=%s to=%s by=%s", order.public_id, order.status, current_staff().username)
    day = order_day(order)
    if wants_redirect():
        return see_other(url_for("staff.orders", date=day.isoformat(), _anchor=f"order-{order.public_id}"))
    return jsonify(order.to_dict()) if wants_json() else _board(day)


def _move(order_id, new_status, seen, reason):
    """The move itself: a no-show has its own rule (not before the pickup day), the rest is the lifecycle's."""
    if new_status == NO_SHOW:
        return mark_no_show(
            order_id, calendar_service.now().date(), only_from=seen or ORDER_STATUSES, actor=current_staff()
        )
    reason = board.cancel_reason(reason) if new_status == CANCELLED else None
    return change_status(order_id, new_status, reason=reason, only_from=seen, actor=current_staff())


def _day_shown(form, order_id):
    """The board's day to answer a refusal on: the one the form came from, else the order's, else the default."""
    day = parse_board_day(form.get("date"))
    if day is None:
        try:
            day = order_day(get_order(order_id))
        except NotFound:
            day = board.default_day()
    return day


def _status_seen(value):
    """The `from` field: None when not sent, else a one-status tuple; Invalid for an unknown status."""
    if value is None or value == "":
        return None
    if value not in ORDER_STATUSES:
        raise Invalid("That is not a status an order can be in", {"from": "unknown status"})
    return (value,)


def _board(day, error=None, status=200, **context):
    shown = board.order_board(day)
    latest = board.latest_order_id()
    if session.get(SEEN_KEY) != latest:
        session[SEEN_KEY] = latest
    data = (
        {"error": error}
        if error
        else {
            "date": day.isoformat(),
            **{column: [o.to_dict() for o in getattr(shown, column)] for column in ("todo", "ready", "done")},
            "to_bake": bake_json(shown.to_bake),
        }
    )
    # Who moved each card and why, for the audit trail on the card: one query for the board.
    trails = audit.histories("order", [o.public_id for o in (*shown.todo, *shown.ready, *shown.done)])
    return respond(
        data,
        "staff/orders.html",
        status=status,
        block="board",
        board=shown,
        audit_trails=trails,
        error=error,
        new_count=0,
        page_title=_title(0),
        **context,
    )


def _title(new_count):
    """The board's title: "(3) Orders – Crumb & Co." while 3 orders arrived unseen, so the tab shows it."""
    name = current_app.config["BAKERY_NAME"]
    return f"({new_count}) Orders – {name}" if new_count else f"Orders – {name}"


@bp.get("/orders/new")
@staff_required
def new_orders():
    """How many orders arrived since this staff member last looked at the board: the polled badge and title."""
    if not (is_htmx() or wants_json()):
        return see_other(url_for("staff.orders"))
    count = board.new_orders_since(session.get(SEEN_KEY))
    return respond(
        {"new_orders": count}, "staff/orders.html", block="new_orders", new_count=count, page_title=_title(count)
    )
