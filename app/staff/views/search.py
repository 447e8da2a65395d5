"""Finding any order (/staff/orders/search): by code, name, contact or order id, status and days."""

from flask import request

from ...exceptions import Invalid
from ...orders.days import order_day
from ...web.negotiation import respond, wants_json
from .. import bp, search
from ..auth import staff_required


@bp.get("/orders/search")
@staff_required
def order_search():
    """Find orders by code, name, contact or order id, status and days; every order when nothing is asked."""
    criteria, errors = search.parse_criteria(request.args)
    if errors:
        if wants_json():
            raise Invalid("Please check the search", errors)
        return respond({}, "staff/search.html", status=422, block="search", **_search_context(criteria, errors))
    found = search.search_orders(criteria)
    data = {
        "orders": [order_json(order) for order in found.orders],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "per_page": found.per_page,
    }
    return respond(data, "staff/search.html", block="search", results=found, **_search_context(criteria))


def _search_context(criteria, errors=None):
    return {
        "criteria": criteria,
        "errors": errors or {},
        "status_choices": search.STATUS_CHOICES,
        "order_day": order_day,
    }


def order_json(order):
    """An order as the search answers it: the customer's view plus who it is for and the day it belongs to."""
    return {
        **order.to_dict(),
        "day": order_day(order).isoformat(),
        "customer_name": order.customer_name,
        "customer_contact": order.customer_contact,
        "note": order.note,
    }
