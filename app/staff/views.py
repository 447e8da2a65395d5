"""The staff pages: log in, the order board and the product list."""

import logging

from flask import jsonify, request, url_for

from .. import audit
from ..catalog.service import update_product
from ..errors import status_for
from ..exceptions import DomainError, Invalid
from ..models import CANCELLED, COMPLETED, PROCESSING, READY
from ..negotiation import redirect_after_write, respond, respond_after_write, see_other, wants_json, wants_redirect
from ..orders.service import change_status
from . import service, throttle
from .auth import current_staff, log_in, log_out, safe_next, staff_required
from .blueprint import bp, product_json, submitted

LOGGER = logging.getLogger(__name__)
# Failed is the worker's verdict, not a button; Pending is where orders start.
STAFF_MOVES = (PROCESSING, READY, COMPLETED, CANCELLED)
BAD_LOGIN = "That username and password don't match. Check them and try again."
LOCKED = "Too many failed logins for this username. Wait 15 minutes, then try again."


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
    if throttle.is_locked(username):
        LOGGER.warning("staff login locked username=%s", username[:80])
        return _login_refused(LOCKED, 429, next_url, username)
    user = service.authenticate(username, request.form.get("password", ""))
    if user is None:
        throttle.record_failure(username)
        LOGGER.info("staff login refused username=%s", username[:80])
        return _login_refused(BAD_LOGIN, 422, next_url, username)
    throttle.forget(username)
    log_in(user)
    LOGGER.info("staff login username=%s", user.username)
    return redirect_after_write(next_url)


def _login_refused(message, status, next_url, username):
    """The login form again, with the message and the username kept (JSON callers get the message)."""
    return respond(
        {"error": message},
        "staff/login.html",
        status=status,
        block="login_form",
        next_url=next_url,
        username=username,
        error=message,
    )


@bp.post("/logout")
def logout():
    log_out()
    return see_other(url_for("staff.login"))


@bp.get("/orders")
@staff_required
def orders():
    return _board()


@bp.post("/orders/<order_id>/status")
@staff_required
def order_status(order_id):
    """Move an order on; the board (or the order, for JSON) comes back, or a readable refusal."""
    form = submitted()
    new_status = form.get("status")
    try:
        if new_status not in STAFF_MOVES:
            raise Invalid("Choose what the order should become: Processing, Ready, Completed or Cancelled")
        reason = service.cancel_reason(form.get("reason")) if new_status == CANCELLED else None
        order = change_status(order_id, new_status, reason=reason, actor=current_staff())
    except DomainError as refused:
        if wants_json():
            raise
        return _board(error=refused.message, status=status_for(refused))
    LOGGER.info("staff moved order order_id=%s to=%s by=%s", order.public_id, order.status, current_staff().username)
    if wants_redirect():
        return see_other(url_for("staff.orders"))
    return jsonify(order.to_dict()) if wants_json() else _board()


def _board(error=None, status=200):
    board = service.order_board()
    data = (
        {"error": error}
        if error
        else {column: [o.to_dict() for o in getattr(board, column)] for column in ("todo", "ready", "done")}
    )
    # Who moved each card and why, for the audit trail on the card: one query for the board.
    trails = audit.histories("order", [o.public_id for o in (*board.todo, *board.ready, *board.done)])
    return respond(
        data, "staff/orders.html", status=status, block="board", board=board, error=error, audit_trails=trails
    )


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
    form = submitted()
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
