"""What to do with one order message: ack it, try it again later, or dead-letter it.

Shared by the RabbitMQ consumer and the in-process queue, so both fail the same way.
"""
import logging

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.exceptions import DomainError
from app.extensions import db
from app.models import FAILED
from app.orders.service import change_status
from worker.processing import UnknownOrder, process_order, record_failed_attempt

LOGGER = logging.getLogger(__name__)
ACK, RETRY, DEAD_LETTER = "ack", "retry", "dead-letter"

# The database itself is unreachable: no attempt was made, so none is counted.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


class DatabaseUnavailable(Exception):
    """Processing could not reach the database; the message must wait, not fail."""


def handle_order(order_id, max_attempts):
    """Process the order named by a message (None: unreadable) and return ACK, RETRY or DEAD_LETTER.

    A failure counts as an attempt on the order; the last allowed one marks it Failed
    (which gives its stock back). Raises DatabaseUnavailable if the database is down.
    """
    if order_id is None:
        LOGGER.warning("poison message dead-lettered order_id=None")
        return DEAD_LETTER
    try:
        process_order(order_id)
        return ACK
    except UnknownOrder:
        LOGGER.warning("unknown order dead-lettered order_id=%s", order_id)
        return DEAD_LETTER
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
            return ACK
        if attempts < max_attempts:
            LOGGER.warning("order will be retried order_id=%s attempt=%d/%d", order_id, attempts, max_attempts)
            return RETRY
        change_status(order_id, FAILED, reason=reason)
    except DATABASE_DOWN as error:
        db.session.rollback()
        raise DatabaseUnavailable(str(error)) from error
    except DomainError:  # the order moved on (or went) meanwhile; nothing is left to do
        db.session.rollback()
        return ACK
    LOGGER.error("order failed order_id=%s attempts=%d reason=%s", order_id, attempts, reason)
    return DEAD_LETTER
