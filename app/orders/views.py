"""Placing orders and following their status."""
from flask import Blueprint, current_app, request, url_for

from ..errors import ApiError
from ..negotiation import respond
from . import service
from .validation import parse_order_items

bp = Blueprint("orders", __name__)


@bp.post("/orders")
def create():
    if not request.is_json:
        raise ApiError(415, "Send the order as JSON with Content-Type: application/json")
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "The body is not valid JSON")
    lines = parse_order_items(
        payload, current_app.config["MAX_ITEM_QUANTITY"], current_app.config["MAX_ORDER_LINES"]
    )
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 255:
        raise ApiError(400, "Idempotency-Key must be at most 255 characters")
    order, created = service.place_order(lines, idempotency_key=key)
    location = url_for("orders.detail", order_id=order.public_id)
    headers = {"Location": location}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    body = {"order_id": order.public_id, "status": order.status, "total": order.total}
    return respond(body, "orders/detail.html", status=201, headers=headers, order=order)


@bp.get("/orders/<order_id>")
def detail(order_id):
    order = service.get_order_or_404(order_id)
    return respond(order.to_dict(), "orders/detail.html", order=order)


@bp.get("/order-status/<order_id>")
def status(order_id):
    order = service.get_order_or_404(order_id)
    return respond(
        {"order_id": order.public_id, "status": order.status},
        "orders/detail.html",
        block="status",
        order=order,
    )
