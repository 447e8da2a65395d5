"""What an order goes through once it leaves the request: processing, failed attempts, giving up.

Plain, idempotent functions, free of HTTP and of any broker: the RabbitMQ consumer
(worker/consumer.py) and the embedded in-process queue (app/queue.py) both call
handle_order() and only turn its outcome into their own ack, retry (after the outcome's
delay: capped exponential back-off) or dead-letter.
"""

import logging
from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, select, update

from ..backoff import Backoff
from ..database import DATABASE_DOWN
from ..exceptions import DomainError
from ..extensions import db
from ..models import FAILED, PENDING, PROCESSING, Order, utcnow
from ..notifications.outbox import CONFIRMATION, record_notification, wake_sender, will_be_sent
from .service import change_status

LOGGER = logging.getLogger(__name__)
ACK, RETRY, DEAD_LETTER = "ack", "retry", "dead-letter"


class Outcome(NamedTuple):
    """What to do with an order's message: ACK, RETRY (after `delay` seconds) or DEAD_LETTER."""

    action: str
    delay: float = 0.0


class UnknownOrder(Exception):
    """The message names no order: retrying can never help."""


class DatabaseUnavailable(Exception):
    """Processing could not reach the database (DATABASE_DOWN): no attempt was made, so none is counted."""


def handle_order(order_id, max_attempts):
    """Process the order named by a message (None: unreadable); return the Outcome for its message.

    A failure counts as an attempt on the order and asks for a retry after retry_delay();
    the last allowed one marks it Failed (which gives its stock back). Raises
    DatabaseUnavailable if the database is down.
    """
    if order_id is None:
        LOGGER.warning("poison message dead-lettered order_id=None")
        return Outcome(DEAD_LETTER)
    try:
        process_order(order_id)
        return Outcome(ACK)
    except UnknownOrder:
        LOGGER.warning("unknown order dead-lettered order_id=%s", order_id)
        return Outcome(DEAD_LETTER)
    except DATABASE_DOWN as error:
        db.session.rollback()
        raise DatabaseUnavailable(str(error)) from error
    except Exception as error:  # any other failure is the order's: count it
        db.session.rollback()
        LOGGER.exception("order processing failed order_id=%s", order_id)
        return _count_failure(order_id, f"{type(error).__name__}: {error}"[:500], max_attempts)


def _count_failure(order_id, reason, max_attempts):
    try:
        attempts = record_failed_attempt(order_id, reason)
        if attempts is None:  # no longer Pending: someone else finished or cancelled it
            return Outcome(ACK)
        if attempts < max_attempts:
            delay = retry_delay(attempts)
            LOGGER.warning(
                "order will be retried order_id=%s attempt=%d/%d retry_in=%.2fs",
                order_id,
                attempts,
                max_attempts,
                delay,
            )
            return Outcome(RETRY, delay)
        change_status(order_id, FAILED, reason=reason)
    except DATABASE_DOWN as error:
        db.session.rollback()
        raise DatabaseUnavailable(str(error)) from error
    except DomainError:  # the order moved on (or went) meanwhile; nothing is left to do
        db.session.rollback()
        return Outcome(ACK)
    LOGGER.error("order failed order_id=%s attempts=%d reason=%s", order_id, attempts, reason)
    return Outcome(DEAD_LETTER)


def retry_delay(attempts):
    """Seconds to wait before trying an order again after its `attempts`-th failure: base, 2·base, … up to max."""
    config = current_app.config
    return Backoff(config["ORDER_RETRY_BASE_SECONDS"], config["ORDER_RETRY_MAX_SECONDS"]).delay(attempts - 1)


def waiting_for_retry(attempts, last_failed_at, now):
    """Whether a Pending order that failed `attempts` times, the last at `last_failed_at`, is still backing off."""
    return attempts > 0 and last_failed_at + timedelta(seconds=retry_delay(attempts)) > now


_orders = Order.__table__
# On the table, not the ORM entity, and built once: the worker runs it for every order.
START_PROCESSING = (
    update(_orders)
    .where(_orders.c.public_id == bindparam("order_public_id"), _orders.c.status == PENDING)
    .values(
        status=PROCESSING,
        updated_at=bindparam("now"),
        published_at=db.func.coalesce(_orders.c.published_at, bindparam("now")),
    )
    .returning(_orders.c.id, _orders.c.customer_email, _orders.c.customer_phone)
)


def process_order(public_id):
    """Move the order Pending → Processing and record its confirmation ("order received"), exactly once in effect.

    Returns True if this call did the work, False if the order was already past Pending
    (a redelivered or duplicated message). Commits before returning, so the caller may ack.
    """
    # One round trip moves the order and returns what the confirmation needs.
    now = utcnow()
    moved = db.session.execute(START_PROCESSING, {"order_public_id": public_id, "now": now}).one_or_none()
    if moved is None:
        status = db.session.scalar(select(Order.status).where(Order.public_id == public_id))
        db.session.rollback()
        if status is None:
            raise UnknownOrder(public_id)
        LOGGER.info("order already processed order_id=%s status=%s", public_id, status)
        return False

    # In the same transaction: the confirmation is sent if and only if the order moved.
    record_notification(moved.id, CONFIRMATION, moved.customer_email, moved.customer_phone)
    db.session.commit()
    LOGGER.info("order processing order_id=%s", public_id)
    if will_be_sent(moved.customer_email, moved.customer_phone):
        wake_sender()  # (a pass of the sender is a round trip: only when there is something to send)
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
