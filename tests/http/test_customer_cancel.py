"""Customers cancel their own orders: a confirmation step without JavaScript, htmx, JSON, the deadline, races."""

import json
import threading
from datetime import datetime, timedelta

from bs4 import BeautifulSoup
from sqlalchemy import select, update

from app.bakery_calendar.service import now as bakery_now
from app.extensions import db
from app.models import Notification, Order
from tests.helpers import BROWSER, HTMX, JSON, later_pickup, wait_for_status
from tests.mail_tools import checkout, text_part
from tests.pipeline_tools import wait_until


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def placed(client, product_id, quantity=3):
    """An API order for a slot days ahead (so the cancel deadline is far), taken by the kitchen."""
    body = {"items": [{"id": product_id, "quantity": quantity}], "pickup_at": later_pickup(client)}
    response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.get_json()
    order_id = response.get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    return order_id


def set_pickup(app, order_id, minutes_from_now):
    with app.app_context():
        pickup = bakery_now() + timedelta(minutes=minutes_from_now)
        db.session.execute(update(Order).where(Order.public_id == order_id).values(pickup_at=pickup))
        db.session.commit()


def test_without_javascript_the_customer_confirms_on_a_page_and_the_stock_comes_back(client, products, stock_of):
    before = stock_of(products["Baguette"])
    order_id = placed(client, products["Baguette"])
    page = soup_of(client.get(f"/orders/{order_id}", headers=BROWSER))
    assert (
        "You can cancel online until" in page.select_one(".cancel-until").get_text()
    )  # its assigned slot, less the notice
    confirm = client.get(page.select_one("a.cancel-start")["href"], headers=BROWSER)
    form = soup_of(confirm).select_one("form.cancel-form")
    assert "Yes, cancel my order" in form.get_text()
    response = client.post(form["action"], data={}, headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{order_id}"
    page = soup_of(client.get(f"/orders/{order_id}", headers=BROWSER))
    assert "You cancelled this order" in page.select_one(".cancel-done").get_text()
    assert "Cancelled" in page.select_one(".status-line").get_text()
    assert stock_of(products["Baguette"]) == before


def test_with_htmx_the_confirmation_and_the_answer_swap_the_cancel_block(client, products):
    order_id = placed(client, products["Baguette"])
    block = soup_of(client.get(f"/orders/{order_id}/cancel", headers=HTMX))
    assert block.select_one("#order-cancel form")["hx-post"] == f"/orders/{order_id}/cancel"
    answer = client.post(f"/orders/{order_id}/cancel", headers=HTMX)
    assert answer.status_code == 200
    assert "You cancelled this order" in soup_of(answer).select_one("#order-cancel").get_text()


def test_json_clients_cancel_and_get_409_when_it_is_too_late(client, products):
    order_id = placed(client, products["Baguette"])
    response = client.post(f"/orders/{order_id}/cancel", headers=JSON)
    assert response.status_code == 200 and response.get_json()["status"] == "Cancelled"
    again = client.post(f"/orders/{order_id}/cancel", headers=JSON)
    assert again.status_code == 409 and "cancelled already" in again.get_json()["error"]
    assert client.post("/orders/nosuchorder123/cancel", headers=JSON).status_code == 404


def test_the_deadline_is_shown_and_after_it_the_page_says_why_not(app, client, products):
    order_id = placed(client, products["Baguette"])
    set_pickup(app, order_id, 180)
    page = soup_of(client.get(f"/orders/{order_id}", headers=BROWSER))
    assert page.select_one(".cancel-until time")  # until pickup minus 120 minutes
    as_json = client.get(f"/orders/{order_id}", headers=JSON).get_json()
    assert as_json["can_cancel"] is True
    # Both times carry the bakery's UTC offset, so a client in another zone reads them right.
    until, pickup = datetime.fromisoformat(as_json["cancel_until"]), datetime.fromisoformat(as_json["pickup_at"])
    assert until.utcoffset() is not None and pickup - until == timedelta(minutes=120)
    set_pickup(app, order_id, 90)  # inside the last two hours
    page = soup_of(client.get(f"/orders/{order_id}", headers=BROWSER))
    assert "up to 2 hours before pickup" in page.select_one(".cancel-closed").get_text()
    assert not page.select_one("a.cancel-start")
    response = client.post(f"/orders/{order_id}/cancel", headers=JSON)
    assert response.status_code == 409 and "2 hours before pickup" in response.get_json()["error"]
    browser = client.post(f"/orders/{order_id}/cancel", headers=BROWSER)
    assert browser.status_code == 409
    assert "2 hours before pickup" in soup_of(browser).select_one(".cancel-error").get_text()
    assert wait_for_status(client, order_id, "Processing") == "Processing"


def test_a_ready_order_cannot_be_cancelled_by_the_customer(app, client, products):
    from app.orders.service import change_status

    order_id = placed(client, products["Baguette"])
    with app.app_context():
        change_status(order_id, "Ready")
    response = client.post(f"/orders/{order_id}/cancel", headers=JSON)
    assert response.status_code == 409 and "ready" in response.get_json()["error"]


def test_concurrent_cancel_and_staff_ready_exactly_one_wins(make_app, products, stock_of):
    from app.orders.service import cancel_by_customer, change_status

    app = make_app()
    client = app.test_client()
    for _round in range(5):
        order_id = placed(client, products["Baguette"], quantity=1)
        before = stock_of(products["Baguette"])
        barrier, results = threading.Barrier(2), {}

        def run(name, action, order_id=order_id, barrier=barrier, results=results):
            with app.app_context():
                barrier.wait()
                try:
                    action(order_id)
                    results[name] = "won"
                except Exception as error:
                    results[name] = type(error).__name__
                finally:
                    db.session.remove()

        threads = [
            threading.Thread(target=run, args=("customer", cancel_by_customer)),
            threading.Thread(target=run, args=("staff", lambda oid: change_status(oid, "Ready"))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert sorted(results.values()) == ["Conflict", "won"], results
        status = client.get(f"/order-status/{order_id}", headers=JSON).get_json()["status"]
        assert status == ("Cancelled" if results["customer"] == "won" else "Ready")
        assert stock_of(products["Baguette"]) == before + (1 if status == "Cancelled" else 0)


def backdate_order(app, order_id, minutes):
    """As if the order had been placed `minutes` ago."""
    with app.app_context():
        placed_at = db.session.scalar(select(Order.created_at).where(Order.public_id == order_id))
        db.session.execute(
            update(Order).where(Order.public_id == order_id).values(created_at=placed_at - timedelta(minutes=minutes))
        )
        db.session.commit()


def cancellation_row(app, order_id):
    """(status, last_error) of the order's cancelled-by-customer notification, or None."""
    with app.app_context():
        return db.session.execute(
            select(Notification.status, Notification.last_error)
            .join(Order)
            .where(Order.public_id == order_id, Notification.kind == "cancelled_by_customer")
        ).one_or_none()


def test_the_customer_gets_a_cancellation_email(mail_client, mail_app, smtp, products):
    order_id = checkout(mail_client, products["Baguette"], "gus@example.com")
    assert wait_for_status(mail_client, order_id, "Processing") == "Processing"
    backdate_order(mail_app, order_id, minutes=2)  # past the minute in which cancelling is silent
    assert mail_client.post(f"/orders/{order_id}/cancel", headers=JSON).status_code == 200
    _confirmation, cancelled = smtp.wait_for(2, address="gus@example.com")
    assert "You cancelled order" in cancelled["Subject"]
    assert "You cancelled your order" in text_part(cancelled)
    assert len(smtp.wait_for(3, timeout=1)) == 2


def test_cancelled_within_a_minute_by_whoever_placed_it_the_confirmation_goes_out_but_no_cancellation(
    mail_client,
    mail_app,
    smtp,
    products,
):
    order_id = checkout(mail_client, products["Baguette"], "hal@example.com")
    assert wait_for_status(mail_client, order_id, "Processing") == "Processing"
    [confirmation] = smtp.wait_for(1, address="hal@example.com")
    assert "confirmed" in confirmation["Subject"]
    response = mail_client.post(f"/orders/{order_id}/cancel", headers=BROWSER)
    assert response.status_code == 303
    status, why = cancellation_row(mail_app, order_id)
    assert status == "skipped" and "within a minute" in why
    assert len(smtp.wait_for(2, timeout=1.5)) == 1


def test_an_api_client_that_cancels_its_own_order_at_once_sends_nothing_either(
    mail_client,
    mail_app,
    smtp,
    products,
):
    body = {
        "items": [{"id": products["Baguette"], "quantity": 1}],
        "customer": {"name": "Ida", "email": "ida@example.com"},
    }
    response = mail_client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
    order_id = response.get_json()["order_id"]
    assert wait_for_status(mail_client, order_id, "Processing") == "Processing"
    assert mail_client.post(f"/orders/{order_id}/cancel", headers=JSON).status_code == 200
    assert cancellation_row(mail_app, order_id)[0] == "skipped"
    assert ["confirmed" in m["Subject"] for m in smtp.wait_for(2, timeout=1.5, address="ida@example.com")] == [True]


def test_someone_else_cancelling_within_the_minute_still_emails_the_customer(
    mail_client,
    mail_app,
    smtp,
    products,
):
    order_id = checkout(mail_client, products["Baguette"], "ivy@example.com")
    assert wait_for_status(mail_client, order_id, "Processing") == "Processing"
    other = mail_app.test_client()  # another browser: say, the customer from the email's cancel link
    assert other.post(f"/orders/{order_id}/cancel", headers=BROWSER).status_code == 303
    _confirmation, cancelled = smtp.wait_for(2, address="ivy@example.com")
    assert "You cancelled order" in cancelled["Subject"]
    # The sender marks the row after the server accepted the message: a moment after it arrived.
    wait_until(lambda: cancellation_row(mail_app, order_id)[0] == "sent", 10, "the cancellation email not marked sent")


def test_a_cancel_racing_the_kitchen_taking_the_order_still_cancels(make_app, products):
    """Pending → Processing (what the worker does) while the customer cancels: the order is still
    cancellable, so the cancel goes through; a refusal would say why, never "None"."""
    from app.exceptions import Conflict
    from app.orders.service import change_status

    app = make_app(BAKERY_SLOT_CAPACITY=50)
    client = app.test_client()
    pickup = later_pickup(client)
    answers = []
    for _round in range(30):
        body = {"items": [{"id": products["Baguette"], "quantity": 1}], "pickup_at": pickup}
        response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
        order_id = response.get_json()["order_id"]
        barrier = threading.Barrier(2)

        def customer(order_id=order_id, barrier=barrier):
            barrier.wait()
            answer = app.test_client().post(f"/orders/{order_id}/cancel", headers=JSON)
            answers.append((answer.status_code, answer.get_json().get("error")))

        def kitchen(order_id=order_id, barrier=barrier):
            with app.app_context():
                barrier.wait()
                try:
                    change_status(order_id, "Processing")
                except Conflict:
                    pass  # the cancel (or the worker) was first
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=customer), threading.Thread(target=kitchen)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    assert not [error for _code, error in answers if error and "None" in error]
    assert [code for code, _error in answers] == [200] * 30, answers
