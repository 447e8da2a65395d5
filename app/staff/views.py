"""The staff pages: log in and the product list (the order board is in board_views.py)."""

import logging

from flask import request, url_for

from ..catalog.editing import original_values
from ..catalog.service import (
    MAX_STOCK,
    adjust_stock,
    get_any_product,
    parse_reason,
    parse_stock_change,
    update_product,
)
from ..exceptions import Invalid, Stale
from ..form_values import whole_number
from ..security.guess_limits import TooManyGuesses, login_attempt
from ..web.negotiation import redirect_after_write, respond, respond_after_write, see_other
from . import known_devices, service
from .accounts import MAX_USERNAME
from .auth import current_staff, log_in, log_out, safe_next, staff_required
from .blueprint import bp, product_json, submitted
from .conflicts import differences, submitted_version

LOGGER = logging.getLogger(__name__)
BAD_LOGIN = "That username and password don't match. Check them and try again."


@bp.get("/")
def home():
    return see_other(url_for("staff.orders"))


@bp.route("/login", methods=("GET", "POST"))
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_staff() is not None:
            return see_other(next_url)
        return respond({}, "staff/login.html", block="login_form", next_url=next_url, username="")
    username = request.form.get("username", "")
    try:  # counted before the password is checked, given back if it is right (app/security/guess_limits.py)
        attempt = login_attempt(username, known_device=known_devices.recognised(username))
    except TooManyGuesses as limited:
        LOGGER.warning("staff login rate limited username=%s", username[:80])
        return _login_refused(limited.description, 429, next_url, username, {"Retry-After": limited.retry_after})
    user = service.authenticate(username, request.form.get("password", ""))
    if user is None:
        LOGGER.info("staff login refused username=%s", username[:80])
        return _login_refused(BAD_LOGIN, 422, next_url, username)
    attempt.release()
    log_in(user)
    LOGGER.info("staff login username=%s", user.username)
    return known_devices.remember(redirect_after_write(next_url), user.username)


def _login_refused(message, status, next_url, username, headers=None):
    """The login form again, with the message and the username kept (JSON callers get the message)."""
    return respond(
        {"error": message},
        "staff/login.html",
        status=status,
        headers=headers,
        block="login_form",
        next_url=next_url,
        username=username[:MAX_USERNAME],  # the field takes no more; a 10,000-character name is not kept
        error=message,
    )


@bp.post("/logout")
def logout():
    log_out()
    return see_other(url_for("staff.login"))


@bp.get("/products")
@staff_required
def products():
    items = service.all_products()
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
    changes, errors = service.product_changes(form)
    if errors:
        return _product_row(get_any_product(product_id), 422, errors=errors, values=form)
    stock_was = whole_number(str(original_values(form).get("stock", "")), MAX_STOCK)
    try:
        product = update_product(
            product_id, actor=current_staff(), version=submitted_version(form), stock_was=stock_was, **changes
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
        change, reason = parse_stock_change(form.get("change")), parse_reason(form.get("reason"))
        product = adjust_stock(product_id, change, reason, actor=current_staff())
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
        typed["active"] = form.getlist("active")[-1:] == ["1"] if hasattr(form, "getlist") else bool(form["active"])
    found = differences(ROW_LABELS, original_values(form), current, typed)
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
        products=service.all_products(),
        product=product,
        edited=product.id,
        **{"errors": {}, "values": {}, **context},
    )
