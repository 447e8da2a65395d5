"""What the email tests share: an SMTP server per test, an app that mails to it, a browser's
checkout and a staff login."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import BROWSER, ON_SERVICES
from tests.smtp import SmtpServer, mail_settings


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp):
    """An app that mails to the test server; its sender runs as in `python -m worker` (embedded: by itself)."""
    app = make_app(**mail_settings(smtp))
    if ON_SERVICES:
        app.extensions["notification_sender"].start()
    return app


@pytest.fixture
def staff_login():
    """Log a client in as a new staff user (the app behind it must be the test's)."""

    def login(client):
        from app.staff.accounts import create_staff

        with client.application.app_context():
            create_staff("ana", "secret-bread")
        response = client.post("/staff/login", data={"username": "ana", "password": "secret-bread"}, headers=BROWSER)
        assert response.status_code == 303

    return login


@pytest.fixture
def mail_client(mail_app):
    return mail_app.test_client()


def next_weekday(days_ahead=3):
    """A weekday a few days ahead (the shop is open Mon–Fri 07:00–18:30)."""
    day = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def checkout(client, product_id, contact, name="Ada", quantity=2, day=None, at="10:00"):
    """Add a product to the cart and check out as a browser would; return the order's public id."""
    client.post("/cart/items", data={"product_id": product_id, "quantity": quantity, "next": "/"}, headers=BROWSER)
    page = client.get("/checkout", headers=BROWSER).get_data(as_text=True)
    token = page.split('name="order_token" value="', 1)[1].split('"', 1)[0]
    day = day or next_weekday()
    response = client.post(
        "/orders",
        data={
            "order_token": token,
            "name": name,
            "contact": contact,
            "pickup_date": day.isoformat(),
            "pickup_time": at,
            "note": "",
        },
        headers=BROWSER,
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def text_part(message):
    return message.get_body(("plain",)).get_content()
