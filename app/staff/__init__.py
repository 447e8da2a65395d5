"""The back office: the staff blueprint `bp`, its routes in views/, and the rules behind them here.

Here: who is logged in (auth, sessions, known_devices), accounts and passwords, the order
board's and the order search's queries, and what a refused stale save shows (conflicts).
The view modules add their routes to `bp` when views/ is imported, last; the factory
registers `staff.bp`.
"""

from flask import Blueprint

from ..audit import local_moment
from .auth import current_staff
from .board import pickup_day

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.add_app_template_filter(pickup_day, "staff_pickup")
bp.add_app_template_filter(local_moment, "audit_time")


@bp.context_processor
def who_is_logged_in():
    """The staff pages' header says who is logged in."""
    return {"staff_user": current_staff()}


# Last, as the view modules need `bp`: importing them adds their routes to it.
from . import views  # noqa: E402

__all__ = ["bp", "views"]
