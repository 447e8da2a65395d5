"""The staff blueprint and what its view modules (views, catalogue, board, lists, reports, accounts…) share."""

from flask import Blueprint, request

from ..audit import local_moment
from ..exceptions import Malformed
from ..web.json_fields import refuse_unknown_fields
from .auth import current_staff
from .service import pickup_day

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.add_app_template_filter(pickup_day, "staff_pickup")
bp.add_app_template_filter(local_moment, "audit_time")


@bp.context_processor
def who_is_logged_in():
    """The staff pages' header says who is logged in."""
    return {"staff_user": current_staff()}


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
    """A product as staff see it in JSON: the shop's fields plus stock and whether it is on sale."""
    return {
        **product.to_dict(),
        "stock": product.stock,
        "active": product.active,
        "daily_quota": product.daily_quota,
        "lead_hours": product.lead_hours,
        "version": product.version,
    }
