"""The sender: delivers pending email notifications over SMTP, at least once and nearly always once.

Claiming: one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING
takes a batch of due rows (SQLite runs the statement alone, which serialises it) and, in
the same statement, counts the attempt and pushes `next_attempt_at` out by the lease;
the claim commits before anything is sent, so no lock is held while SMTP talks.
Per mailbox: in the same transaction, a row's first claim counts it against its mailbox's
EMAILS_PER_RECIPIENT_PER_HOUR; a row over that is marked `skipped` (OVER_RECIPIENT_CAP) and
staff see it on the board. On PostgreSQL the count is taken under a transaction-scoped
advisory lock per mailbox, so two senders claiming at once cannot both let the last one
through; on SQLite the claim's UPDATE already holds the database's one write lock.
Marking: a row becomes `sent` only after the SMTP server accepted the message. A failure
is tried again after capped exponential back-off (app/infra/backoff.py); a permanent refusal
(5xx) or the last allowed attempt marks it `failed`, which staff see on the board.
A sender that dies between "accepted" and "marked" leaves the row claimed; it is sent
again when the lease is over, with the same Message-ID (emails.message_id): the one
documented duplicate, recognisable by any mail client.
"""

import hashlib
import logging
import smtplib
import time
from datetime import timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..infra.background import BackgroundLoop
from ..infra.backoff import Backoff
from ..models import (
    NOTIFICATION_FAILED,
    NOTIFICATION_PENDING,
    NOTIFICATION_SENT,
    NOTIFICATION_SKIPPED,
    OVER_RECIPIENT_CAP,
    Notification,
    Order,
    OrderItem,
    utcnow,
)
from .emails import build_message
from .outbox import EMAIL, canonical_recipient

LOGGER = logging.getLogger(__name__)
SMTP_TIMEOUT = 10.0  # seconds for any one SMTP step: a hung server costs a try, never a hang
CAP_WINDOW = timedelta(hours=1)
# pg_advisory_xact_lock(namespace, key): the first half keeps these locks apart from any other use.
MAILBOX_LOCK_NAMESPACE = 0x6D61696C  # "mail"
LOCK_MAILBOX = text("SELECT pg_advisory_xact_lock(:namespace, :key)")


class NotificationSender(BackgroundLoop):
    """A thread that sends due emails when woken and every NOTIFY_POLL_SECONDS.

    `autostart`: the first wake() starts the thread (the embedded default's web process);
    otherwise only start() does (`python -m worker`). Several senders may run at once.
    """

    thread_name = "notification-sender"

    def __init__(self, app, autostart=False, batch_size=20):
        super().__init__()
        self.app = app
        self.autostart = autostart
        self.batch_size = batch_size

    def wake(self):
        """Ask for a pass now (after a commit that recorded a notification)."""
        if self.autostart:
            self.start()
        super().wake()

    def _run(self):
        backoff = Backoff()
        config = self.app.config
        with self.app.app_context():
            while not self._stopping.is_set():
                try:
                    while self.send_due() and not self._stopping.is_set():
                        pass
                    backoff.reset()
                except Exception as error:  # the sender must outlive any failure (database down, …)
                    db.session.rollback()
                    delay = backoff.next()
                    LOGGER.warning("notification sender failed, retrying in %.1fs: %r", delay, error)
                    self._stopping.wait(delay)
                    continue
                self._wake.wait(config["NOTIFY_POLL_SECONDS"])
                self._wake.clear()
            db.session.remove()

    def send_due(self):
        """Claim a batch of due emails and send them; return how many were claimed."""
        config = self.app.config
        claimed = claim_due(self.batch_size, config["NOTIFY_LEASE_SECONDS"], config["EMAILS_PER_RECIPIENT_PER_HOUR"])
        if not claimed:
            return 0
        started = time.monotonic()
        rows = load(claimed)
        if not self.app.config["MAIL_SERVER"]:
            for row in rows:
                LOGGER.info(
                    "notification order_id=%s kind=%s channel=log (MAIL_SERVER unset) to=%s",
                    row.order.public_id,
                    row.kind,
                    row.recipient,
                )
                finish(row.id, NOTIFICATION_SKIPPED, "MAIL_SERVER unset: logged only")
            return len(rows)
        smtp = None
        try:
            for row in rows:
                if time.monotonic() - started > self.app.config["NOTIFY_LEASE_SECONDS"] / 2:
                    release(row.id)  # its lease could run out mid-send: another sender might take it too
                    continue
                smtp = self._send_one(row, smtp)
        finally:
            if smtp is not None:
                _quit(smtp)
        return len(rows)

    def _send_one(self, row, smtp):
        """Send one claimed row over `smtp` (opened when None); return the connection to reuse, or None."""
        order = row.order
        try:
            message = build_message(row, order)
        except Exception as error:  # a template that breaks is a bug: retry later, say so loudly
            LOGGER.exception("notification could not be built order_id=%s kind=%s", order.public_id, row.kind)
            self._retry(row, f"{type(error).__name__}: {error}")
            return smtp
        try:
            if smtp is None:
                smtp = connect(self.app.config)
            smtp.send_message(message)
        except smtplib.SMTPResponseException as error:  # refused sender or data; 5xx never gets better
            permanent = 500 <= error.smtp_code < 600
            self._retry(row, f"SMTP {error.smtp_code}: {error.smtp_error!r}", permanent=permanent)
            if permanent:
                return smtp
            _quit(smtp)
            return None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            self._retry(row, f"recipient refused: {error.recipients!r}", permanent=all(c >= 500 for c in codes))
            return smtp
        except (OSError, smtplib.SMTPException) as error:
            self._retry(row, f"{type(error).__name__}: {error}")
            if smtp is not None:
                _quit(smtp)
            return None
        finish(row.id, NOTIFICATION_SENT)
        LOGGER.info(
            "notification sent order_id=%s kind=%s to=%s message_id=%s attempt=%d",
            order.public_id,
            row.kind,
            row.recipient,
            message["Message-ID"],
            row.attempts,
        )
        return smtp

    def _retry(self, row, error, permanent=False):
        config = self.app.config
        if permanent or row.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
            finish(row.id, NOTIFICATION_FAILED, error)
            LOGGER.error(
                "notification failed order_id=%s kind=%s attempts=%d error=%s",
                row.order.public_id,
                row.kind,
                row.attempts,
                error,
            )
            return
        delay = Backoff(config["NOTIFY_RETRY_BASE_SECONDS"], config["NOTIFY_RETRY_MAX_SECONDS"]).delay(row.attempts - 1)
        db.session.execute(
            update(Notification)
            .where(Notification.id == row.id, Notification.status == NOTIFICATION_PENDING)
            .values(next_attempt_at=utcnow() + timedelta(seconds=delay), last_error=error[:1000])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        LOGGER.warning(
            "notification will be retried order_id=%s kind=%s attempt=%d retry_in=%.2fs error=%s",
            row.order.public_id,
            row.kind,
            row.attempts,
            delay,
            error,
        )


def claim_due(limit, lease_seconds, per_recipient_per_hour=0):
    """Claim up to `limit` due email rows for this sender: count the attempt, lease them; return their ids.

    With `per_recipient_per_hour`, a row claimed for the first time that would take its mailbox
    past that many emails in the last hour is marked skipped instead, and not returned.
    """
    now = utcnow()
    due = (
        select(Notification.id)
        .where(
            Notification.status == NOTIFICATION_PENDING,
            Notification.channel == EMAIL,
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # = ANY(ARRAY(…)) runs the subquery once (an InitPlan). An IN (…) may be rescanned for each
        # row of a nested loop, and each rescan's SKIP LOCKED LIMIT finds more rows: seen claiming
        # 30 rows with a limit of 15, which leaves another sender nothing to take.
        picked = Notification.id == func.any(func.array(due.scalar_subquery()))
    else:
        picked = Notification.id.in_(due.scalar_subquery())
    claimed = db.session.execute(
        update(Notification)
        # Checked again here: on SQLite the subquery locks nothing, the UPDATE is what serialises.
        .where(
            picked,
            Notification.status == NOTIFICATION_PENDING,
            Notification.next_attempt_at <= now,
        )
        .values(attempts=Notification.attempts + 1, next_attempt_at=now + timedelta(seconds=lease_seconds))
        .returning(Notification.id, Notification.recipient, Notification.counted_at)
        .execution_options(synchronize_session=False)
    ).all()
    first_claims = [row for row in claimed if row.counted_at is None]
    held_back = count_against_cap(first_claims, per_recipient_per_hour, now) if per_recipient_per_hour else set()
    db.session.commit()
    return sorted(row.id for row in claimed if row.id not in held_back)


def count_against_cap(rows, per_hour, now):
    """In the claim's transaction: count first-claimed `rows` against their mailboxes' hourly cap,
    mark those over it skipped; return their ids. Rows already counted (sent, failed or still being
    sent) in the last hour fill the cap; skipped ones do not."""
    by_mailbox = {}
    for row in rows:
        by_mailbox.setdefault(canonical_recipient(row.recipient), []).append(row.id)
    mailboxes = sorted(by_mailbox)  # locked in one order by every sender: no deadlock
    if db.session.get_bind().dialect.name == "postgresql":
        for mailbox in mailboxes:
            db.session.execute(LOCK_MAILBOX, {"namespace": MAILBOX_LOCK_NAMESPACE, "key": _lock_key(mailbox)})
    counted = dict(
        db.session.execute(
            select(Notification.recipient_key, func.count())
            .where(
                Notification.recipient_key.in_(mailboxes),
                Notification.counted_at > now - CAP_WINDOW,
                Notification.status != NOTIFICATION_SKIPPED,
            )
            .group_by(Notification.recipient_key)
        ).all()
    )
    held_back = []
    for mailbox in mailboxes:
        ids = sorted(by_mailbox[mailbox])
        room = max(0, per_hour - counted.get(mailbox, 0))
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(recipient_key=mailbox, counted_at=now)
            .execution_options(synchronize_session=False)
        )
        held_back += ids[room:]
    if held_back:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(held_back))
            .values(status=NOTIFICATION_SKIPPED, last_error=f"{OVER_RECIPIENT_CAP} (limit {per_hour})")
            .execution_options(synchronize_session=False)
        )
        LOGGER.warning("notifications held back over EMAILS_PER_RECIPIENT_PER_HOUR=%d ids=%s", per_hour, held_back)
    return set(held_back)


def _lock_key(mailbox):
    """A stable signed 32-bit number for a mailbox (PostgreSQL's advisory lock keys are integers)."""
    return int.from_bytes(hashlib.blake2b(mailbox.encode(), digest_size=4).digest(), "big", signed=True)


def load(ids):
    """The claimed rows with their orders, items and products (what the email shows)."""
    return db.session.scalars(
        select(Notification)
        .where(Notification.id.in_(ids))
        .options(
            selectinload(Notification.order).selectinload(Order.items).selectinload(OrderItem.product),
        )
        .order_by(Notification.id)
        .execution_options(populate_existing=True)
    ).all()


def finish(notification_id, status, error=None):
    """Mark a claimed row sent, failed or skipped (only if still pending: another sender may have done it)."""
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == NOTIFICATION_PENDING)
        .values(status=status, sent_at=utcnow() if status == NOTIFICATION_SENT else None, last_error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def release(notification_id):
    """Give a claimed row back unsent, without counting the attempt."""
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == NOTIFICATION_PENDING)
        .values(attempts=Notification.attempts - 1, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def connect(config):
    """An SMTP connection as configured: TLS from the start (MAIL_USE_SSL) or STARTTLS (MAIL_USE_TLS), then login."""
    server, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(server, port, timeout=SMTP_TIMEOUT)
    else:
        smtp = smtplib.SMTP(server, port, timeout=SMTP_TIMEOUT)
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def _quit(smtp):
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def create_notification_sender(app):
    """This process's sender: it runs by itself in the embedded default; `python -m worker` starts its own."""
    return NotificationSender(app, autostart=not app.config.get("RABBITMQ_URL"))
