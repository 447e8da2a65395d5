"""The worker's processing function: idempotent, one notification per order."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, Order
from tests.helpers import post_order, wait_for_status
from worker.processing import UnknownOrder, process_order


def test_processing_twice_changes_nothing_the_second_time(app, client, products):
    order_id = post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    with app.app_context():
        assert process_order(order_id) is False
        order = db.session.scalar(select(Order).where(Order.public_id == order_id))
        assert order.status == "Processing"
        count = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.order_id == order.id))
        assert count == 1


def test_unknown_order_is_refused(app):
    with app.app_context():
        with pytest.raises(UnknownOrder):
            process_order("no-such-order-0000")
