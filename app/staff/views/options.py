"""A product's options (/staff/products/<id>/options): JSON to list, add and change options and their
choices, and a plain page that lists them. Switching an option or a choice off keeps past orders as they were."""

import logging

from flask import request, url_for

from ...catalog import options
from ...catalog.options import CHOICE_FIELDS, OPTION_FIELDS
from ...exceptions import Invalid
from ...web.negotiation import respond, respond_after_write, wants_json
from .. import bp
from ..auth import current_staff, staff_required
from .shared import submitted

LOGGER = logging.getLogger(__name__)
PAGE = "staff/options.html"


# One route for both methods: with two, a POST to an id out of range would be a 405 (Werkzeug
# notes the GET route's method before it checks the id), where it is a 404.
@bp.route("/products/<id:product_id>/options", methods=("GET", "POST"))
@staff_required
def product_options(product_id):
    """The product's options (GET); posting adds one."""
    if request.method == "GET":
        return _page(options.product_options(product_id))
    form = submitted(*OPTION_FIELDS)
    return _write(product_id, lambda: options.create_option(product_id, form, actor=current_staff()), 201)


@bp.post("/products/<id:product_id>/options/<id:option_id>")
@staff_required
def option_edit(product_id, option_id):
    form = submitted(*OPTION_FIELDS)
    return _write(product_id, lambda: options.edit_option(product_id, option_id, form, actor=current_staff()))


@bp.post("/products/<id:product_id>/options/<id:option_id>/choices")
@staff_required
def choice_add(product_id, option_id):
    form = submitted(*CHOICE_FIELDS)
    return _write(
        product_id, lambda: options.add_choice(product_id, option_id, form, actor=current_staff()).option, 201
    )


@bp.post("/products/<id:product_id>/options/<id:option_id>/choices/<id:choice_id>")
@staff_required
def choice_edit(product_id, option_id, choice_id):
    form = submitted(*CHOICE_FIELDS)
    return _write(
        product_id, lambda: options.edit_choice(product_id, option_id, choice_id, form, actor=current_staff()).option
    )


def _write(product_id, change, status=200):
    """Make `change` (returning the option changed); JSON gets the option, a form the page again."""
    try:
        option = change()
    except Invalid as refused:
        if wants_json():
            raise
        return _page(options.product_options(product_id), status=422, error=refused.message, errors=refused.details)
    LOGGER.info(
        "staff changed options product_id=%s option_id=%s by=%s", product_id, option.id, current_staff().username
    )
    return respond_after_write(
        options.option_json(option),
        PAGE,
        url_for("staff.product_options", product_id=product_id, _anchor=f"option-{option.id}"),
        block="options",
        status=status,
        product=option.product,
    )


def _page(product, status=200, **extra):
    data = {"product_id": product.id, "options": [options.option_json(option) for option in product.option_rows]}
    return respond(data, PAGE, status=status, block="options", product=product, **extra)
