"""The Ovens page (/staff/resources): what a day's baking shares (an oven's trays, a proofer's racks),
how full each is over a week, and adding, changing or removing one. What a product's batch uses of
each is on the product form."""

import logging
from datetime import timedelta

from flask import request, url_for

from ...bakery_calendar import service as calendar_service
from ...bakery_calendar.service import load_calendar, parse_day
from ...catalog import resources
from ...exceptions import Invalid
from ...web.negotiation import respond, respond_after_write, wants_json
from .. import bp
from ..auth import current_staff, staff_required
from .shared import submitted

LOGGER = logging.getLogger(__name__)
PAGE = "staff/resources.html"
WEEK = 7
FIELDS = ("name", "unit", "per_day")


@bp.get("/resources")
@staff_required
def resources_page():
    """The resources, each with its load on the week from ?date= (today by default)."""
    try:
        first = _first_day(request.args.get("date"))
    except Invalid as error:
        if wants_json():
            raise
        return _page(calendar_service.now().date(), status=422, day_error=error.message)
    return _page(first, saved=request.args.get("saved", type=int))


@bp.post("/resources")
@staff_required
def resource_add():
    form = submitted(*FIELDS)
    try:
        resource = resources.save_resource(form, actor=current_staff())
    except Invalid as refused:
        if wants_json():
            raise
        return _page(_today(), status=422, add_errors=refused.details or {}, add_values=form)
    LOGGER.info("staff added resource resource_id=%s by=%s", resource.id, current_staff().username)
    return _after_write(resource, status=201)


@bp.post("/resources/<id:resource_id>")
@staff_required
def resource_edit(resource_id):
    form = submitted(*FIELDS)
    try:
        resource = resources.save_resource(form, resource_id, actor=current_staff())
    except Invalid as refused:
        if wants_json():
            raise
        return _page(_today(), status=422, edited=resource_id, edit_errors=refused.details or {}, edit_values=form)
    LOGGER.info("staff changed resource resource_id=%s by=%s", resource.id, current_staff().username)
    return _after_write(resource)


@bp.post("/resources/<id:resource_id>/delete")
@staff_required
def resource_delete(resource_id):
    resources.delete_resource(resource_id, actor=current_staff())
    LOGGER.info("staff removed resource resource_id=%s by=%s", resource_id, current_staff().username)
    return respond_after_write(
        {"removed": resource_id}, PAGE, url_for("staff.resources_page"), block="resources", **_context(_today())
    )


def _today():
    return calendar_service.now().date()


def _first_day(text):
    """The week's first day: today when none is given; a day from today to the booking horizon otherwise."""
    if text in (None, ""):
        return _today()
    return parse_day(text, load_calendar(), field="date")


def _after_write(resource, status=200):
    return respond_after_write(
        resource_json(resource),
        PAGE,
        url_for("staff.resources_page", saved=resource.id, _anchor=f"resource-{resource.id}"),
        block="resources",
        status=status,
        **_context(_today(), saved=resource.id),
    )


def resource_json(resource):
    return {"id": resource.id, "name": resource.name, "unit": resource.unit, "per_day": resource.per_day}


def _context(first, **extra):
    days = [first + timedelta(days=offset) for offset in range(WEEK)]
    kept = resources.all_resources()
    week = {day: {load.resource.id: load for load in resources.day_loads(day, kept)} for day in days}
    return {
        "resources": kept,
        "days": days,
        "week": week,
        "first": first,
        "users": resources.users_of([r.id for r in kept]),
        **extra,
    }


def _page(first, status=200, **extra):
    context = _context(first, **extra)
    data = [
        {**resource_json(r), "days": [context["week"][day][r.id].to_dict() for day in context["days"]]}
        for r in context["resources"]
    ]
    return respond(data, PAGE, status=status, block="resources", **context)
