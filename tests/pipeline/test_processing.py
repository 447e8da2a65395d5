"""The order processing function: idempotent, one notification per order, and it lives in app/."""

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import load_config
from app.extensions import db
from app.models import Notification, Order
from app.orders.processing import UnknownOrder, process_order
from tests.helpers import ON_SERVICES, post_order, wait_for_status
from tests.pipeline_tools import failing_first_attempts

ROOT = Path(__file__).resolve().parents[2]


def test_processing_twice_changes_nothing_the_second_time(app, client, products):
    order_id = post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    with app.app_context():
        assert process_order(order_id) is False
        order = db.session.scalar(select(Order).where(Order.public_id == order_id))
        assert order.status == "Processing"
        count = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.order_id == order.id)
        )
        assert count == 1


def test_unknown_order_is_refused(app):
    with app.app_context(), pytest.raises(UnknownOrder):
        process_order("no-such-order-0000")


def test_mail_settings_default_to_the_compose_file_and_env_example(tmp_path):
    config = load_config(tmp_path, env={"SECRET_KEY": "x"})
    assert (config["MAIL_SERVER"], config["MAIL_PORT"]) == (None, 25)
    assert f"MAIL_FROM: ${{MAIL_FROM:-{config['MAIL_FROM']}}}" in (ROOT / "docker-compose.yml").read_text()
    assert f"MAIL_FROM={config['MAIL_FROM']}\n" in (ROOT / ".env.example").read_text()


@pytest.mark.skipif(ON_SERVICES, reason="the in-process queue is the embedded default")
def test_the_in_process_queue_retries_a_failing_order_after_growing_delays(make_app, products, caplog, monkeypatch):
    # The migrations' logging.config.fileConfig disabled the loggers that existed before they ran.
    monkeypatch.setattr(logging.getLogger("app.orders.processing"), "disabled", False)
    caplog.set_level(logging.INFO, logger="app.orders.processing")
    base = 0.3
    app = make_app(ORDER_RETRY_BASE_SECONDS=base)
    client = app.test_client()
    with failing_first_attempts(app, 2):
        order_id = post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]
        assert wait_for_status(client, order_id, "Processing") == "Processing"
    failed = [r.created for r in caplog.records if r.getMessage() == f"order processing failed order_id={order_id}"]
    done = [r.created for r in caplog.records if r.getMessage() == f"order processing order_id={order_id}"]
    assert (len(failed), len(done)) == (2, 1)
    assert failed[1] - failed[0] >= base and done[0] - failed[1] >= 2 * base  # waited, and longer the second time
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == order_id))
        assert order.processing_attempts == 2
        notifications = select(func.count()).select_from(Notification).where(Notification.order_id == order.id)
        assert db.session.scalar(notifications) == 1
