"""What happens to an order once it leaves the request: a plain, idempotent function.

It runs the same in the RabbitMQ worker and in the embedded in-process queue.
"""
import logging

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import PENDING, PROCESSING, Notification, Order, utcnow
from worker.notify import send_confirmation

LOGGER = logging.getLogger(__name__)
CONFIRMATION = "confirmation"
# INSERT … ON CONFLICT DO NOTHING: one round trip, where a savepoint would take three.
INSERT_FOR_DIALECT = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class UnknownOrder(Exception):
    """The message names no order: retrying can never help."""


def process_order(public_id):
    """Move the order Pending → Processing and record its confirmation, exactly once in effect.

    Returns True if this call did the work, False if the order was already past Pending
    (a redelivered or duplicated message). Commits before returning, so the caller may ack.
    """
    # One round trip moves the order and returns what the confirmation needs.
    moved = db.session.execute(
        update(Order)
        .where(Order.public_id == public_id, Order.status == PENDING)
        .values(status=PROCESSING, updated_at=utcnow(), published_at=db.func.coalesce(Order.published_at, utcnow()))
        .returning(Order.id, Order.total, Order.customer_contact)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if moved is None:
        status = db.session.scalar(select(Order.status).where(Order.public_id == public_id))
        db.session.rollback()
        if status is None:
            raise UnknownOrder(public_id)
        LOGGER.info("order already processed order_id=%s status=%s", public_id, status)
        return False

    channel = "email" if moved.customer_contact and "@" in moved.customer_contact else "log"
    recorded = _record_confirmation(moved.id, channel, moved.customer_contact)
    db.session.commit()
    LOGGER.info("order processing order_id=%s", public_id)
    if recorded:
        send_confirmation(public_id, moved.total, channel, moved.customer_contact)
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


def _record_confirmation(order_id, channel, recipient):
    """Insert the confirmation row; False if the unique (order, kind) key says it exists already."""
    insert = INSERT_FOR_DIALECT[db.engine.dialect.name]
    inserted = db.session.execute(
        insert(Notification)
        .values(order_id=order_id, kind=CONFIRMATION, channel=channel, recipient=recipient, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["order_id", "kind"])
    ).rowcount
    return inserted == 1
