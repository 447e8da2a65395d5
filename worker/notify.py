"""Tell the customer about their order: by email when MAIL_SERVER is set, else in the log."""
import logging
import os
import smtplib
from email.message import EmailMessage

LOGGER = logging.getLogger(__name__)


def send_confirmation(order, notification):
    """Send the order confirmation; a failure to send is logged, never retried into a double."""
    subject = f"Your order {order.public_id} is being prepared"
    body = f"Thank you! We are preparing your order. Total: {order.total}."
    server = os.environ.get("MAIL_SERVER")
    if notification.channel != "email" or not server:
        LOGGER.info("notification order_id=%s kind=%s channel=log to=%s subject=%r",
                    order.public_id, notification.kind, notification.recipient, subject)
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = os.environ.get("MAIL_FROM", "orders@bakery.local")
    message["To"] = notification.recipient
    message.set_content(body)
    try:
        with smtplib.SMTP(server, int(os.environ.get("MAIL_PORT", "25")), timeout=5) as smtp:
            smtp.send_message(message)
        LOGGER.info("notification order_id=%s kind=%s channel=email sent", order.public_id, notification.kind)
    except (OSError, smtplib.SMTPException) as error:
        LOGGER.warning("notification order_id=%s email failed: %s", order.public_id, error)
