"""Record what a customer should hear, in the caller's transaction: the notifications table is the outbox.

HTTP-free and broker-free: change_status and process_order call record_notification()
before their commit, so the status change and the message about it commit together
or not at all. The sender (sender.py) delivers the rows afterwards.
"""

from flask import current_app

from ..extensions import db
from ..infra.statements import upsert_text
from ..models import NOTIFICATION_PENDING, NOTIFICATION_SKIPPED, Notification, utcnow

CONFIRMATION, READY, CANCELLED_BY_BAKERY, CANCELLED_BY_CUSTOMER = (
    "confirmation",
    "ready",
    "cancelled_by_bakery",
    "cancelled_by_customer",
)
KINDS = (CONFIRMATION, READY, CANCELLED_BY_BAKERY, CANCELLED_BY_CUSTOMER)
EMAIL, SMS, NONE = "email", "sms", "none"
# Channels something delivers; a row on any other is recorded as skipped, with why.
DELIVERED_CHANNELS = (EMAIL,)
WHY_SKIPPED = {SMS: "no SMS sender yet", NONE: "no email address or phone number"}
# Providers that ignore dots in the local part; googlemail.com is the same mailbox as gmail.com.
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def channel_for(email, phone):
    """(channel, recipient) for a customer: email when there is an address, else SMS (phone), else none."""
    if email:
        return EMAIL, email
    if phone:
        return SMS, phone
    return NONE, None


def canonical_recipient(address):
    """The mailbox an email address reaches, for counting emails per recipient.

    Case, surrounding spaces and a `+tag` make no new mailbox; nor do dots at Gmail. A provider
    where `+` is part of the name counts two mailboxes as one: the cap then errs on the safe side.
    """
    address = (address or "").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return address
    local = local.split("+", 1)[0] or local
    domain = domain.rstrip(".")
    if domain in DOTS_IGNORED:
        local, domain = local.replace(".", "") or local, DOTS_IGNORED[domain]
    return f"{local}@{domain}"


# Hand-written: SQLAlchemy compiles its INSERT … ON CONFLICT afresh on every use (app/infra/statements.py).
INSERT_NOTIFICATION = upsert_text(
    "INSERT INTO notifications (order_id, kind, channel, recipient, status, last_error, attempts, next_attempt_at,"
    " created_at) VALUES (:order_id, :kind, :channel, :recipient, :status, :last_error, 0, :next_attempt_at_0,"
    " :created_at_0) ON CONFLICT (order_id, kind) DO NOTHING",
    Notification.__table__,
)


def notification_columns_sql(email, phone):
    """SQL for the (channel, recipient, status, last_error) that channel_for() and record_notification() give.

    For recording many orders' notifications in one INSERT … SELECT (process_orders). The
    rule is channel_for()'s, written in SQL: keep the two in step (tests/pipeline/test_batch_processing.py
    checks that they agree); status and why-skipped come from the same constants.
    """

    def given(column):
        return f"coalesce({column}, '') <> ''"

    channel = f"CASE WHEN {given(email)} THEN '{EMAIL}' WHEN {given(phone)} THEN '{SMS}' ELSE '{NONE}' END"
    recipient = f"CASE WHEN {given(email)} THEN {email} WHEN {given(phone)} THEN {phone} END"
    statuses = " ".join(
        f"WHEN '{name}' THEN '{NOTIFICATION_PENDING if name in DELIVERED_CHANNELS else NOTIFICATION_SKIPPED}'"
        for name in (EMAIL, SMS, NONE)
    )
    errors = " ".join(f"WHEN '{name}' THEN '{why}'" for name, why in WHY_SKIPPED.items())
    return f"{channel}, {recipient}, CASE {channel} {statuses} END, CASE {channel} {errors} END"


def will_be_sent(email, phone):
    """Whether a notification to this customer is one the sender delivers (not recorded as skipped)."""
    return channel_for(email, phone)[0] in DELIVERED_CHANNELS


def record_notification(order_pk, kind, email=None, phone=None, skip_reason=None):
    """Add the (order, kind) notification to the current transaction; False if it exists already.

    With `skip_reason` the row is recorded as skipped, for that reason: nothing will send it.
    """
    channel, recipient = channel_for(email, phone)
    delivered = channel in DELIVERED_CHANNELS and skip_reason is None
    now = utcnow()
    inserted = db.session.execute(
        INSERT_NOTIFICATION,
        {
            "order_id": order_pk,
            "kind": kind,
            "channel": channel,
            "recipient": recipient,
            "status": NOTIFICATION_PENDING if delivered else NOTIFICATION_SKIPPED,
            "last_error": None if delivered else WHY_SKIPPED.get(channel, skip_reason),
            "next_attempt_at_0": now,
            "created_at_0": now,
        },
    ).rowcount
    return inserted == 1


def wake_sender():
    """After the commit: ask this process's sender (if it runs here) to deliver at once."""
    sender = current_app.extensions.get("notification_sender")
    if sender is not None:
        sender.wake()
