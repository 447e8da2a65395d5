"""The owner's pages that keep the calendar: weekly hours, closed days, special hours and slot capacity."""

import logging
from datetime import date, time

from flask import request, url_for

from ...bakery_calendar import service as calendar
from ...bakery_calendar.formatting import clock, weekday_name
from ...catalog.editing import original_values
from ...exceptions import Invalid, NotFound, Stale
from ...form_values import truthy
from ...web.negotiation import respond, respond_after_write, wants_json
from .. import bp
from ..auth import current_staff, owner_required
from ..conflicts import differences, original_field
from .shared import submitted

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
# The fields each form sends, and the calendar's version and values it was loaded with (a JSON
# caller's other members are refused by name).
LOADED_WITH = ("version", "original")
FIELDS = {
    "hours": (*(f"{field}-{day}" for day in range(7) for field in ("open", "opens", "closes")), *LOADED_WITH),
    "closures": ("first_day", "last_day", "note", *LOADED_WITH),
    "special": ("day", "opens", "closes", *LOADED_WITH),
    "capacity": ("capacity", *LOADED_WITH),
    "overrides": ("day", "time", "capacity", *LOADED_WITH),
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
    except Stale as stale:
        return _stale(section, stale, form)
    except Invalid as refused:
        if wants_json():
            raise
        return _page(status=422, failed=section, errors=refused.details or {}, values=form)
    LOGGER.info("staff changed the calendar section=%s by=%s", section, current_staff().username)
    return _saved(section)


@bp.post("/calendar/closures/<id:closure_id>/delete")
@owner_required
def closure_delete(closure_id):
    try:
        calendar.delete_closure(closure_id, submitted("version").get("version"))
    except Stale as stale:
        return _stale("closures", stale)
    return _saved("closures")


@bp.post("/calendar/special/<day>/delete")
@owner_required
def special_delete(day):
    try:
        calendar.delete_special_hours(_day(day), submitted("version").get("version"))
    except Stale as stale:
        return _stale("special", stale)
    return _saved("special")


@bp.post("/calendar/overrides/<day>/delete")
@owner_required
def override_delete(day):
    form = submitted("time", "version")
    at = form.get("time") or None
    try:
        slot = time.fromisoformat(at) if at else None
    except ValueError:
        raise NotFound("No such capacity override") from None
    try:
        calendar.delete_capacity_override(_day(day), slot, form.get("version"))
    except Stale as stale:
        return _stale("overrides", stale)
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
        conflict={},
        version=overview.version,
        originals=_originals(overview),
    )


def _stale(section, stale, form=None):
    """The page again at 409 with the calendar as it is now, what changed since it was opened and what was not saved.

    The forms that show the calendar's values (hours, capacity) show the current ones, so
    that saving again cannot undo the other change; the forms that add something keep
    what was typed.
    """
    form = form if form is not None else {}
    overview = calendar.staff_overview()
    if wants_json():
        return respond({"error": stale.message, "current": _json(overview)}, PAGE, status=409)
    labels, current, typed = {}, {}, {}
    if section == "hours":
        labels = {f"day-{day}": weekday_name(day) for day in range(7)}
        current, typed = _days(_hours_fields(overview)), _days(form)
    elif section == "capacity":
        labels, current = {"capacity": "Orders per slot"}, {"capacity": str(overview.capacity)}
        typed = {"capacity": str(form.get("capacity", "")).strip()} if "capacity" in form else {}
    original = original_values(form)
    found = differences(labels, _days(original) if section == "hours" else original, current, typed)
    keeps_typed = section not in ("hours", "capacity")
    return _page(
        status=409,
        failed=section if keeps_typed else None,
        values=form if keeps_typed else {},
        conflict={"section": section, "message": stale.message, "differences": found},
    )


def _originals(overview, sent=None, section=None):
    """What the hours and capacity forms are loaded with, sent back as `original`: a stale save then says what moved.

    `sent`: the form sent back to fix a typo, whose own `original` stays.
    """
    loaded = {
        "hours": original_field(_hours_fields(overview)),
        "capacity": original_field({"capacity": str(overview.capacity)}),
    }
    if sent and sent.get("original") and section in loaded:
        loaded[section] = sent.get("original")
    return loaded


def _hours_fields(overview):
    """The weekly hours form's fields as it shows them (and sends back as `original`)."""
    fields = {}
    for day, hours in overview.week_rows:
        fields |= {
            f"open-{day}": "1" if hours else "",
            f"opens-{day}": clock(hours[0]) if hours else "",
            f"closes-{day}": clock(hours[1]) if hours else "",
        }
    return fields


def _days(fields):
    """{"day-N": "07:00–18:30" or "closed"} from the hours form's fields."""
    shown = {}
    for day in range(7):
        if not truthy(fields.get(f"open-{day}")):
            shown[f"day-{day}"] = "closed"
        else:
            opens, closes = (str(fields.get(f"{end}-{day}", "")).strip() for end in ("opens", "closes"))
            shown[f"day-{day}"] = f"{opens}–{closes}"
    return shown


def _page(status=200, saved=None, failed=None, errors=None, values=None, conflict=None):
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
        conflict=conflict or {},
        # A form sent back to fix a typo keeps the version and values it was loaded with.
        version=(values or {}).get("version", "") if status == 422 else overview.version,
        originals=_originals(overview, values if status == 422 else None, failed),
    )


def _json(overview):
    def clock(value):
        return value.strftime("%H:%M") if value else None

    return {
        "version": overview.version,
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
