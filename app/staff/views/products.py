"""The products table (/staff/products): every product, a row's quick edit (price, stock, on sale), stock adjustments.

The product form (new, edit, retire) is in catalogue.py; the rules of both are app/catalog/editing.py.
"""

import logging

from flask import request, url_for

from ...bakery_calendar.service import ordering_day
from ...catalog import editing
from ...catalog.daily import for_day
from ...catalog.service import all_products, get_any_product
from ...exceptions import Invalid, Stale
from ...web.negotiation import respond, respond_after_write
from .. import bp
from ..auth import current_staff, staff_required
from ..conflicts import differences, submitted_version
from .shared import product_json, submitted

LOGGER = logging.getLogger(__name__)


@bp.get("/products")
@staff_required
def products():
    items = for_day(all_products(), ordering_day())  # one read of the calendar for the whole list
    return respond(
        [product_json(p) for p in items],
        "staff/products.html",
        block="products",
        products=items,
        saved=request.args.get("saved", type=int),
    )


@bp.post("/products/<id:product_id>")
@staff_required
def product_update(product_id):
    """Change price, stock or on-sale; an invalid value is shown at its field (422), a stale save at 409."""
    form = submitted("price", "stock", "active", "version", "original")
    changes, errors = editing.parse_changes(form)
    if errors:
        return _product_row(get_any_product(product_id), 422, errors=errors, values=form)
    try:
        product = editing.update_product(
            product_id,
            actor=current_staff(),
            version=submitted_version(form),
            stock_was=editing.stock_shown(form),
            **changes,
        )
    except Stale as stale:
        return _stale_row(stale, form)
    LOGGER.info(
        "staff changed product product_id=%s fields=%s by=%s",
        product.id,
        ",".join(sorted(changes)),
        current_staff().username,
    )
    return _row_saved(product)


@bp.post("/products/<id:product_id>/stock")
@staff_required
def product_stock(product_id):
    """Add to or take away from the stock ("+12 baked", "-3 broken"): a delta, so orders meanwhile still count."""
    form = submitted("change", "reason")
    try:
        change, reason = editing.parse_stock_change(form.get("change")), editing.parse_reason(form.get("reason"))
        product = editing.adjust_stock(product_id, change, reason, actor=current_staff())
    except Invalid as refused:
        product = get_any_product(product_id)
        data = {"error": refused.message, "details": refused.details, "current": {"stock": product.stock}}
        return _product_row(product, 422, data=data, errors=refused.details or {}, adjusting=form)
    LOGGER.info("staff adjusted stock product_id=%s change=%+d by=%s", product.id, change, current_staff().username)
    return _row_saved(product)


def _row_saved(product):
    return respond_after_write(
        product_json(product),
        "staff/products.html",
        url_for("staff.products", saved=product.id, _anchor=f"product-{product.id}"),
        block="product_row",
        product=product,
        saved=product.id,
    )


def _stale_row(stale, form):
    """The row again at 409 with the current values, what changed since the page was loaded and what was not saved."""
    product = stale.current
    current = row_values(product)
    typed = {field: form[field] for field in ("price", "stock") if field in form}
    if "active" in form:
        typed["active"] = editing.on_sale_sent(form)
    found = differences(ROW_LABELS, editing.original_values(form), current, typed)
    data = {"error": stale.message, "current": product_json(product)}
    return _product_row(product, 409, data=data, conflict=stale.message, differences=found)


ROW_LABELS = {"price": "Price", "stock": "Stock", "active": "On sale"}


def row_values(product):
    """The product row's fields as its form shows them (and sends back as `original`)."""
    return {"price": f"{product.price:.2f}", "stock": str(product.stock), "active": product.active}


def _product_row(product, status, data=None, **context):
    """The products page (htmx: just the product's row) with a message in that row."""
    errors = context.get("errors") or {}
    return respond(
        data or {"error": "Please check the highlighted fields", "details": errors},
        "staff/products.html",
        status=status,
        block="product_row",
        products=all_products(),
        product=product,
        edited=product.id,
        **{"errors": {}, "values": {}, **context},
    )
