"""The staff pages that keep the catalogue: the product form (new and edit) with the dates that differ
from the week, retiring, and categories."""

import logging

from flask import current_app, flash, request, url_for

from ... import audit
from ...bakery_calendar.formatting import day_name
from ...catalog import categories as shelves
from ...catalog import daily, editing, resources
from ...catalog.service import get_any_product
from ...exceptions import Conflict, Invalid, NotFound, Stale
from ...form_values import iso_date
from ...web.errors import status_for
from ...web.negotiation import (
    redirect_after_write,
    respond,
    respond_after_write,
    see_other,
    wants_json,
    wants_redirect,
)
from ...web.uploads import accepts_uploads
from .. import bp
from ..auth import current_staff, staff_required
from ..conflicts import allergen_words, differences, original_field, submitted_version
from .shared import product_json, submitted

LOGGER = logging.getLogger(__name__)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
AMOUNT_FIELDS = editing.AMOUNT_FIELDS
PRODUCT_FORM = "staff/product_form.html"
DAY_AMOUNTS = "day-amounts"  # the product form's section of dates that differ: its id, block and flash category
CATEGORIES = "staff/categories.html"


@bp.route("/products/new", methods=("GET", "POST"))
@staff_required
@accepts_uploads
def product_new():
    """The empty product form; posting it creates the product (303 to the list, 422 at the fields)."""
    if request.method == "GET":
        return _product_form(None, _defaults())
    try:
        product = editing.create_product(submitted(*editing.PRODUCT_FIELDS), *_upload(), actor=current_staff())
    except Invalid as refused:
        return _refused_form(None, refused)
    LOGGER.info("staff created product product_id=%s by=%s", product.id, current_staff().username)
    return redirect_after_write(_saved_location(product), product_json(product), status=201)


@bp.route("/products/<id:product_id>/edit", methods=("GET", "POST"))
@staff_required
@accepts_uploads
def product_edit(product_id):
    """Every field of one product; posting replaces them (the picture only when a new one is chosen)."""
    product = get_any_product(product_id)
    if request.method == "GET":
        return _product_form(product, _current(product))
    form = submitted(*editing.PRODUCT_FIELDS)
    try:
        product = editing.edit_product(
            product_id, form, *_upload(), actor=current_staff(), version=submitted_version(form)
        )
    except Stale as stale:
        return _stale_form(stale, form)
    except Invalid as refused:
        return _refused_form(product, refused)
    LOGGER.info("staff edited product product_id=%s by=%s", product.id, current_staff().username)
    return redirect_after_write(_saved_location(product), product_json(product), status=200)


@bp.post("/products/<id:product_id>/retire")
@staff_required
def product_retire(product_id):
    """Take a product off the shop; it stays in the list (and in past orders) and can go back on sale."""
    product = editing.retire_product(product_id, actor=current_staff())
    LOGGER.info("staff retired product product_id=%s by=%s", product.id, current_staff().username)
    return redirect_after_write(_saved_location(product), product_json(product), status=200)


@bp.post("/products/<id:product_id>/days")
@staff_required
def product_day_set(product_id):
    """Bake another amount on one date (a date that has one already gets the new one)."""
    form = submitted(*editing.DAY_AMOUNT_FIELDS)
    try:
        changed = editing.set_date_amount(product_id, form, actor=current_staff())
    except (Invalid, Conflict) as refused:
        return _refused_days(product_id, refused, form)
    LOGGER.info("staff set a day amount product_id=%s day=%s by=%s", product_id, changed.day, current_staff().username)
    usual = changed.weekday_amount
    return _days_saved(product_id, f"{day_name(changed.day)}: {changed.amount} baked instead of the usual {usual}.")


@bp.post("/products/<id:product_id>/days/<day>/delete")
@staff_required
def product_day_remove(product_id, day):
    """Bake the weekday's amount again on one date."""
    submitted()  # a JSON caller's members are refused: there is nothing to send
    when = iso_date(day)
    if when is None:
        raise NotFound("No such date: a date looks like 2026-12-24")
    try:
        removed = editing.remove_date_amount(product_id, when, actor=current_staff())
    except (Invalid, Conflict) as refused:
        return _refused_days(product_id, refused)
    LOGGER.info("staff removed a day amount product_id=%s day=%s by=%s", product_id, when, current_staff().username)
    return _days_saved(product_id, f"{day_name(when)}: back to the usual {removed.weekday_amount}.")


def _days_saved(product_id, message):
    """After a change of the dates: browsers go back to the section (with the message flashed), htmx gets
    the section, JSON the product."""
    product = get_any_product(product_id)
    if wants_redirect():
        flash(message, DAY_AMOUNTS)
        return see_other(url_for("staff.product_edit", product_id=product.id, _anchor=DAY_AMOUNTS))
    return _product_form(product, _current(product), block="day_amounts", day_saved=message, history_oob=True)


def _refused_days(product_id, refused, form=None):
    """The dates section again (the whole page without htmx) at 422, or 409 for a stocked product, with
    the message at its field and what was typed; JSON callers get the error."""
    if wants_json():
        raise refused
    product = get_any_product(product_id)
    return _product_form(
        product,
        _current(product),
        status=status_for(refused),
        block="day_amounts",
        day_problem=refused.message,
        day_errors=refused.details or {},
        day_typed=form or {},
    )


def _upload():
    """(picture bytes or None, upload folder): no file chosen keeps the current picture."""
    upload = request.files.get("picture")
    data = upload.read() if upload and upload.filename else None
    return data, current_app.config["UPLOAD_FOLDER"]


def _saved_location(product):
    return url_for("staff.products", saved=product.id, _anchor=f"product-{product.id}")


def _product_form(product, values, errors=None, status=200, stored_picture=None, block="product_form", **context):
    """The product form (htmx: its `block`); an edited product's JSON has its dates that differ too."""
    if product is not None and "version" not in context:
        context.update(version=product.version, original=original_field(_current(product)))
    amounts = daily.upcoming_day_amounts(product) if product is not None and product.baked else []
    if errors:
        data = {"error": editing.CHECK_FIELDS, "details": errors}
    else:
        data = {**product_json(product), "day_amounts": [a.to_dict() for a in amounts]} if product else {}
    return respond(
        data,
        PRODUCT_FORM,
        status=status,
        block=block,
        day_amounts=amounts,
        day_range=daily.day_amount_range(),
        product=product,
        values=values,
        errors=errors or {},
        categories=shelves.list_categories(),
        resources=resources.all_resources(),
        stored_picture=stored_picture,
        history=audit.history("product", product.id) if product else [],
        **context,
    )


def _refused_form(product, refused):
    """The form again at 422, with what was typed and a message at each field."""
    if wants_json():
        raise refused
    form = submitted(*editing.PRODUCT_FIELDS)
    return _product_form(
        product,
        _typed(form),
        refused.details or {},
        status=status_for(refused),
        stored_picture=getattr(refused, "stored_picture", None),
        # Still the version and values it was first loaded with: fixing a typo must not skip the check.
        version=form.get("version", ""),
        original=form.get("original", ""),
    )


def _stale_form(stale, form):
    """The form again at 409 with the current values, what changed since it was opened and what was not saved."""
    product = stale.current
    if wants_json():
        return respond({"error": stale.message, "current": product_json(product)}, PRODUCT_FORM, status=409)
    current = _current(product)
    names = {str(category.id): category.name for category in shelves.list_categories()}

    def shown(field, value):
        if field == "category":
            return names.get(str(value), "—")
        if field in ("allergens", "may_contain", "dietary"):
            return allergen_words(value or [])
        if field in ("active", "to_order"):
            return "yes" if value else "no"
        return str(value).strip() or "—" if value is not None else "—"

    found = differences(FIELD_LABELS, editing.original_values(form), current, _typed(form), shown)
    return _product_form(
        product,
        current,
        status=409,
        stored_picture=getattr(stale, "stored_picture", None),
        conflict=stale.message,
        differences=found,
    )


FIELD_LABELS = {
    "name": "Name",
    "description": "Description",
    "category": "Category",
    "price": "Price",
    "stock": "Stock",
    "kind": "Kind",
    **{field: f"Baked on {day}" for field, day in zip(AMOUNT_FIELDS, DAY_NAMES, strict=True)},
    "to_order": "Made to order",
    "batch_size": "One batch makes",
    "lead_hours": "Notice in hours",
    "lead_days": "Days of notice",
    "active": "On sale",
    "allergens": "Contains",
    "may_contain": "May contain",
    "dietary": "Dietary labels",
}


def _defaults():
    return {
        "name": "",
        "description": "",
        "category": "",
        "price": "",
        "stock": "0",
        "kind": "stocked",
        **dict.fromkeys(AMOUNT_FIELDS, ""),
        "to_order": False,
        "batch_size": "",
        "uses": {},
        "lead_hours": "",
        "lead_days": "",
        "active": True,
        "allergens": [],
        "may_contain": [],
        "dietary": [],
    }


def _current(product):
    return {
        "name": product.name,
        "description": product.description,
        "category": str(product.category_id or ""),
        "price": f"{product.price:.2f}",
        "stock": str(product.stock),
        "kind": product.kind,
        **{field: str(product.weekday_amounts.get(day, "")) for day, field in enumerate(AMOUNT_FIELDS)},
        "to_order": product.to_order,
        "batch_size": "" if product.batch_size is None else str(product.batch_size),
        "uses": {str(resource_id): str(amount) for resource_id, amount in product.per_batch.items()},
        "lead_hours": "" if product.lead_hours is None else str(product.lead_hours),
        "lead_days": "" if product.lead_days is None else str(product.lead_days),
        "active": product.active,
        "allergens": product.allergens,
        "may_contain": product.may_contain,
        "dietary": product.dietary,
    }


def _typed(form):
    """What the person typed and ticked, to put back into the form."""
    return {
        **{
            field: form.get(field, "")
            for field in (
                "name",
                "description",
                "category",
                "price",
                "stock",
                "kind",
                *AMOUNT_FIELDS,
                "batch_size",
                "lead_hours",
                "lead_days",
            )
        },
        "to_order": form.getlist("to_order")[-1:] == ["1"],
        "uses": dict(zip(form.getlist("use_resource"), form.getlist("use_per_batch"), strict=False)),
        "active": form.getlist("active")[-1:] == ["1"] if "active" in form else True,
        **{field: form.getlist(field) for field in ("allergens", "may_contain", "dietary")},
    }


# Categories


@bp.get("/categories")
@staff_required
def categories():
    return _categories_page()


@bp.post("/categories")
@staff_required
def category_add():
    """Add a category at the end of the list."""
    name = submitted("name").get("name", "")
    try:
        category = shelves.add_category(name)
    except Invalid as refused:
        if wants_json():
            raise
        return _categories_page(add_error=refused.message, add_value=name, status=422)
    LOGGER.info("staff added category category_id=%s by=%s", category.id, current_staff().username)
    return respond_after_write(
        category.to_dict(),
        CATEGORIES,
        _categories_location(category),
        block="categories",
        **_categories_context(saved=category.id),
        status=201,
    )


@bp.post("/categories/<id:category_id>")
@staff_required
def category_rename(category_id):
    name = submitted("name").get("name", "")
    try:
        category = shelves.rename_category(category_id, name)
    except Invalid as refused:
        if wants_json():
            raise
        return _categories_page(edited=category_id, rename_error=refused.message, rename_value=name, status=422)
    return respond_after_write(
        category.to_dict(),
        CATEGORIES,
        _categories_location(category),
        block="categories",
        **_categories_context(saved=category.id),
    )


@bp.post("/categories/<id:category_id>/move")
@staff_required
def category_move(category_id):
    category = shelves.move_category(category_id, submitted("direction").get("direction"))
    return respond_after_write(
        category.to_dict(),
        CATEGORIES,
        _categories_location(category),
        block="categories",
        **_categories_context(saved=category.id),
    )


def _categories_location(category):
    return url_for("staff.categories", saved=category.id, _anchor=f"category-{category.id}")


def _categories_context(**context):
    return {"categories": shelves.list_categories(), **context}


def _categories_page(status=200, **context):
    context = _categories_context(**{"saved": request.args.get("saved", type=int), **context})
    return respond(
        [c.to_dict() for c in context["categories"]], CATEGORIES, status=status, block="categories", **context
    )
