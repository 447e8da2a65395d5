"""Placing orders and moving them through their lifecycle; each function owns its transaction."""

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..bakery_calendar import service as calendar_service
from ..catalog import options as product_options
from ..catalog.invalidation import mark_catalog_changed
from ..exceptions import Conflict, Invalid, NotFound
from ..extensions import db
from ..infra.statements import HotStatement, upsert_text
from ..models import (
    CANCELLED,
    CODE_ALPHABET,
    CODE_LENGTH,
    COMPLETED,
    FAILED,
    NO_SHOW,
    PENDING,
    PROCESSING,
    READY,
    STOCKED,
    Order,
    OrderItem,
    OrderItemOption,
    Product,
    chosen_json,
    new_order_code,
    new_public_id,
    normalise_code,
    utcnow,
)
from ..notifications.outbox import CANCELLED_BY_BAKERY, CANCELLED_BY_CUSTOMER, record_notification, wake_sender
from ..notifications.outbox import READY as READY_NOTICE
from . import capacity, holds
from .validation import fingerprint, order_size_problem

LOGGER = logging.getLogger(__name__)
PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")

# Which status may follow which; anything else is refused. Completed and No-show may go back to
# Ready: a mistaken "Collected" at the counter, or a customer who turns up after all.
TRANSITIONS = {
    PENDING: {PROCESSING, CANCELLED, FAILED},
    PROCESSING: {READY, CANCELLED, FAILED, NO_SHOW},
    READY: {COMPLETED, CANCELLED, NO_SHOW},
    COMPLETED: {READY},
    CANCELLED: set(),
    FAILED: set(),
    NO_SHOW: {READY},
}
# Back to Ready from these is a correction, not news: the customer is not told "ready" twice.
REOPENS_FROM = {COMPLETED, NO_SHOW}
RELEASES_STOCK = {CANCELLED, FAILED}
OPEN_STATUSES = (PENDING, PROCESSING, READY)  # counted against MAX_OPEN_ORDERS_PER_CONTACT
# What the customer hears about a move (the confirmation is recorded by processing.process_order).
NOTICE_FOR = {
    READY: READY_NOTICE,
    (CANCELLED, "bakery"): CANCELLED_BY_BAKERY,
    (CANCELLED, "customer"): CANCELLED_BY_CUSTOMER,
}
CUSTOMER_CANCELS_FROM = (PENDING, PROCESSING)
# 128 bits of the sender HMAC: with a 255-character key, `anon:<tag>:<key>` fits the 300 of the column.
SENDER_TAG_LENGTH = 32
CODE_ATTEMPTS = 5  # a fresh code after a collision; five collisions in a row mean something else is wrong
# A customer who cancels this soon after ordering, from where they ordered, knows: no email. (Else
# ordering with a stranger's address and cancelling, in a loop, mails the stranger each time.)
QUIET_CANCEL_WITHIN = timedelta(minutes=1)
QUIET_CANCEL = "not sent: cancelled within a minute of ordering by whoever placed the order"
# Slots the bakery chooses for an order, when the one it chose is gone by the time the order takes it.
PICKUP_ATTEMPTS = 4


@dataclass(frozen=True)
class PlacedOrder:
    """What place_order's caller needs of the order it placed (or found again by its key)."""

    public_id: str
    status: str
    total: Decimal
    code: str
    pickup_at: datetime | None = None
    items: tuple = ()  # {"id", "name", "quantity", "unit_price", "options"} per line, as priced


def _line_json(item, chosen):
    """An order line as the answer to placing it shows it: its product, quantity, unit price and options."""
    return {
        "id": item["product_id"],
        "name": item["product_name"],
        "quantity": item["quantity"],
        "unit_price": item["unit_price"],
        "options": [chosen_json(option) for option in chosen],
    }


def get_order(public_id):
    """The order with this public id; NotFound otherwise, also for ids that cannot be ours."""
    if not isinstance(public_id, str) or not PUBLIC_ID.match(public_id):
        raise NotFound("No order with that id")
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    if order is None:
        raise NotFound("No order with that id")
    return order


def get_order_by_code(code):
    """The order with this short code (as typed: any case, O for 0, I or L for 1); NotFound otherwise."""
    code = normalise_code(code) if isinstance(code, str) else ""
    if len(code) != CODE_LENGTH or set(code) - set(CODE_ALPHABET):
        raise NotFound("No order with that code")
    order = db.session.scalar(select(Order).where(Order.code == code))
    if order is None:
        raise NotFound("No order with that code")
    return order


def scoped_idempotency_key(key, api_key_id=None, sender=""):
    """The key as stored, in its sender's own space: `api:<key id>:<key>` for an API client,
    `anon:<sender tag>:<key>` for anybody else, the tag an HMAC of the client address (the
    table holds no address). Two senders choosing the same key make two orders, and neither
    can tell from the answers that the other used it."""
    if api_key_id is not None:
        return f"api:{api_key_id}:{key}"
    secret = current_app.config["SECRET_KEY"].encode()
    tag = hmac.new(secret, f"idempotency-sender:{sender}".encode(), hashlib.sha256).hexdigest()
    return f"anon:{tag[:SENDER_TAG_LENGTH]}:{key}"


def place_order(lines, idempotency_key=None, customer=None, client=None, requested=None):
    """Reserve stock and record the order in one transaction; return (PlacedOrder, created).

    `lines` maps product id to quantity (already validated); `requested` ([RequestedLine],
    validation.parse_order_lines) are the lines as sent, with the options chosen on each
    (None: one line per product, none chosen). The options are checked and the lines priced before
    anything is written (app/catalog/options.py: Invalid naming the line and the option). A repeated idempotency key
    returns the first order (created=False) if the request is the same (items, customer,
    requested pickup time, note); the same key for another request is Invalid.
    `customer["placed_by"]` says who places it (see placer_hash), for cancel_by_customer.
    `client` is who places it (holds.client_of: its address or API key), for the caps on what
    one client can hold. When the bakery chooses the slot and it is gone by the time the order
    takes it, the order starts again with the next free slot, on a later day if need be.
    """
    request_hash = fingerprint(lines, customer, requested)
    if idempotency_key:
        existing = find_placed_order(idempotency_key, request_hash)
        if existing:
            return existing, False

    customer = dict(customer or {})
    _check_caps(lines, customer)
    products = _orderable_products(lines)
    priced = product_options.price_lines(
        requested or [product_options.RequestedLine(pid, qty) for pid, qty in sorted(lines.items())], products
    )
    extra_lead = product_options.extra_lead_hours(priced)
    held_by = holds.holders_for(client, customer)
    passed_over = set()
    for attempt in range(1, PICKUP_ATTEMPTS + 1):
        pickup = capacity.choose_pickup(lines, products, customer.get("pickup_at"), passed_over, extra_lead)
        try:
            order = _place(lines, priced, products, idempotency_key, request_hash, customer, pickup, held_by)
        except capacity.SlotTaken as taken:
            if not pickup.assigned or attempt == PICKUP_ATTEMPTS:
                raise
            passed_over.update(taken.starts)
            LOGGER.info("assigned slot gone slot=%s, choosing again", pickup.start.isoformat())
            continue
        except IntegrityError:
            # A concurrent request with the same idempotency key won the race: answer with its order.
            existing = idempotency_key and find_placed_order(idempotency_key, request_hash)
            if not existing:
                raise
            return existing, False
        break

    LOGGER.info("order placed order_id=%s total=%s lines=%d", order.public_id, order.total, len(lines))
    current_app.extensions["order_queue"].publish(order.public_id)
    return order, True


def _place(lines, priced, products, idempotency_key, request_hash, customer, pickup, held_by):
    """One try at the order's transaction for `pickup`: committed, or rolled back and raised."""
    try:
        order = _create_order_row(
            priced, products, idempotency_key, request_hash, {**customer, "pickup_at": pickup.start}, held_by
        )
        # Stock, then the pickup day's ledger rows, the slot and the client's holds, last: their row locks are
        # then held only until the commit just below, so concurrent orders wait as little as possible.
        _reserve_stock(lines, products)
        order = capacity.reserve(order, lines, products, pickup)
        holds.take(held_by, order.pickup_at, sum(lines.values()))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return order


def _check_caps(lines, customer):
    """The bakery's caps: items in one order (Invalid), open orders per contact (Conflict)."""
    config = current_app.config
    problem = order_size_problem(lines, config["MAX_ITEMS_PER_ORDER"])
    if problem:
        raise Invalid(problem, {"items": problem})
    limit = config["MAX_OPEN_ORDERS_PER_CONTACT"]
    email, phone = customer.get("email"), customer.get("phone")
    if not limit or not (email or phone):
        return
    same_contact = []
    if email:
        same_contact.append(func.lower(Order.customer_email) == email.lower())
    if phone:
        same_contact.append(Order.customer_phone == phone)
    open_orders = db.session.scalar(
        select(func.count()).select_from(Order).where(Order.status.in_(OPEN_STATUSES), or_(*same_contact))
    )
    if open_orders >= limit:
        raise Conflict(
            f"There are already {open_orders} open orders for this contact. "
            "Please collect or cancel one before ordering again, or call the bakery.",
            {"contact": "too many open orders", "open_orders": open_orders, "limit": limit},
        )


def find_placed_order(key, request_hash=None):
    """The order placed with this idempotency key, or None; Invalid if it was for another request."""
    row = db.session.execute(
        select(
            Order.public_id, Order.status, Order.total, Order.code, Order.request_fingerprint, Order.pickup_at
        ).where(Order.idempotency_key == key)
    ).one_or_none()
    if row is None:
        return None
    if request_hash is not None and row.request_fingerprint != request_hash:
        raise Invalid("This Idempotency-Key was already used for a different order")
    items = db.session.scalars(
        select(OrderItem).join(Order, OrderItem.order_id == Order.id).where(Order.idempotency_key == key)
    ).all()
    lines = tuple(_line_json(_item_values(item), item.chosen) for item in sorted(items, key=lambda i: i.id))
    return PlacedOrder(
        public_id=row.public_id, status=row.status, total=row.total, code=row.code, pickup_at=row.pickup_at, items=lines
    )


def _item_values(item):
    return {name: getattr(item, name) for name in ("product_id", "product_name", "quantity", "unit_price")}


def _orderable_products(lines):
    # Plain rows from the table, not ORM objects: this is the hottest write path, and it only reads.
    ids = list(lines)
    found = _products_for_order(len(ids)).rows(db.session, {f"id_{n}": pid for n, pid in enumerate(ids)})
    products = {p.id: p for p in found}
    unknown = sorted(set(lines) - set(products))
    if unknown:
        raise Invalid("Unknown product", {"unknown_product_ids": unknown})
    inactive = sorted(pid for pid, p in products.items() if not p.active)
    if inactive:
        raise Invalid("Product not for sale", {"unavailable_product_ids": inactive})
    return products


_products = Product.__table__


@cache
def _products_for_order(count):
    """The order's `count` products (an IN list of its own size: compiled once, no expanding bind)."""
    columns = (
        _products.c[name] for name in ("id", "name", "price", "active", "kind", "to_order", "lead_hours", "lead_days")
    )
    ids = [bindparam(f"id_{n}", type_=_products.c.id.type) for n in range(count)]
    return HotStatement(select(*columns).where(_products.c.id.in_(ids)))


TAKE_STOCK = HotStatement(
    update(_products)
    .where(
        _products.c.id == bindparam("product_id"),
        _products.c.stock >= bindparam("quantity"),
        _products.c.active.is_(True),
    )
    .values(stock=_products.c.stock - bindparam("quantity"), updated_at=bindparam("now"))
    .returning(_products.c.stock)
)
# ON CONFLICT (code) only: a taken code draws another, while a taken idempotency key still
# raises IntegrityError for place_order to answer with the first order. Hand-written because
# SQLAlchemy compiles its INSERT … ON CONFLICT afresh on every use (app/infra/statements.py).
_ORDER_COLUMNS = (
    "public_id, code, status, total, idempotency_key, request_fingerprint, customer_name, customer_contact, "
    "customer_email, customer_phone, pickup_at, note, placed_by, held_by, processing_attempts, created_at, updated_at"
)
INSERT_ORDER = upsert_text(
    # Column names only
    f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES ({', '.join(':' + c for c in _ORDER_COLUMNS.split(', '))}) "  # nosec B608
    "ON CONFLICT (code) DO NOTHING RETURNING id, public_id, code",
    Order.__table__,
)
INSERT_ORDER_ALONE = HotStatement(INSERT_ORDER)


@cache
def _insert_order_with_items(count):
    """PostgreSQL: the order and its `count` items in one statement (SQLite has no INSERT in WITH).
    A taken code inserts neither, and returns no row."""
    rows = ", ".join(
        f"(CAST(:product_id_{n} AS INTEGER), CAST(:product_name_{n} AS VARCHAR), "
        f"CAST(:unit_price_{n} AS NUMERIC), CAST(:quantity_{n} AS INTEGER))"
        for n in range(count)
    )
    return HotStatement(
        upsert_text(
            # Placeholders only
            f"WITH placed AS ({INSERT_ORDER.text}), items AS ("  # nosec B608
            "INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity) "
            "SELECT placed.id, v.product_id, v.product_name, v.unit_price, v.quantity FROM placed, "
            f"(VALUES {rows}) AS v (product_id, product_name, unit_price, quantity)) "
            "SELECT id, public_id, code FROM placed",
            Order.__table__,
        )
    )


def _reserve_stock(lines, products):
    """Take the stock of stocked products with conditional updates, in id order so that orders never deadlock.
    (Baked products take from their pickup day instead: capacity.reserve.)"""
    for product_id in sorted(lines):
        if products[product_id].kind != STOCKED:
            continue
        quantity = lines[product_id]
        left = TAKE_STOCK.scalar(db.session, {"product_id": product_id, "quantity": quantity, "now": utcnow()})
        if left is None:
            # The caller rolls back; this product's row was not touched, so this reads its stock.
            in_stock = db.session.scalar(select(Product.stock).where(Product.id == product_id))
            raise Conflict(
                f"Not enough {products[product_id].name} in stock",
                {"product_id": product_id, "requested": quantity, "in_stock": in_stock},
            )
        mark_catalog_changed(db.session)  # the catalogue shows how many are available


def _create_order_row(priced, products, idempotency_key, request_hash, customer, held_by=()):
    """Insert the order and its items with two statements (Core: no unit-of-work overhead); lines
    with options chosen need a third, for what they chose."""
    priced = sorted(priced, key=lambda line: line.product_id)  # stable: one product's lines stay as sent
    items = [
        {
            "product_id": line.product_id,
            "product_name": products[line.product_id].name,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
        }
        for line in priced
    ]
    total = sum(item["unit_price"] * item["quantity"] for item in items)
    values = {
        "total": total,
        "idempotency_key": idempotency_key,
        "request_fingerprint": request_hash,
        "customer_name": customer.get("name"),
        "customer_contact": customer.get("contact"),
        "customer_email": customer.get("email"),
        "customer_phone": customer.get("phone"),
        "pickup_at": customer.get("pickup_at"),
        "note": customer.get("note"),
        "placed_by": placer_hash(customer.get("placed_by")),
        "held_by": " ".join(held_by) or None,
    }
    now = utcnow()
    values.update(status=PENDING, processing_attempts=0, created_at=now, updated_at=now)
    # PostgreSQL: the items go in with the order, unless what they chose needs their ids.
    with_items = db.engine.dialect.name == "postgresql" and not any(line.chosen for line in priced)
    if with_items:  # the items go in with the order: one round trip for both
        for n, item in enumerate(items):
            values.update({f"{name}_{n}": value for name, value in item.items()})
    statement = _insert_order_with_items(len(items)) if with_items else INSERT_ORDER_ALONE
    for _attempt in range(CODE_ATTEMPTS):
        row = statement.one_or_none(db.session, {**values, "public_id": new_public_id(), "code": new_order_code()})
        if row is not None:
            break
        LOGGER.warning("order code collision, drawing another")
    else:
        raise RuntimeError(f"No free order code after {CODE_ATTEMPTS} draws")
    order_pk, public_id, code = row
    if not with_items:
        _insert_items(order_pk, items, priced)
    lines = tuple(_line_json(item, line.chosen) for item, line in zip(items, priced, strict=True))
    return PlacedOrder(
        public_id=public_id, status=PENDING, total=total, code=code, pickup_at=customer.get("pickup_at"), items=lines
    )


def _insert_items(order_pk, items, priced):
    """The order's items (one statement), or with options chosen each line and then what it chose."""
    if not any(line.chosen for line in priced):
        db.session.execute(insert(OrderItem.__table__), [{"order_id": order_pk, **item} for item in items])
        return
    chosen = []
    for item, line in zip(items, priced, strict=True):
        item_id = db.session.execute(
            insert(OrderItem.__table__).values(order_id=order_pk, **item).returning(OrderItem.__table__.c.id)
        ).scalar_one()
        chosen.extend({"order_item_id": item_id, **option.row()} for option in line.chosen)
    if chosen:
        db.session.execute(insert(OrderItemOption.__table__), chosen)


def change_status(public_id, new_status, reason=None, by="bakery", only_from=None, actor=None, unsent_because=None):
    """Move an order to `new_status` if its lifecycle allows it; Conflict otherwise.

    Cancelling (or failing) an order gives its stock, its slot and its share of the pickup day back in the
    same transaction, and a move the customer should hear about records their notification in
    it too. `by` says who cancels ("bakery" or "customer"; `reason` is the bakery's);
    `only_from` narrows the statuses the order may be in (a customer may cancel only while it
    is being prepared). `actor`, the staff user who made the move, gets an audit entry in
    the same transaction. With `unsent_because` the customer's notification is recorded as
    skipped, for that reason.
    """
    order = get_order(public_id)
    current = order.status
    if new_status not in TRANSITIONS.get(current, ()) or (only_from is not None and current not in only_from):
        raise Conflict(f"An order that is {current} cannot become {new_status}")
    values = {"status": new_status, "updated_at": utcnow()}
    if new_status == CANCELLED:
        values.update(cancelled_by=by, cancel_reason=reason or None)
    else:
        values["failure_reason"] = reason or Order.failure_reason
    # Conditional on the status we read, so two concurrent changes cannot both win.
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("The order changed meanwhile; try again")
    if new_status in RELEASES_STOCK:
        for item in order.items:
            if item.product.kind == STOCKED:  # a baked product's share goes back to its day (capacity.release)
                db.session.execute(
                    update(Product)
                    .where(Product.id == item.product_id)
                    .values(stock=Product.stock + item.quantity)
                    .execution_options(synchronize_session=False)
                )
                mark_catalog_changed(db.session)
        capacity.release(order)
        holds.release(order)
    if actor is not None:
        move = f"{current} → {new_status}" + (f": {reason}" if reason else "")
        audit.record(actor, "order.status", "order", order.public_id, move)
    notice = None if current in REOPENS_FROM else NOTICE_FOR.get((new_status, by)) or NOTICE_FOR.get(new_status)
    if notice:
        record_notification(order.id, notice, order.customer_email, order.customer_phone, skip_reason=unsent_because)
    db.session.commit()
    db.session.refresh(order)
    LOGGER.info("order status order_id=%s from=%s to=%s", public_id, current, new_status)
    if notice and not unsent_because:
        wake_sender()
    return order


@dataclass(frozen=True)
class CancelTerms:
    """Whether the customer may cancel now, until when (bakery's local time; None: no deadline), and if not, why."""

    allowed: bool
    until: datetime | None
    why_not: str | None = None


def cancel_terms(order, now=None):
    """The customer's terms for cancelling `order` at `now` (the bakery's local time).

    While it is Pending or Processing and the pickup is more than BAKERY_CANCEL_BEFORE_MINUTES
    away; an order without a pickup time (placed before pickup slots existed) until it is ready.
    """
    config = current_app.config
    now = now or calendar_service.now()
    until = order.pickup_at - timedelta(minutes=config["BAKERY_CANCEL_BEFORE_MINUTES"]) if order.pickup_at else None
    if order.status not in CUSTOMER_CANCELS_FROM:
        why = {
            READY: "It is ready and waiting for you, so it can no longer be cancelled online. Please call us.",
            CANCELLED: "It has been cancelled already.",
            NO_SHOW: "It was not collected on its pickup day. Please call us.",
        }.get(order.status, f"It is {order.status.lower()}, so it can no longer be cancelled.")
        return CancelTerms(False, until, why)
    if until is not None and now >= until:
        minutes = config["BAKERY_CANCEL_BEFORE_MINUTES"]
        return CancelTerms(
            False, until, f"Orders can be cancelled online up to {_duration(minutes)} before pickup. Please call us."
        )
    return CancelTerms(True, until)


def placer_hash(who):
    """A keyed hash of who places or cancels an order ("session:…", "api-key:…", "address:…"), or None:
    comparable, without keeping a session id or an address in the orders table."""
    if not who:
        return None
    return hmac.new(current_app.config["SECRET_KEY"].encode(), f"placer:{who}".encode(), hashlib.sha256).hexdigest()


def _duration(minutes):
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


CANCEL_ATTEMPTS = 2  # the kitchen taking the order (Pending → Processing) at that moment leaves it cancellable
CHANGED_MEANWHILE = "It changed just as you cancelled. Please reload the page and try again."


def cancel_by_customer(public_id, now=None, cancelled_by=None):
    """The customer cancels their order: Conflict unless cancel_terms allow it; stock goes back at once.

    The move is conditional on the status read; when another move wins in between (the worker
    taking the order, staff marking it Ready) the terms are read again and, if they still allow
    it, the cancel is tried once more. `cancelled_by` says who cancels, as `placed_by` did for
    place_order: the one who placed the order, cancelling within QUIET_CANCEL_WITHIN, gets no
    cancellation email (the row is skipped).
    """
    for attempt in range(1, CANCEL_ATTEMPTS + 1):
        order = get_order(public_id)
        terms = cancel_terms(order, now)
        if not terms.allowed:
            db.session.rollback()
            raise Conflict(f"This order can't be cancelled. {terms.why_not}", {"status": order.status})
        placed_here = order.placed_by is not None and hmac.compare_digest(
            order.placed_by, placer_hash(cancelled_by) or ""
        )
        quiet = placed_here and utcnow() - order.created_at < QUIET_CANCEL_WITHIN
        try:
            # only_from: staff may mark it Ready meanwhile; then the conditional update refuses this.
            order = change_status(
                public_id,
                CANCELLED,
                by="customer",
                only_from=CUSTOMER_CANCELS_FROM,
                unsent_because=QUIET_CANCEL if quiet else None,
            )
        except Conflict as lost:
            if attempt < CANCEL_ATTEMPTS:
                continue
            order = get_order(public_id)
            why = cancel_terms(order, now).why_not or CHANGED_MEANWHILE
            raise Conflict(f"This order can't be cancelled. {why}", {"status": order.status}) from lost
        LOGGER.info("order cancelled by customer order_id=%s", public_id)
        return order
