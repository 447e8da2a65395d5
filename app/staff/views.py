"""The staff pages: log in and the product list (the order board is in board_views.py)."""

import logging

from flask import request, url_for
from flask_limiter import RateLimitExceeded

from ..catalog.service import update_product
from ..errors import handle_rate_limited
from ..negotiation import redirect_after_write, respond, respond_after_write, see_other
from . import service
from .accounts import MAX_USERNAME
from .auth import current_staff, log_in, log_out, safe_next, staff_required
from .blueprint import bp, product_json, submitted

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
    user = service.authenticate(username, request.form.get("password", ""))
    if user is None:
        # A refusal (422) counts against the login limits in app/rate_limits.py.
        LOGGER.info("staff login refused username=%s", username[:80])
        return _login_refused(BAD_LOGIN, 422, next_url, username)
    log_in(user)
    LOGGER.info("staff login username=%s", user.username)
    return redirect_after_write(next_url)


@bp.errorhandler(RateLimitExceeded)
def login_limited(error):
    """The login form again at 429 with the limit's message (Flask-Limiter adds Retry-After)."""
    if request.endpoint != "staff.login":
        return handle_rate_limited(error)
    username = request.form.get("username", "")
    LOGGER.warning("staff login rate limited username=%s", username[:80])
    return _login_refused(error.description, 429, safe_next(request.values.get("next")), username)


def _login_refused(message, status, next_url, username):
    """The login form again, with the message and the username kept (JSON callers get the message)."""
    return respond(
        {"error": message},
        "staff/login.html",
        status=status,
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
    """Change price, stock or on-sale; an invalid value is shown at its field (422)."""
    form = submitted("price", "stock", "active")
    changes, errors = service.product_changes(form)
    if errors:
        product = service.get_any_product(product_id)
        return respond(
            {"error": "Please check the highlighted fields", "details": errors},
            "staff/products.html",
            status=422,
            block="product_row",
            products=service.all_products(),
            product=product,
            edited=product.id,
            errors=errors,
            values=form,
        )
    product = update_product(product_id, actor=current_staff(), **changes)
    LOGGER.info(
        "staff changed product product_id=%s fields=%s by=%s",
        product.id,
        ",".join(sorted(changes)),
        current_staff().username,
    )
    return respond_after_write(
        product_json(product),
        "staff/products.html",
        url_for("staff.products", saved=product.id, _anchor=f"product-{product.id}"),
        block="product_row",
        product=product,
        saved=product.id,
    )
