"""What happens to an order once it leaves the request: a plain, idempotent function.

It runs the same in the RabbitMQ worker and in the embedded in-process queue.
"""
import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import PENDING, PROCESSING, Notification, Order, utcnow
from worker.notify import send_confirmation

LOGGER = logging.getLogger(__name__)


class UnknownOrder(Exception):
    """The message names no order: retrying can never help."""


def process_order(public_id):
    """Move the order Pending → Processing and record its confirmation, exactly once in effect.

    Returns True if this call did the work, False if the order was already past Pending
    (a redelivered or duplicated message). Commits before returning, so the caller may ack.
    """
    moved = db.session.execute(
        update(Order)
        .where(Order.public_id == public_id, Order.status == PENDING)
        .values(status=PROCESSING, updated_at=utcnow(), published_at=db.func.coalesce(Order.published_at, utcnow()))
        .execution_options(synchronize_session=False)
    ).rowcount
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    if order is None:
        db.session.rollback()
        raise UnknownOrder(public_id)
    if not moved:
        db.session.rollback()
        LOGGER.info("order already processed order_id=%s status=%s", public_id, order.status)
        return False

    notification = _record_confirmation(order)
    db.session.commit()
    LOGGER.info("order processing order_id=%s", public_id)
    if notification is not None:
        send_confirmation(order, notification)
    # Reading the committed order above began a new transaction: end it, so no connection
    # sits idle in a transaction (holding locks that TRUNCATE or a migration would wait on).
    db.session.rollback()
    return True


def record_failed_attempt(public_id, reason):
    """Count a failed attempt on a still-Pending order and keep why; return the count (None if not Pending)."""
    attempts = db.session.execute(
        update(Order)
        .where(Order.public_id == public_id, Order.status == PENDING)
        .values(processing_attempts=Order.processing_attempts + 1, failure_reason=reason, updated_at=utcnow())
        .returning(Order.processing_attempts)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.session.commit()
    return attempts


def _record_confirmation(order):
    """Insert the confirmation row; the unique (order, kind) key refuses a second one."""
    notification = Notification(
        order_id=order.id,
        kind="confirmation",
        channel="email" if order.customer_contact and "@" in order.customer_contact else "log",
        recipient=order.customer_contact,
    )
    try:
        with db.session.begin_nested():
            db.session.add(notification)
    except IntegrityError:
        return None
    return notification
