"""The cart pages: show it, add to it, change a quantity, remove a line."""

from flask import Blueprint, flash, request, url_for

from ..bakery_calendar.formatting import day_name
from ..catalog.pages import taking_orders_for
from ..exceptions import Invalid
from ..web.negotiation import respond, respond_after_write, safe_local_path, see_other, wants_redirect
from . import service
from .service import CartError

bp = Blueprint("cart", __name__)


@bp.get("/cart")
def show():
    cart = service.load_cart()
    return respond(cart.to_dict(), "cart/index.html", block="cart", cart=cart)


@bp.post("/cart/items")
def add():
    try:
        added = service.add_item(
            request.form.get("product_id"), request.form.get("quantity", "1"), request.form.get("day")
        )
    except CartError as refused:
        return respond(
            {"error": refused.message, "details": refused.details},
            "catalog/product.html",
            status=422,
            block="add_form",
            product=refused.product,
            add_error=refused.message,
            next=_next_url(),
            ordering=_catalogue_day(refused.day),
        )
    product = added.product
    message = f"Added {product.name}."
    if added.moved_cart:
        message += f" Your cart is now for pickup on {day_name(added.day)}."
    if wants_redirect():
        flash(message, f"added-{product.id}")  # shown at the product's card after the redirect
        return see_other(_next_url())
    return respond(
        service.load_cart().to_dict(),
        "catalog/product.html",
        block="add_form",
        product=product,
        added=message,
        next=_next_url(),
        ordering=_catalogue_day(added.day),
    )


def _catalogue_day(day):
    """The catalogue's day the add form came from, so that the form it answers with still carries it."""
    return taking_orders_for().pick(day) if day else None


@bp.post("/cart/items/<id:product_id>")
def update(product_id):
    try:
        service.set_quantity(product_id, request.form.get("quantity", ""))
    except CartError as refused:
        kept = f"{refused.message} Your cart still has {service.quantity_in_cart(product_id)}."
        return _cart_response(
            422,
            "Some quantities are not valid",
            {product_id: kept},
            errors={product_id: kept},
            entered={product_id: request.form.get("quantity", "")},
        )
    return _cart_response()


@bp.post("/cart/day")
def choose_day():
    """The cart's pickup day, chosen on the cart page: its lines are then checked for that day."""
    try:
        service.set_day(request.form.get("day"))
    except Invalid as refused:
        return _cart_response(422, refused.message, refused.details, day_error=refused.message)
    return _cart_response()


@bp.post("/cart/items/<id:product_id>/delete")
def remove(product_id):
    service.remove_item(product_id)
    return _cart_response()


def _cart_response(status=200, error=None, details=None, **context):
    """The cart fragment (with the new badge) for htmx, JSON for API callers, else 303 to /cart."""
    cart = service.load_cart()
    data = cart.to_dict()
    if status != 200:
        data = {"error": error, "details": details, **data}
        return respond(data, "cart/index.html", status=status, block="cart", cart=cart, **context)
    return respond_after_write(data, "cart/index.html", url_for("cart.show"), block="cart", cart=cart)


def _next_url():
    """Where a plain form post returns to: a path on this site only, never another host."""
    return safe_local_path(request.form.get("next"), url_for("catalog.index"))
