"""Orders processed in batches (process_orders, handle_orders): the same outcomes as one by one, on either backend."""

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import Notification, Order, utcnow
from app.notifications.outbox import DELIVERED_CHANNELS
from app.orders.processing import (
    ACK,
    DEAD_LETTER,
    MOVED,
    RETRY,
    UNKNOWN,
    handle_orders,
    process_order,
    process_orders,
)

CONTACTS = [("ann@bakery.test", None), (None, "+34 600 000 001"), ("", "+34 600 000 002"), (None, None), ("", "")]


def add_orders(app, *contacts, status="Pending"):
    """Orders straight in the table (already published, so no relay or queue picks them up); their public ids."""
    with app.app_context():
        orders = [
            Order(total=1, status=status, customer_email=email, customer_phone=phone, published_at=utcnow())
            for email, phone in contacts
        ]
        db.session.add_all(orders)
        db.session.commit()
        return [order.public_id for order in orders]


def confirmations(app, public_ids):
    """{public id: [(channel, recipient, status, last_error) of each of its notifications]}.

    A row on a channel the sender delivers is "for the sender" whatever it did with it yet
    (on the embedded default the sender runs in this process and may already have handled it).
    """
    with app.app_context():
        rows = db.session.execute(
            select(Order.public_id, Notification.channel, Notification.recipient, Notification.status)
            .add_columns(Notification.last_error, Notification.kind)
            .join(Notification, Notification.order_id == Order.id)
            .where(Order.public_id.in_(public_ids))
        ).all()
    found = {public_id: [] for public_id in public_ids}
    for public_id, *fields, kind in rows:
        assert kind == "confirmation"
        channel, recipient, status, last_error = fields
        if channel in DELIVERED_CHANNELS:
            status, last_error = "for the sender", None
        found[public_id].append((channel, recipient, status, last_error))
    return found


def status_of(app, public_id):
    with app.app_context():
        return db.session.scalar(select(Order.status).where(Order.public_id == public_id))


def test_a_batch_moves_every_pending_order_and_records_the_same_confirmation_as_one_by_one(app):
    batched = add_orders(app, *CONTACTS)
    alone = add_orders(app, *CONTACTS)
    with app.app_context():
        assert process_orders(batched) == dict.fromkeys(batched, MOVED)
        for public_id in alone:
            assert process_order(public_id) is True
    assert {status_of(app, public_id) for public_id in batched} == {"Processing"}
    by_batch, by_one = confirmations(app, batched), confirmations(app, alone)
    assert [len(by_batch[public_id]) for public_id in batched] == [1] * len(CONTACTS)
    assert [by_batch[public_id] for public_id in batched] == [by_one[public_id] for public_id in alone]


def test_a_batch_settles_pending_processed_unknown_and_unreadable_messages_each_as_alone(app):
    [pending] = add_orders(app, ("a@bakery.test", None))
    [processed] = add_orders(app, ("b@bakery.test", None), status="Processing")
    with app.app_context():
        groups = list(handle_orders([pending, processed, "no-such-order-0000", None, pending], max_attempts=5))
        assert process_orders([pending, "no-such-order-0000"]) == {pending: "Processing", "no-such-order-0000": UNKNOWN}
    assert [outcome.action for group in groups for outcome in group] == [ACK, ACK, DEAD_LETTER, DEAD_LETTER, ACK]
    assert len(groups) == 1  # one transaction for all five
    assert (status_of(app, pending), status_of(app, processed)) == ("Processing", "Processing")
    assert [len(found) for found in confirmations(app, [pending, processed]).values()] == [1, 0]


@pytest.fixture
def failing_recipient(app):
    """A trigger refuses the notifications to fail@bakery.test, as a fault in one order's processing would."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text(
                    "CREATE OR REPLACE FUNCTION batch_test_fail() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'kitchen printer on fire'; END $$ LANGUAGE plpgsql"
                )
            )
            db.session.execute(
                text(
                    "CREATE TRIGGER batch_test_fail BEFORE INSERT ON notifications FOR EACH ROW "
                    "WHEN (NEW.recipient = 'fail@bakery.test') EXECUTE FUNCTION batch_test_fail()"
                )
            )
        else:
            db.session.execute(
                text(
                    "CREATE TRIGGER batch_test_fail BEFORE INSERT ON notifications "
                    "WHEN NEW.recipient = 'fail@bakery.test' BEGIN SELECT RAISE(ABORT, 'kitchen printer on fire'); END"
                )
            )
        db.session.commit()
    yield "fail@bakery.test"
    with app.app_context():
        drop = "DROP TRIGGER IF EXISTS batch_test_fail"
        db.session.execute(text(f"{drop} ON notifications" if db.engine.dialect.name == "postgresql" else drop))
        db.session.commit()


def test_a_batch_with_a_failing_order_falls_back_to_one_by_one_and_the_others_go_through(app, failing_recipient):
    first, doomed, last = add_orders(app, ("a@bakery.test", None), (failing_recipient, None), ("c@bakery.test", None))
    with app.app_context():
        groups = list(handle_orders([first, doomed, last], max_attempts=5))
        attempts = db.session.scalar(select(Order.processing_attempts).where(Order.public_id == doomed))
    assert [[outcome.action for outcome in group] for group in groups] == [[ACK], [RETRY], [ACK]]
    assert [status_of(app, public_id) for public_id in (first, doomed, last)] == ["Processing", "Pending", "Processing"]
    assert attempts == 1  # the batch's own failure counted nothing
    assert [len(found) for found in confirmations(app, [first, doomed, last]).values()] == [1, 0, 1]
