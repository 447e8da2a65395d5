"""What the staff view modules share: the form or JSON object sent, and a product as staff see it in JSON."""

from flask import request

from ...bakery_calendar.service import ordering_day
from ...catalog.daily import for_day
from ...exceptions import Malformed
from ...web.json_fields import refuse_unknown_fields


def submitted(*accepted):
    """The form, or the JSON object an API caller sent (no body counts as empty).

    A JSON body that is not an object is Malformed (400); a member not in `accepted` is
    Invalid (422), by name: a misspelt field is never dropped in silence. A form's other
    fields (its CSRF token, its buttons) are not checked.
    """
    if not request.is_json:
        return request.form
    if not request.content_length:
        return {}
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise Malformed("The body must be a JSON object with the form's fields")
    refuse_unknown_fields(payload, accepted, "this request")
    return payload


def product_json(product):
    """A product as staff see it in JSON: the shop's fields (`available` for the day the shop takes
    orders for) plus stock and whether it is on sale."""
    # Unless for_day() has run (a stocked product whose days of notice allow that day cannot tell: again, cheap).
    if (product.baked or product.lead_days) and product.day_left is None and product.notice_from is None:
        for_day([product], ordering_day())
    return {
        **product.to_dict(),
        "stock": product.stock,
        "active": product.active,
        "kind": product.kind,
        # A baked product's amount Monday … Sunday (null: none baked that day).
        "weekday_amounts": [product.weekday_amounts.get(day) for day in range(7)],
        "to_order": product.to_order,
        "batch_size": product.batch_size,
        # What one batch uses of each resource (app/catalog/resources.py), by resource id.
        "uses": [{"resource_id": rid, "per_batch": amount} for rid, amount in sorted(product.per_batch.items())],
        "lead_hours": product.lead_hours,
        "version": product.version,
    }
