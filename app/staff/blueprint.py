"""The staff blueprint and what its two view modules (views.py, catalogue.py) share."""

from urllib.parse import urlencode

from flask import Blueprint, current_app, request, url_for

from .auth import current_staff
from .service import pickup_day

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.add_app_template_filter(pickup_day, "staff_pickup")
# The bake and pick lists and the reports are built on a parallel branch: until their views are
# here, the paths the issue fixes for them stand in, so the menu and the board link to them already.
PLANNED_PAGES = {
    "staff.bake_list": "/staff/bake-list",
    "staff.pick_list": "/staff/pick-list",
    "staff.reports": "/staff/reports",
}


@bp.app_template_global()
def staff_page_url(endpoint, **values):
    """url_for(endpoint) for a staff page, also for one that is still on its way (PLANNED_PAGES)."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    query = urlencode({key: value for key, value in values.items() if value is not None})
    return PLANNED_PAGES[endpoint] + (f"?{query}" if query else "")


@bp.context_processor
def who_is_logged_in():
    """The staff pages' header says who is logged in."""
    return {"staff_user": current_staff()}


def submitted():
    """The form, or the JSON object an API caller sent (anything else counts as empty)."""
    if not request.is_json:
        return request.form
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else {}


def product_json(product):
    """A product as staff see it in JSON: the shop's fields plus stock and whether it is on sale."""
    return {
        **product.to_dict(),
        "stock": product.stock,
        "active": product.active,
        "daily_quota": product.daily_quota,
        "lead_hours": product.lead_hours,
    }
