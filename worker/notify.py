"""Tell the customer about their order: by email when MAIL_SERVER is set, else in the log."""
import logging
import os
import smtplib
from email.message import EmailMessage

LOGGER = logging.getLogger(__name__)


def send_confirmation(order_id, total, channel, recipient):
    """Send the order confirmation; a failure to send is logged, never retried into a double."""
    subject = f"Your order {order_id} is being prepared"
    body = f"Thank you! We are preparing your order. Total: {total}."
    server = os.environ.get("MAIL_SERVER")
    if channel != "email" or not server:
        LOGGER.info("notification order_id=%s kind=confirmation channel=log to=%s subject=%r",
                    order_id, recipient, subject)
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = os.environ.get("MAIL_FROM", "orders@bakery.local")
    message["To"] = recipient
    message.set_content(body)
    try:
        with smtplib.SMTP(server, int(os.environ.get("MAIL_PORT", "25")), timeout=5) as smtp:
            smtp.send_message(message)
        LOGGER.info("notification order_id=%s kind=confirmation channel=email sent", order_id)
    except (OSError, smtplib.SMTPException) as error:
        LOGGER.warning("notification order_id=%s email failed: %s", order_id, error)
