"""Customers hear from the bakery by email: received by a real SMTP server, parsed, once each."""

import json

import icalendar
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, Order
from tests.helpers import BROWSER, JSON, ON_SERVICES, later_pickup, wait_for_status
from tests.mail_tools import checkout, next_weekday, text_part
from tests.pipeline_tools import wait_until
from tests.smtp import SmtpServer, mail_settings


def api_order(client, items, **fields):
    response = client.post(
        "/orders", data=json.dumps({"items": items, **fields}), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def html_part(message):
    return message.get_body(("html",)).get_content()


def calendar_of(message):
    parts = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return icalendar.Calendar.from_ical(parts[0].get_content())


def notification_rows(app, order_id):
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == order_id))
        return {n.kind: (n.channel, n.status) for n in order.notifications}


def test_a_checkout_with_an_email_gets_one_confirmation_with_code_link_and_calendar_entry(
    mail_client, mail_app, smtp, products
):
    day = next_weekday()
    order_id = checkout(mail_client, products["Butter Croissant"], "ada@example.com", day=day, at="10:30")
    assert wait_for_status(mail_client, order_id, "Processing") == "Processing"
    [message] = smtp.wait_for(1, address="ada@example.com")
    order = mail_client.get(f"/orders/{order_id}", headers=JSON).get_json()
    code = order["code"]
    assert code in message["Subject"] and "confirmed" in message["Subject"]
    assert message["To"] == "ada@example.com"
    assert message["From"].addresses[0].addr_spec == "orders@crumb.example"
    # The sender marks the row after the server accepted the message: a moment after it arrived.
    wait_until(lambda: notification_rows(mail_app, order_id) == {"confirmation": ("email", "sent")}, 10)
    with mail_app.app_context():
        row = db.session.scalar(select(Notification).where(Notification.kind == "confirmation"))
        assert message["Message-ID"] == f"<notification-{row.id}.{order_id}@crumb.example>"
        assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    text = text_part(message)
    link = f"https://shop.crumb.example/orders/{order_id}"
    assert code in text and link in text and "2 x Butter Croissant" in text
    assert "Contains: Cereals containing gluten, Eggs, Milk" in text
    assert "pay when you collect" in text and "Mill Lane" in text and "Mon–Fri: 07:00–18:30" in text
    assert f"{day:%A} {day.day} {day:%B} at 10:30" in text
    assert f"{link}/cancel" in text and "Cancel online until" in text
    html = html_part(message)
    assert code in html and link in html and "Cereals containing gluten" in html
    event = calendar_of(message).walk("VEVENT")[0]
    assert event["UID"] == f"order-{order_id}@crumb.example"
    start = event.decoded("DTSTART")
    assert (start.date(), start.strftime("%H:%M"), str(start.tzinfo)) == (day, "10:30", "Europe/Berlin")
    assert code in str(event["SUMMARY"]) and "Mill Lane" in str(event["LOCATION"])
    # Exactly one, however long we look.
    assert len(smtp.wait_for(2, timeout=1, address="ada@example.com")) == 1


def test_ready_and_bakery_cancel_emails_say_what_happened(mail_client, mail_app, smtp, products, staff_login):
    ready_id = checkout(mail_client, products["Baguette"], "ben@example.com", name="Ben")
    cancel_id = checkout(mail_client, products["Baguette"], "cleo@example.com", name="Cleo")
    for order_id in (ready_id, cancel_id):
        assert wait_for_status(mail_client, order_id, "Processing") == "Processing"
    staff_login(mail_client)
    assert (
        mail_client.post(f"/staff/orders/{ready_id}/status", data={"status": "Ready"}, headers=BROWSER).status_code
        == 303
    )
    response = mail_client.post(
        f"/staff/orders/{cancel_id}/status",
        data={"status": "Cancelled", "reason": "Our oven broke down this morning"},
        headers=BROWSER,
    )
    assert response.status_code == 303
    ben = smtp.wait_for(2, address="ben@example.com")
    cleo = smtp.wait_for(2, address="cleo@example.com")
    assert [("confirmed" in m["Subject"], "ready" in m["Subject"]) for m in ben] == [(True, False), (False, True)]
    assert "Come and collect it" in text_part(ben[1]) and not list(ben[1].iter_attachments())
    cancelled = cleo[1]
    assert "cancelled" in cancelled["Subject"]
    assert "Reason: Our oven broke down this morning" in text_part(cancelled)
    assert "Our oven broke down this morning" in html_part(cancelled)
    assert len({m["Message-ID"] for m in ben + cleo}) == 4
    assert len(smtp.wait_for(5, timeout=1)) == 4


def test_a_phone_only_order_gets_no_email_and_its_row_waits_for_an_sms_channel(mail_client, mail_app, smtp, products):
    order_id = checkout(mail_client, products["Baguette"], "+49 30 555 0100")
    email_id = checkout(mail_client, products["Baguette"], "dora@example.com")
    for each in (order_id, email_id):
        assert wait_for_status(mail_client, each, "Processing") == "Processing"
    smtp.wait_for(1, address="dora@example.com")
    assert notification_rows(mail_app, order_id) == {"confirmation": ("sms", "skipped")}
    assert [rcpt for rcpt, _ in smtp.received] == [["dora@example.com"]]


def test_api_clients_say_who_collects_and_get_the_emails(mail_client, mail_app, smtp, products):
    body = api_order(
        mail_client,
        [{"id": products["Baguette"], "quantity": 1}],
        customer={"name": "Eve", "email": "eve@example.com", "phone": "+49 30 555 0199"},
        note="Sliced, please",
        pickup_at=later_pickup(mail_client),
    )
    assert len(body["code"]) == 6
    [message] = smtp.wait_for(1, address="eve@example.com")
    assert body["code"] in message["Subject"]
    # A pickup slot days ahead: the email has its calendar entry and a cancel deadline.
    assert [part.get_content_type() for part in message.iter_attachments()] == ["text/calendar"]
    assert "Cancel online until" in text_part(message)
    order = mail_client.get(f"/orders/{body['order_id']}", headers=JSON).get_json()
    assert order["pickup_at"] == body["pickup_at"] and order["pickup_at"]
    assert order["code"] == body["code"] and order["can_cancel"] is True and order["cancel_until"]
    status = mail_client.get(f"/order-status/{body['order_id']}", headers=JSON).get_json()
    assert status["code"] == body["code"]


def test_a_refused_recipient_is_marked_failed_and_shown_on_the_staff_board(make_app, products, staff_login):
    from aiosmtpd.controller import Controller

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 No such mailbox"

    server = SmtpServer()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        app = make_app(**mail_settings(server))
        if ON_SERVICES:
            app.extensions["notification_sender"].start()
        client = app.test_client()
        order_id = checkout(client, products["Baguette"], "nobody@example.com")
        wait_until(lambda: notification_rows(app, order_id).get("confirmation") == ("email", "failed"), 20)
        staff_login(client)
        day = client.get(f"/orders/{order_id}", headers=JSON).get_json()["pickup_at"][:10]
        board = client.get(f"/staff/orders?date={day}", headers=BROWSER).get_data(as_text=True)
        assert "could not be sent" in board and "nobody@example.com" in board
    finally:
        controller.stop()


def test_the_order_code_is_shown_big_on_the_order_page(mail_client, products):
    body = api_order(mail_client, [{"id": products["Baguette"], "quantity": 1}])
    page = mail_client.get(f"/orders/{body['order_id']}", headers=BROWSER).get_data(as_text=True)
    assert f'<strong class="order-code-value">{body["code"]}</strong>' in page


def test_codes_use_the_unambiguous_alphabet_and_are_unique(client, products):
    codes = {api_order(client, [{"id": products["Baguette"], "quantity": 1}])["code"] for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 6 and not set(code) & set("ILOU") for code in codes)


def test_an_order_is_found_by_its_code_as_typed(app, client, products):
    from app.orders.service import get_order_by_code

    body = api_order(client, [{"id": products["Baguette"], "quantity": 1}])
    typed = body["code"].lower().replace("0", "o").replace("1", "l")
    with app.app_context():
        assert get_order_by_code(typed).public_id == body["order_id"]


@pytest.mark.parametrize(
    ("customer", "note", "field"),
    [
        ({"name": "", "email": "a@example.com"}, None, "customer.name"),
        ({"email": "a@example.com"}, None, "customer.name"),
        ({"name": "Ada", "email": "not-an-email"}, None, "customer.email"),
        ({"name": "Ada", "phone": "call me"}, None, "customer.phone"),
        ({"name": "Ada\x1b", "email": "a@example.com"}, None, "customer.name"),
        ({"name": "A" * 121}, None, "customer.name"),
        ({"name": "Ada", "fax": "123"}, None, "customer.fax"),
        ({"name": "Ada"}, "x" * 501, "note"),
        ({"name": "Ada"}, "bell\x07", "note"),
        ({"name": "Ada"}, 5, "note"),
    ],
)
def test_api_customer_details_are_checked_like_the_checkout_form(client, products, customer, note, field):
    fields = {"customer": customer} | ({"note": note} if note is not None else {})
    response = client.post(
        "/orders",
        data=json.dumps({"items": [{"id": products["Baguette"], "quantity": 1}], **fields}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert field in response.get_json()["details"]


def test_the_staff_board_shows_api_customer_details_instead_of_no_name(client, products, staff_login):
    body = api_order(
        client, [{"id": products["Baguette"], "quantity": 1}], customer={"name": "Fay", "phone": "+49 30 5550"}
    )
    staff_login(client)
    # The board shows one day: the order's (its assigned slot's) day, whatever the hour the tests run.
    board = client.get(f"/staff/orders?date={body['pickup_at'][:10]}", headers=BROWSER).get_data(as_text=True)
    assert "Fay" in board and "+49 30 5550" in board and "No name" not in board
