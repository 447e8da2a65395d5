"""Emails under faults, with real `python -m worker` processes, RabbitMQ, PostgreSQL and an SMTP server.

Never lost, never doubled beyond the documented case: a worker killed between the SMTP
server's "accepted" and its own "marked sent" resends that email after the lease, with
the same Message-ID.
"""

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification
from tests.helpers import services_only
from tests.pipeline_tools import WorkerProcess, delete_queues, statuses, wait_until
from tests.smtp import SmtpServer, mail_settings, worker_mail_env

pytestmark = [services_only, pytest.mark.slow]
FIGURES = Path(os.environ.get("NOTIFY_FIGURES", "/tmp/notify-figures.jsonl"))


def record(name, **figures):
    """Keep the fault figures for the notes (one JSON line per test run)."""
    with FIGURES.open("a") as out:
        out.write(json.dumps({"test": name, **figures}) + "\n")


class MailPipeline:
    def __init__(self, app, smtp, tmp_path, product_id):
        self.app, self.smtp, self.tmp_path, self.product_id = app, smtp, tmp_path, product_id
        self.client = app.test_client()
        self.workers = []

    def worker(self, **env):
        log = self.tmp_path / f"worker-{len(self.workers)}.log"
        worker = WorkerProcess(self.app, log, {**worker_mail_env(self.smtp), **env})
        self.workers.append(worker)
        return worker.start()

    def place(self, count, emails=None):
        ids = []
        for number in range(count):
            email = emails[number % len(emails)] if emails else f"guest{number}@example.com"
            body = {
                "items": [{"id": self.product_id, "quantity": 1}],
                "customer": {"name": f"Guest {number}", "email": email},
            }
            response = self.client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
            assert response.status_code == 201
            ids.append(response.get_json()["order_id"])
        return ids

    def rows(self):
        with self.app.app_context():
            return Counter(
                dict(db.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
            )

    def attempts(self):
        with self.app.app_context():
            return db.session.scalar(select(func.coalesce(func.sum(Notification.attempts), 0)))

    def per_order(self):
        """{order code: [Message-IDs received]}."""
        found = {}
        for message in self.smtp.messages:
            found.setdefault(message["X-Bakery-Order"], []).append(message["Message-ID"])
        return found


@pytest.fixture
def mail_pipeline(make_app, add_product, tmp_path, request, schema):
    queue = f"{schema['ORDERS_QUEUE']}.{request.node.name.removeprefix('test_')[:40]}"
    delete_queues(schema["RABBITMQ_URL"], queue)
    smtp = SmtpServer(delay=getattr(request, "param", 0.0))
    app = make_app(ORDERS_QUEUE=queue, **mail_settings(smtp))
    world = MailPipeline(app, smtp, tmp_path, add_product(name="Mail Bun", stock=10_000))
    yield world
    for worker in world.workers:
        worker.close()
    smtp.stop()
    delete_queues(schema["RABBITMQ_URL"], queue)


def test_smtp_down_while_orders_are_processed_every_email_arrives_once_when_it_is_back(mail_pipeline):
    world = mail_pipeline  # the SMTP server is not started yet: connections are refused
    world.worker().wait_until_consuming()
    order_ids = world.place(20)
    wait_until(lambda: statuses(world.app)["Processing"] == 20, 30, "orders not processed")
    wait_until(lambda: world.attempts() >= 40, 30, "the sender never retried")
    assert world.rows() == Counter({"pending": 20})
    assert world.smtp.messages == []
    down_attempts = world.attempts()
    started = time.monotonic()
    world.smtp.start()
    received = world.smtp.wait_for(20, timeout=60)
    delivered_after = time.monotonic() - started
    time.sleep(1)  # nothing more may come
    assert len(world.smtp.messages) == 20 == len(received)
    assert all(len(ids) == 1 for ids in world.per_order().values()) and len(world.per_order()) == 20
    assert world.rows() == Counter({"sent": 20})
    record(
        "smtp_down",
        orders=len(order_ids),
        attempts_while_down=down_attempts,
        all_delivered_seconds_after_smtp_back=round(delivered_after, 2),
        emails=len(world.smtp.messages),
    )


@pytest.mark.parametrize("mail_pipeline", [0.15], indirect=True)
def test_a_worker_killed_while_sending_loses_no_email_and_a_resend_has_the_same_message_id(mail_pipeline):
    world = mail_pipeline  # a relay that takes 0.15 s per message, so the worker dies mid-batch
    world.smtp.start()
    first = world.worker()
    first.wait_until_consuming()
    order_ids = world.place(30)
    wait_until(lambda: len(world.smtp.messages) >= 5, 30, "no email sent before the kill")
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(10)
    at_kill = len(world.smtp.messages)
    second = world.worker()
    second.wait_until_consuming()
    wait_until(lambda: world.rows() == Counter({"sent": 30}), 60, lambda: f"not all sent: {world.rows()}")
    time.sleep(1)
    per_order = world.per_order()
    assert len(per_order) == 30, "an email was lost"
    doubled = {code: ids for code, ids in per_order.items() if len(ids) > 1}
    # The one documented duplicate: accepted by the server, not yet marked; the resend is the same message.
    assert all(len(set(ids)) == 1 for ids in doubled.values())
    assert len(doubled) <= 1  # one email was in flight when the worker died
    record(
        "kill_9_while_sending",
        orders=len(order_ids),
        emails_before_kill=at_kill,
        emails_total=len(world.smtp.messages),
        resent_same_message_id=len(doubled),
    )


def test_two_workers_send_each_email_once(mail_pipeline):
    world = mail_pipeline
    world.smtp.start()
    for worker in (world.worker(), world.worker()):
        worker.wait_until_consuming()
    started = time.monotonic()
    world.place(40)
    world.smtp.wait_for(40, timeout=60)
    elapsed = time.monotonic() - started
    wait_until(lambda: world.rows() == Counter({"sent": 40}), 30, lambda: f"not all sent: {world.rows()}")
    time.sleep(1)
    assert len(world.smtp.messages) == 40
    assert all(len(ids) == 1 for ids in world.per_order().values()) and len(world.per_order()) == 40
    senders = [sum("notification sent" in line for line in w.log().splitlines()) for w in world.workers]
    assert sum(senders) == 40
    record("two_workers", orders=40, sent_by_each=senders, seconds_to_all_40=round(elapsed, 2))


def test_two_workers_send_one_mailbox_no_more_than_its_hourly_cap(mail_pipeline):
    world = mail_pipeline
    world.app.config["MAX_OPEN_ORDERS_PER_CONTACT"] = 0  # the web side: let one address order 30 times
    world.smtp.start()
    for worker in (world.worker(EMAILS_PER_RECIPIENT_PER_HOUR=10), world.worker(EMAILS_PER_RECIPIENT_PER_HOUR=10)):
        worker.wait_until_consuming()
    world.place(30, emails=["target@example.com", "Target@Example.com", "target+x@EXAMPLE.com"])
    wait_until(lambda: sum(world.rows().values()) == 30 and "pending" not in world.rows(), 60, lambda: world.rows())
    time.sleep(1)
    assert len(world.smtp.messages) == 10
    assert world.rows() == Counter({"sent": 10, "skipped": 20})
    senders = [sum("notification sent" in line for line in w.log().splitlines()) for w in world.workers]
    record("two_workers_one_mailbox", orders=30, sent_by_each=senders, received=len(world.smtp.messages))
