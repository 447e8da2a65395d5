"""The cart pages: show it, add to it, change a quantity, remove a line."""

from flask import Blueprint, flash, request, url_for

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
        product = service.add_item(request.form.get("product_id"), request.form.get("quantity", "1"))
    except CartError as refused:
        return respond(
            {"error": refused.message, "details": refused.details},
            "catalog/product.html",
            status=422,
            block="add_form",
            product=refused.product,
            add_error=refused.message,
            next=_next_url(),
        )
    message = f"Added {product.name}."
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
    )


@bp.post("/cart/items/<id:product_id>")
def update(product_id):
    try:
        service.set_quantity(product_id, request.form.get("quantity", ""))
    except CartError as refused:
        kept = f"{refused.message} Your cart still has {service.quantity_in_cart(product_id)}."
        return _cart_response(
            status=422, errors={product_id: kept}, entered={product_id: request.form.get("quantity", "")}
        )
    return _cart_response()


@bp.post("/cart/items/<id:product_id>/delete")
def remove(product_id):
    service.remove_item(product_id)
    return _cart_response()


def _cart_response(status=200, **context):
    """The cart fragment (with the new badge) for htmx, JSON for API callers, else 303 to /cart."""
    cart = service.load_cart()
    data = cart.to_dict()
    if status != 200:
        data = {"error": "Some quantities are not valid", "details": context["errors"], **data}
        return respond(data, "cart/index.html", status=status, block="cart", cart=cart, **context)
    return respond_after_write(data, "cart/index.html", url_for("cart.show"), block="cart", cart=cart)


def _next_url():
    """Where a plain form post returns to: a path on this site only, never another host."""
    return safe_local_path(request.form.get("next"), url_for("catalog.index"))
