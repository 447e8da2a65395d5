"""What an order goes through once it leaves the request: processing, failed attempts, giving up.

Plain, idempotent functions, free of HTTP and of any broker: the RabbitMQ consumer
(worker/consumer.py, handle_orders() for the messages it has in hand) and the embedded
in-process queue (app/infra/order_queue.py, handle_order() one at a time) only turn the outcomes into
their own ack, retry (after the outcome's delay: capped exponential back-off) or dead-letter.
"""

import logging
from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import DateTime, bindparam, select, text, update

from ..exceptions import DATABASE_DOWN, DomainError
from ..extensions import db
from ..infra.backoff import Backoff
from ..models import FAILED, PENDING, PROCESSING, Order, utcnow
from ..notifications.outbox import (
    CONFIRMATION,
    notification_columns_sql,
    record_notification,
    wake_sender,
    will_be_sent,
)
from .service import change_status

LOGGER = logging.getLogger(__name__)
ACK, RETRY, DEAD_LETTER = "ack", "retry", "dead-letter"
# What process_orders() says of an order besides the status it had: it moved it, or there is no such order.
MOVED, UNKNOWN = "moved", "unknown"


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


def handle_orders(order_ids, max_attempts):
    """The Outcomes of a batch of messages' order ids (None: unreadable), in order, one committed group at a time.

    A generator: each list it yields is settled in the database, so the caller may ack or
    reject those messages; stop iterating to leave the rest unstarted. One transaction moves
    all it can (process_orders); an order another transaction holds is then handled alone,
    waiting for it, as before. If the batch's transaction fails (not DATABASE_DOWN: that raises
    DatabaseUnavailable), each message is handled alone, so the failing order gets its own
    counted attempt and the others still go through.
    """
    rest = list(order_ids)
    while rest:
        try:
            settled = process_orders([order_id for order_id in rest if order_id is not None])
        except DATABASE_DOWN as error:
            db.session.rollback()
            raise DatabaseUnavailable(str(error)) from error
        except Exception as error:  # one of its orders fails: find out which, one by one
            db.session.rollback()
            LOGGER.warning("order batch failed, processing its %d messages one by one: %r", len(rest), error)
            for order_id in rest:
                yield [handle_order(order_id, max_attempts)]
            return
        group = _leading_outcomes(rest, settled)
        if not group:  # the first is held by another transaction: wait for it, alone
            group = [handle_order(rest[0], max_attempts)]
        yield group
        rest = rest[len(group) :]


def _leading_outcomes(order_ids, settled):
    """Outcomes of the messages up to the first whose order process_orders left unsettled."""
    outcomes, moved_here = [], set()
    for order_id in order_ids:
        if order_id is None:
            LOGGER.warning("poison message dead-lettered order_id=None")
            outcomes.append(Outcome(DEAD_LETTER))
            continue
        result = settled.get(order_id)
        if result is None:
            break
        if result == UNKNOWN:
            LOGGER.warning("unknown order dead-lettered order_id=%s", order_id)
            outcomes.append(Outcome(DEAD_LETTER))
            continue
        if result == MOVED and order_id not in moved_here:
            moved_here.add(order_id)
            LOGGER.info("order processing order_id=%s", order_id)
        else:  # past Pending already, or a second message for it in this batch
            status = PROCESSING if result == MOVED else result
            LOGGER.info("order already processed order_id=%s status=%s", order_id, status)
        outcomes.append(Outcome(ACK))
    return outcomes


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


_NOTIFICATION_COLUMNS = "order_id, kind, channel, recipient, status, last_error, attempts, next_attempt_at, created_at"
_CONFIRMATION_VALUES = notification_columns_sql("m.customer_email", "m.customer_phone")
_BATCH_BINDS = (bindparam("now", type_=DateTime()),)
# PostgreSQL, one statement: lock the batch's Pending orders that no other transaction holds
# (SKIP LOCKED: a batch never waits while holding locks, so it cannot deadlock), move those
# that come before the first order another transaction holds ("cut"; that one waits for its
# lock alone, as before), and record their confirmations. seen: what the ids name, as they were.
START_PROCESSING_BATCH = text(
    # Built from constants only (the channel rule's CASE); every value is a bound parameter.
    "WITH batch AS MATERIALIZED ("  # nosec B608
    " SELECT public_id, position FROM unnest(CAST(:public_ids AS varchar[]))"
    "  WITH ORDINALITY AS b(public_id, position)),"
    " seen AS MATERIALIZED (SELECT o.id, o.public_id, o.status, b.position"
    "  FROM orders o JOIN batch b USING (public_id)),"
    " free AS MATERIALIZED (SELECT o.id FROM orders o"
    "  WHERE o.public_id = ANY(CAST(:public_ids AS varchar[])) AND o.status = :pending FOR UPDATE SKIP LOCKED),"
    " cut AS (SELECT min(s.position) AS position FROM seen s"
    "  WHERE s.status = :pending AND s.id NOT IN (SELECT id FROM free)),"
    " moved AS (UPDATE orders o SET status = :processing, updated_at = :now,"
    "  published_at = coalesce(o.published_at, :now) FROM seen s, cut c"
    "  WHERE o.id = s.id AND o.status = :pending AND o.id IN (SELECT id FROM free)"
    "  AND (c.position IS NULL OR s.position < c.position)"
    "  RETURNING o.id, o.customer_email, o.customer_phone),"
    f" notified AS (INSERT INTO notifications ({_NOTIFICATION_COLUMNS})"
    f"  SELECT m.id, :kind, {_CONFIRMATION_VALUES}, 0, :now, :now FROM moved m"
    "  ON CONFLICT (order_id, kind) DO NOTHING)"
    " SELECT s.public_id, s.status, m.id IS NOT NULL AS moved, m.customer_email, m.customer_phone, c.position AS cut"
    " FROM seen s CROSS JOIN cut c LEFT JOIN moved m ON m.id = s.id"
).bindparams(*_BATCH_BINDS)
# SQLite (no data-modifying CTE, no row locks: writers take turns) does it in two statements.
START_PROCESSING_MANY = (
    update(_orders)
    .where(_orders.c.public_id.in_(bindparam("public_ids", expanding=True)), _orders.c.status == PENDING)
    .values(
        status=PROCESSING,
        updated_at=bindparam("now"),
        published_at=db.func.coalesce(_orders.c.published_at, bindparam("now")),
    )
    .returning(_orders.c.id, _orders.c.public_id, _orders.c.customer_email, _orders.c.customer_phone)
)
RECORD_CONFIRMATIONS = text(
    f"INSERT INTO notifications ({_NOTIFICATION_COLUMNS})"  # nosec B608
    f" SELECT m.id, :kind, {_CONFIRMATION_VALUES}, 0, :now, :now FROM orders m WHERE m.id IN :order_pks"
    " ON CONFLICT (order_id, kind) DO NOTHING"
).bindparams(bindparam("order_pks", expanding=True), *_BATCH_BINDS)


def process_orders(public_ids):
    """process_order() for many orders in one transaction: {public id: MOVED, its status past Pending, or UNKNOWN}.

    Orders move Pending → Processing with their confirmation recorded, exactly once in
    effect. On PostgreSQL the ids from the first order another transaction holds on are
    left out of the answer (and untouched): the caller handles that one alone. Commits
    before returning, so the caller may ack the messages of the ids answered.
    """
    unique_ids = list(dict.fromkeys(public_ids))
    if not unique_ids:
        return {}
    if db.engine.dialect.name == "postgresql":
        rows, cut = _start_processing_postgresql(unique_ids)
    else:
        rows, cut = _start_processing_sqlite(unique_ids), None
    db.session.commit()
    by_id = {row.public_id: row for row in rows}
    settled = {}
    for position, public_id in enumerate(unique_ids, 1):
        if cut is not None and position >= cut:
            break
        row = by_id.get(public_id)
        settled[public_id] = UNKNOWN if row is None else MOVED if row.moved else row.status
    if any(row.moved and will_be_sent(row.customer_email, row.customer_phone) for row in rows):
        wake_sender()  # (a pass of the sender is a round trip: only when there is something to send)
    return settled


def _start_processing_postgresql(unique_ids):
    rows = db.session.execute(
        START_PROCESSING_BATCH,
        {"public_ids": unique_ids, "now": utcnow(), "pending": PENDING, "processing": PROCESSING, "kind": CONFIRMATION},
    ).all()
    return rows, rows[0].cut if rows else None


class _Seen(NamedTuple):
    public_id: str
    status: str
    moved: bool
    customer_email: str | None = None
    customer_phone: str | None = None


def _start_processing_sqlite(unique_ids):
    now = utcnow()
    moved = db.session.execute(START_PROCESSING_MANY, {"public_ids": unique_ids, "now": now}).all()
    if moved:
        db.session.execute(
            RECORD_CONFIRMATIONS, {"order_pks": [row.id for row in moved], "kind": CONFIRMATION, "now": now}
        )
    rows = [_Seen(row.public_id, PROCESSING, True, row.customer_email, row.customer_phone) for row in moved]
    others = set(unique_ids) - {row.public_id for row in moved}
    if others:
        statuses = select(Order.public_id, Order.status).where(Order.public_id.in_(others))
        rows += [_Seen(public_id, status, False) for public_id, status in db.session.execute(statuses)]
    return rows


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
