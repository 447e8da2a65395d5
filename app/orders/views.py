"""Checking out, placing orders and following their status."""

import secrets

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_limiter import RateLimitExceeded

from ..api_keys.bearer import current_api_key, require_valid_api_key
from ..bakery_calendar.formatting import local_isoformat
from ..cart import service as cart_service
from ..exceptions import Conflict
from ..security import rate_limits
from ..security.rate_limits import client_address
from ..web.errors import ApiError, handle_rate_limited
from ..web.json_fields import refuse_unknown_fields
from ..web.negotiation import is_htmx, redirect_after_write, respond, respond_after_write, wants_json
from . import capacity, holds, service
from . import checkout as checkout_form
from .customer import parse_api_customer
from .validation import merged_lines, parse_order_lines

bp = Blueprint("orders", __name__)
CHECKOUT_HOLDER = "checkout_holder"  # the session's key for the id its checkout tokens are bound to


@bp.get("/checkout")
def checkout():
    cart = cart_service.load_cart()
    if not cart.lines:
        return redirect(url_for("cart.show"), 303)
    form = checkout_form.new_form(cart)
    _checkout_holder()  # before the form goes out: a double click then sends the same id twice
    return _checkout_page(cart, form)


@bp.post("/checkout")
def checkout_times():
    """ "Show times" without JavaScript: the form again as typed, with the chosen day's times."""
    cart = cart_service.load_cart()
    if not cart.lines:
        return redirect(url_for("cart.show"), 303)
    _checkout_holder()
    return _checkout_page(cart, checkout_form.typed_form(request.form))


def _checkout_page(cart, form, status=200, data=None):
    pickup = checkout_form.pickup_choice(cart, form.values)
    return respond(
        cart.to_dict() if data is None else data,
        "orders/checkout.html",
        status=status,
        block="checkout_form",
        cart=cart,
        form=form,
        pickup=pickup,
    )


@bp.post("/orders")
@rate_limits.orders
def create():
    """API clients send JSON; the checkout form posts here too, as a browser form.

    Rate limited per client address, or per API key for a client that sends one
    (app/security/rate_limits.py); a bad or revoked key is a 401 before anything else.
    """
    api_key = require_valid_api_key()
    if api_key is not None or request.is_json or wants_json():
        return _create_from_json(api_key)
    return _create_from_checkout()


def _create_from_checkout():
    cart = cart_service.load_cart()
    form = checkout_form.submit(
        request.form, cart, _checkout_holder(), placed_by=_placer(), client=holds.client_of(client_address())
    )
    if form.errors:
        # 409 when what the order needed ran out meanwhile: the page offers what is left.
        status = 409 if form.conflict else 422
        return _checkout_page(
            cart, form, status=status, data={"error": "Please check the form", "details": form.errors}
        )
    cart_service.clear()
    return redirect_after_write(url_for("orders.detail", order_id=form.order.public_id))


def _checkout_holder():
    """A random id of this session, made once: the checkout form's one-time tokens are bound to it."""
    return session.setdefault(CHECKOUT_HOLDER, secrets.token_urlsafe(16))


def _placer():
    """Who places or cancels an order: this browser session, else the API key, else the client address."""
    holder = session.get(CHECKOUT_HOLDER)
    if holder:
        return f"session:{holder}"
    api_key = current_api_key()
    return f"api-key:{api_key.id}" if api_key is not None else f"address:{client_address()}"


# Stays here, not in app/web/errors.py: it renders this blueprint's checkout form with the typed
# values kept; everything else goes on to the app-wide handler there.
@bp.errorhandler(RateLimitExceeded)
def create_limited(error):
    """Too many orders: the checkout form again (typed values kept) with the message, at 429;
    JSON callers get the usual error. Flask-Limiter adds Retry-After either way.

    A limited htmx status poll swaps nothing, so the status shown stays until a poll gets through.
    """
    if request.endpoint == "orders.status" and is_htmx():
        return "", 429, {"HX-Reswap": "none"}
    if request.endpoint != "orders.create" or wants_json() or request.is_json:
        return handle_rate_limited(error)
    form = checkout_form.typed_form(request.form)
    form.errors["form"] = error.description  # above the form, not at a field
    return _checkout_page(cart_service.load_cart(), form, status=429, data={"error": error.description})


def _create_from_json(api_key=None):
    if not request.is_json:
        raise ApiError(415, "Send the order as JSON with Content-Type: application/json")
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "The body is not valid JSON")
    config = current_app.config
    requested = parse_order_lines(payload, config["MAX_ITEM_QUANTITY"], config["MAX_ORDER_LINES"])
    customer = parse_api_customer(payload)
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 255:
        raise ApiError(400, "Idempotency-Key must be at most 255 characters")
    if key is not None:
        key = service.scoped_idempotency_key(key, api_key.id if api_key else None, sender=client_address())
    customer["pickup_at"] = capacity.parse_pickup_at(payload.get("pickup_at"))
    customer["placed_by"] = _placer()
    client = holds.client_of(client_address(), api_key.id if api_key else None)
    order, created = service.place_order(
        merged_lines(requested), idempotency_key=key, customer=customer, client=client, requested=requested
    )
    body = {
        "order_id": order.public_id,
        "code": order.code,
        "status": order.status,
        "total": order.total,
        "pickup_at": local_isoformat(order.pickup_at),
        "items": list(order.items),
    }
    response = redirect_after_write(url_for("orders.detail", order_id=order.public_id), body, status=201)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/orders/<order_id>")
@rate_limits.order_pages
def detail(order_id):
    order = service.get_order(order_id)
    terms = service.cancel_terms(order)
    return respond(order_json(order, terms), "orders/detail.html", order=order, terms=terms)


@bp.get("/order-status/<order_id>")
@rate_limits.order_pages
def status(order_id):
    order = service.get_order(order_id)
    return respond(
        {"order_id": order.public_id, "code": order.code, "status": order.status},
        "orders/detail.html",
        block="status",
        order=order,
        terms=service.cancel_terms(order),
    )


@bp.get("/orders/<order_id>/cancel")
@rate_limits.order_pages
def cancel_confirm(order_id):
    """The confirmation step, as a page of its own: it works without JavaScript."""
    order = service.get_order(order_id)
    terms = service.cancel_terms(order)
    return respond(order_json(order, terms), "orders/cancel.html", block="cancel_confirm", order=order, terms=terms)


@bp.post("/orders/<order_id>/cancel")
def cancel(order_id):
    """The customer cancels: JSON gets the order (409 if too late), htmx the cancel block, browsers a 303."""
    _refuse_fields_in_json_body()
    try:
        order = service.cancel_by_customer(order_id, cancelled_by=_placer())
    except Conflict as refused:
        if wants_json():
            raise
        order = service.get_order(order_id)
        terms = service.cancel_terms(order)
        return respond(
            {}, "orders/detail.html", status=409, block="cancel", order=order, terms=terms, error=refused.message
        )
    terms = service.cancel_terms(order)
    return respond_after_write(
        order_json(order, terms),
        "orders/detail.html",
        url_for("orders.detail", order_id=order.public_id),
        block="cancel",
        order=order,
        terms=terms,
        cancelled=True,
    )


def _refuse_fields_in_json_body():
    """A JSON cancel carries no fields: `{}` or no body at all; a field is refused by name (422)."""
    if not request.is_json or not request.content_length:
        return
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(400, "Send {} as the JSON body, or no body")
    refuse_unknown_fields(payload, (), "cancelling an order")


def order_json(order, terms):
    """The order for JSON clients, with until when the customer may cancel it."""
    return {
        **order.to_dict(),
        "can_cancel": terms.allowed,
        "cancel_until": local_isoformat(terms.until),  # with its UTC offset, like pickup_at
    }
