"""Tell the customer about their order: by email when MAIL_SERVER is set, else in the log."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

LOGGER = logging.getLogger(__name__)


def send_confirmation(order_id, total, channel, recipient):
    """Send the order confirmation; a failure to send is logged, never retried into a double."""
    subject = f"Your order {order_id} is being prepared"
    body = f"Thank you! We are preparing your order. Total: {total}."
    config = current_app.config
    server = config["MAIL_SERVER"]
    if channel != "email" or not server:
        LOGGER.info(
            "notification order_id=%s kind=confirmation channel=log to=%s subject=%r", order_id, recipient, subject
        )
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = recipient
    message.set_content(body)
    try:
        with smtplib.SMTP(server, config["MAIL_PORT"], timeout=5) as smtp:
            smtp.send_message(message)
        LOGGER.info("notification order_id=%s kind=confirmation channel=email sent", order_id)
    except (OSError, smtplib.SMTPException) as error:
        LOGGER.warning("notification order_id=%s email failed: %s", order_id, error)
