"""No-shows: orders that were not collected by the end of their pickup day.

Staff mark one at the counter once its pickup day has begun; `flask mark-no-shows` marks the
rest of past days in bulk. A no-show keeps its stock taken (the bread was baked) and sends no
email: the customer did not come, and there is nothing left for them to do.
"""

import logging

from sqlalchemy import select

from ..exceptions import Conflict, Invalid
from ..extensions import db
from ..models import NO_SHOW, PROCESSING, READY, Order
from .days import before, on_days, order_day
from .service import change_status, get_order

LOGGER = logging.getLogger(__name__)
# Pending orders have not reached the kitchen yet: they are the queue's problem, not a no-show.
NO_SHOW_FROM = (PROCESSING, READY)


def mark_no_show(public_id, today, only_from=NO_SHOW_FROM, actor=None):
    """Mark one order a no-show; Conflict before its pickup day or from any status but Ready/Processing
    (narrowed further by `only_from`: the status staff saw on the board)."""
    order = get_order(public_id)
    if order_day(order) > today:
        db.session.rollback()
        raise Conflict(f"Order {order.code} is for {order_day(order):%a %d %b}: it can't be a no-show before its day")
    return change_status(public_id, NO_SHOW, only_from=tuple(s for s in NO_SHOW_FROM if s in only_from), actor=actor)


def mark_no_shows(today, day=None):
    """Mark every order of `day` (default: every day before `today`) still Ready or Processing a no-show.

    Returns the codes marked. Each is its own conditional update, so an order collected meanwhile stays collected.
    """
    if day is not None and day >= today:
        raise Invalid("Only past days can have no-shows: choose a day before today", {"date": "not in the past"})
    where = on_days(day) if day is not None else before(today)
    candidates = db.session.execute(
        select(Order.public_id, Order.code).where(where, Order.status.in_(NO_SHOW_FROM)).order_by(Order.id)
    ).all()
    db.session.rollback()  # end the read: each change below is its own transaction
    marked = []
    for public_id, code in candidates:
        try:
            change_status(public_id, NO_SHOW, only_from=NO_SHOW_FROM)
        except Conflict:
            LOGGER.info("no-show skipped, the order moved meanwhile order_id=%s", public_id)
            continue
        marked.append(code)
    LOGGER.info("no-shows marked count=%d day=%s", len(marked), day or "before %s" % today)
    return marked
