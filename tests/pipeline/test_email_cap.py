"""No address gets more than EMAILS_PER_RECIPIENT_PER_HOUR emails an hour, however the orders are placed.

Ordering with a stranger's address and cancelling, in a loop, must not bomb the stranger: the
emails over the cap stay in the outbox as `skipped` with the reason, and staff see them on
the board (to phone the customer instead). The cap holds with two senders claiming at once.
"""

import json
import threading
import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event, func, select, update

from app.extensions import db
from app.models import Notification, Order, utcnow
from app.notifications.outbox import CANCELLED_BY_BAKERY, CANCELLED_BY_CUSTOMER, READY, canonical_recipient
from app.notifications.sender import claim_due
from tests.helpers import BROWSER, JSON, ON_SERVICES, wait_for_status
from tests.mail_tools import checkout, next_weekday
from tests.pipeline_tools import wait_until
from tests.smtp import SmtpServer, mail_settings


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def capped_app(make_app, smtp, cap):
    app = make_app(
        **mail_settings(smtp), EMAILS_PER_RECIPIENT_PER_HOUR=cap, MAX_OPEN_ORDERS_PER_CONTACT=0, BAKERY_SLOT_CAPACITY=50
    )
    if ON_SERVICES:
        app.extensions["notification_sender"].start()
    return app


def rows_by_status(app):
    """{status: count} of the email rows."""
    with app.app_context():
        counted = select(Notification.status, func.count()).where(Notification.channel == "email")
        return dict(db.session.execute(counted.group_by(Notification.status)).all())


def nothing_pending(app):
    return "pending" not in rows_by_status(app)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada@Example.COM ", "ada@example.com"),
        ("ada+bakery@example.com", "ada@example.com"),
        ("A.d.a+x@GoogleMail.com", "ada@gmail.com"),
        ("a.da@gmail.com", "ada@gmail.com"),
        ("a.da@example.com", "a.da@example.com"),  # dots count elsewhere
    ],
)
def test_one_mailbox_is_one_recipient_whatever_the_case_spaces_or_tags(typed, canonical):
    assert canonical_recipient(typed) == canonical


def test_order_and_cancel_in_a_loop_gets_the_stranger_no_more_than_the_cap_and_staff_see_the_rest(
    make_app,
    smtp,
    products,
    staff_login,
):
    app = capped_app(make_app, smtp, cap=3)
    day = next_weekday()
    spellings = ["victim@example.com", "Victim@Example.com", "VICTIM@EXAMPLE.COM", "victim+x@example.com"]
    order_ids = []
    for spelling in spellings:
        placer = app.test_client()  # a new session each round, as a script would
        order_id = checkout(placer, products["Baguette"], spelling, day=day)
        assert wait_for_status(placer, order_id, "Processing") == "Processing"
        # Cancelled from yet another session: the quick-cancel rule does not apply, the cap does.
        assert app.test_client().post(f"/orders/{order_id}/cancel", headers=JSON).status_code == 200
        order_ids.append(order_id)
    wait_until(lambda: nothing_pending(app), 20, lambda: f"still pending: {rows_by_status(app)}")
    smtp.wait_for(4, timeout=1)
    received = smtp.messages
    assert len(received) == 3, [m["Subject"] for m in received]
    # The first order's confirmation goes out; what went out went to the one mailbox.
    assert "confirmed" in received[0]["Subject"]
    assert {m["To"].lower().replace("+x", "") for m in received} == {"victim@example.com"}
    assert rows_by_status(app) == {"sent": 3, "skipped": 5}
    with app.app_context():
        held = db.session.scalars(select(Notification).where(Notification.status == "skipped")).all()
        assert all("an hour" in row.last_error for row in held)

    staff = app.test_client()
    staff_login(staff)
    board = BeautifulSoup(staff.get(f"/staff/orders?date={day}", headers=BROWSER).data, "html.parser")
    alerts = board.select(".notification-held")
    assert len(alerts) == 5
    assert all("victim" in alert.get_text().lower() and "not sent" in alert.get_text() for alert in alerts)
    held_on = {alert.find_parent("article")["data-order-id"] for alert in alerts}
    assert held_on <= set(order_ids) and len(held_on) >= 2


def test_with_the_cap_at_zero_every_email_goes_out(make_app, smtp, products):
    app = capped_app(make_app, smtp, cap=0)
    client = app.test_client()
    for _ in range(4):
        checkout(client, products["Baguette"], "many@example.com")
    assert len(smtp.wait_for(4, timeout=20)) == 4
    wait_until(lambda: rows_by_status(app) == {"sent": 4}, 10, lambda: str(rows_by_status(app)))


def pending_rows_to_one_mailbox(app, product_id, count):
    """`count` due email rows to one mailbox, spelled three ways, on orders without a contact.

    The tests claim these rows themselves, so the app's own sender (on the embedded default a
    thread of the web process, started by the first email) is stopped for good: on a busy
    machine its next poll would otherwise take them first.
    """
    sender = app.extensions["notification_sender"]
    sender.autostart = False
    sender.stop()
    client = app.test_client()
    order_ids = []
    for _ in range((count + 2) // 3):
        body = {"items": [{"id": product_id, "quantity": 1}]}
        response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
        assert response.status_code == 201, response.get_json()
        order_ids.append(response.get_json()["order_id"])
    for order_id in order_ids:
        assert wait_for_status(client, order_id, "Processing") == "Processing"
    spellings = ["bomb@example.com", "Bomb@Example.com", "BOMB+1@example.com"]
    with app.app_context():
        orders = db.session.scalars(select(Order).where(Order.public_id.in_(order_ids))).all()
        now = utcnow()
        rows = [
            Notification(
                order_id=order.id,
                kind=kind,
                channel="email",
                recipient=spellings[n % 3],
                status="pending",
                next_attempt_at=now,
                created_at=now,
            )
            for n, (order, kind) in enumerate(
                (order, kind) for order in orders for kind in (READY, CANCELLED_BY_BAKERY, CANCELLED_BY_CUSTOMER)
            )
        ][:count]
        db.session.add_all(rows)
        db.session.commit()


def test_two_senders_claiming_at_once_let_through_no_more_than_the_cap(make_app, products):
    """Both claim their own rows at the same moment; together they may still admit only the cap."""
    app = make_app(EMAILS_PER_RECIPIENT_PER_HOUR=10, MAX_OPEN_ORDERS_PER_CONTACT=0)
    pending_rows_to_one_mailbox(app, products["Baguette"], 30)
    start = threading.Barrier(2)
    claimed = {}

    def sender(name):
        with app.app_context():
            start.wait(5)
            claimed[name] = claim_due(15, 60, app.config["EMAILS_PER_RECIPIENT_PER_HOUR"])
            db.session.remove()

    def linger_after_claiming(_conn, _cursor, statement, *_rest):
        # Widens the race: both senders have claimed their rows before either counts them.
        if statement.startswith("UPDATE notifications SET attempts"):
            time.sleep(0.3)

    threads = [threading.Thread(target=sender, args=(name,)) for name in ("a", "b")]
    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", linger_after_claiming)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    finally:
        event.remove(engine, "after_cursor_execute", linger_after_claiming)
    assert len(claimed["a"]) + len(claimed["b"]) == 10, claimed
    assert rows_by_status(app) == {"pending": 10, "skipped": 20}
    # Claimed again later (another pass, another sender): still nothing over the cap.
    with app.app_context():
        assert claim_due(30, 60, 10) == []


def test_a_claim_takes_no_more_rows_than_its_limit(make_app, products):
    """On PostgreSQL an `IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` can be run again for each row
    it is joined with, each run finding n more: one sender then claims everything."""
    app = make_app(EMAILS_PER_RECIPIENT_PER_HOUR=0, MAX_OPEN_ORDERS_PER_CONTACT=0)
    pending_rows_to_one_mailbox(app, products["Baguette"], 30)
    with app.app_context():
        assert len(claim_due(15, 60, 0)) == 15
        assert len(claim_due(15, 60, 0)) == 15
        assert claim_due(15, 60, 0) == []


def test_an_hour_after_the_cap_was_reached_the_mailbox_gets_emails_again(make_app, products):
    app = make_app(MAX_OPEN_ORDERS_PER_CONTACT=0)
    pending_rows_to_one_mailbox(app, products["Baguette"], 12)
    with app.app_context():
        assert len(claim_due(20, 60, 10)) == 10
    assert rows_by_status(app) == {"pending": 10, "skipped": 2}
    with app.app_context():
        # An hour and a minute later, the ten are out of the window: the next emails go.
        counted = Notification.counted_at.isnot(None)
        db.session.execute(
            update(Notification).where(counted).values(counted_at=Notification.counted_at - timedelta(minutes=61))
        )
        db.session.execute(
            update(Notification).where(Notification.status == "pending").values(status="sent", sent_at=utcnow())
        )
        db.session.commit()
    pending_rows_to_one_mailbox(app, products["Baguette"], 3)
    with app.app_context():
        assert len(claim_due(20, 60, 10)) == 3
