"""The owner's pages that keep the calendar: weekly hours, closed days, special hours and slot capacity."""

import logging
from datetime import date, time

from flask import request, url_for

from ..calendar import service as calendar
from ..exceptions import Invalid, NotFound
from ..negotiation import respond, respond_after_write, wants_json
from .auth import current_staff, owner_required
from .blueprint import bp, submitted

LOGGER = logging.getLogger(__name__)
PAGE = "staff/calendar.html"
# Each form on the page: what it changes, and the anchor the page returns to after saving.
CHANGES = {
    "hours": calendar.set_weekly_hours,
    "closures": calendar.add_closure,
    "special": calendar.set_special_hours,
    "capacity": calendar.set_default_capacity,
    "overrides": calendar.set_capacity_override,
}
# The fields each form sends (a JSON caller's other members are refused by name).
FIELDS = {
    "hours": tuple(f"{field}-{day}" for day in range(7) for field in ("open", "opens", "closes")),
    "closures": ("first_day", "last_day", "note"),
    "special": ("day", "opens", "closes"),
    "capacity": ("capacity",),
    "overrides": ("day", "time", "capacity"),
}


@bp.get("/calendar")
@owner_required
def calendar_page():
    return _page(saved=request.args.get("saved"))


@bp.post("/calendar/<any(hours, closures, special, capacity, overrides):section>")
@owner_required
def calendar_change(section):
    """Save one of the page's forms; 422 with a message at each field that is wrong."""
    form = submitted(*FIELDS[section])
    try:
        CHANGES[section](form)
    except Invalid as refused:
        if wants_json():
            raise
        return _page(status=422, failed=section, errors=refused.details or {}, values=form)
    LOGGER.info("staff changed the calendar section=%s by=%s", section, current_staff().username)
    return _saved(section)


@bp.post("/calendar/closures/<id:closure_id>/delete")
@owner_required
def closure_delete(closure_id):
    calendar.delete_closure(closure_id)
    return _saved("closures")


@bp.post("/calendar/special/<day>/delete")
@owner_required
def special_delete(day):
    calendar.delete_special_hours(_day(day))
    return _saved("special")


@bp.post("/calendar/overrides/<day>/delete")
@owner_required
def override_delete(day):
    at = submitted("time").get("time") or None
    try:
        slot = time.fromisoformat(at) if at else None
    except ValueError:
        raise NotFound("No such capacity override") from None
    calendar.delete_capacity_override(_day(day), slot)
    return _saved("overrides")


def _day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NotFound("No such day") from None


def _saved(section):
    overview = calendar.staff_overview()
    return respond_after_write(
        _json(overview),
        PAGE,
        url_for("staff.calendar_page", saved=section, _anchor=section),
        block="calendar",
        overview=overview,
        saved=section,
        errors={},
        failed=None,
        values={},
    )


def _page(status=200, saved=None, failed=None, errors=None, values=None):
    overview = calendar.staff_overview()
    data = {"error": "Please check the highlighted fields", "details": errors} if errors else _json(overview)
    return respond(
        data,
        PAGE,
        status=status,
        block="calendar",
        overview=overview,
        saved=saved,
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


def _json(overview):
    def clock(value):
        return value.strftime("%H:%M") if value else None

    return {
        "weekly_hours": [
            {"weekday": day, "opens": clock(hours[0]) if hours else None, "closes": clock(hours[1]) if hours else None}
            for day, hours in overview.week_rows
        ],
        "closures": [
            {"id": c.id, "first_day": c.first_day.isoformat(), "last_day": c.last_day.isoformat(), "note": c.note}
            for c in overview.closures
        ],
        "special_hours": [
            {"day": s.day.isoformat(), "opens": clock(s.opens), "closes": clock(s.closes)} for s in overview.special
        ],
        "slot_capacity": overview.capacity,
        "day_capacities": [{"day": d.day.isoformat(), "capacity": d.capacity} for d in overview.day_overrides],
        "slot_capacities": [
            {"start": s.slot_start.isoformat(), "capacity": s.capacity} for s in overview.slot_overrides
        ],
    }
