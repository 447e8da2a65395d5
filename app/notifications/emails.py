"""The emails customers get: Jinja templates (plain text and HTML) and an .ics entry for the pickup.

Built from the notification row and its order as they are when the email is sent, with the
standard library's `email` package (see docs/architecture.md, "Libraries and why").
"""

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app

from ..bakery_calendar.hours import summary
from ..catalog.allergens import ALLERGENS
from ..models import utcnow
from ..orders.service import cancel_terms
from .outbox import CANCELLED_BY_BAKERY, CANCELLED_BY_CUSTOMER, CONFIRMATION, READY

SUBJECTS = {
    CONFIRMATION: "Your order {code} is confirmed",
    READY: "Your order {code} is ready for pickup",
    CANCELLED_BY_BAKERY: "Your order {code} has been cancelled",
    CANCELLED_BY_CUSTOMER: "You cancelled order {code}",
}
PICKUP_MINUTES = 15  # the calendar entry's length: a visit to the counter


def mail_domain(config):
    """The domain of MAIL_FROM, for Message-IDs and calendar UIDs."""
    return parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2] or "bakery.example"


def message_id(notification, order, config):
    """The stable Message-ID of a notification: a resend after a crash carries the same one."""
    return f"<notification-{notification.id}.{order.public_id}@{mail_domain(config)}>"


def public_url(endpoint, **values):
    """An absolute link for emails: BAKERY_PUBLIC_URL with the route's path (no request needed)."""
    app = current_app._get_current_object()
    base = urlsplit(app.config["BAKERY_PUBLIC_URL"])
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def pickup_words(moment):
    """ "Saturday 28 November at 09:15", as on the order page."""
    return f"{moment:%A} {moment.day} {moment:%B} at {moment:%H:%M}"


def email_context(notification, order):
    """What the templates see: the order, its lines with allergens in words, the bakery and the links."""
    config = current_app.config
    lines = [
        {
            "name": item.product_name,
            "quantity": item.quantity,
            "total": item.line_total,
            "product": item.product,
            "allergens": [ALLERGENS[code] for code in item.product.allergens],
            "may_contain": [ALLERGENS[code] for code in item.product.may_contain],
        }
        for item in order.items
    ]
    terms = cancel_terms(order)
    return {
        "kind": notification.kind,
        "order": order,
        "lines": lines,
        "pickup": pickup_words(order.pickup_at) if order.pickup_at else None,
        "order_url": public_url("orders.detail", order_id=order.public_id),
        "cancel_url": public_url("orders.cancel_confirm", order_id=order.public_id),
        "can_cancel": terms.allowed,
        "cancel_until": pickup_words(terms.until) if terms.until else None,
        "bakery": {
            "name": config["BAKERY_NAME"],
            "address": config["BAKERY_ADDRESS"],
            "phone": config["BAKERY_PHONE"],
            "hours": summary(config["BAKERY_OPENING_HOURS"]),
        },
        "shop_url": public_url("catalog.index"),
        "CONFIRMATION": CONFIRMATION,
        "READY": READY,
        "CANCELLED_BY_BAKERY": CANCELLED_BY_BAKERY,
        "CANCELLED_BY_CUSTOMER": CANCELLED_BY_CUSTOMER,
    }


def render_email(notification, order):
    """(subject, plain text, HTML) for a notification."""
    env = current_app.jinja_env
    context = email_context(notification, order)
    subject = SUBJECTS[notification.kind].format(code=order.code)
    context["subject"] = subject
    text = env.get_template("emails/order.txt").render(context)
    html = env.get_template("emails/order.html").render(context)
    return subject, text, html


def pickup_calendar(order, config):
    """An iCalendar file with one event: collecting the order (its own stable UID)."""
    zone = ZoneInfo(config["BAKERY_TIMEZONE"])
    start = order.pickup_at.replace(tzinfo=zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{config['BAKERY_NAME']}//Orders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"order-{order.public_id}@{mail_domain(config)}")
    event.add("dtstamp", utcnow().replace(tzinfo=ZoneInfo("UTC")))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=PICKUP_MINUTES))
    event.add("summary", f"Pick up order {order.code} at {config['BAKERY_NAME']}")
    event.add("location", config["BAKERY_ADDRESS"])
    url = public_url("orders.detail", order_id=order.public_id)
    event.add("description", f"Order {order.code}, to pay when you collect: €{order.total:.2f}.\n{url}")
    event.add("url", url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def build_message(notification, order):
    """The whole email for a notification row: headers, text and HTML, and the .ics for a confirmation."""
    config = current_app.config
    subject, text, html = render_email(notification, order)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((config["BAKERY_NAME"], parseaddr(config["MAIL_FROM"])[1]))
    message["To"] = notification.recipient
    message["Date"] = format_datetime(utcnow().replace(tzinfo=ZoneInfo("UTC")))
    message["Message-ID"] = message_id(notification, order, config)
    message["X-Bakery-Order"] = order.code
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if notification.kind == CONFIRMATION and order.pickup_at:
        message.add_attachment(
            pickup_calendar(order, config),
            maintype="text",
            subtype="calendar",
            filename=f"pickup-{order.code}.ics",
            params={"method": "PUBLISH"},
        )
    return message
