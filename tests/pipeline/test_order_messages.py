"""The pipeline's small parts, without a broker: message format, back-off, retries, connection settings, outcomes."""

import pytest

from app.infra import rabbitmq
from app.infra.backoff import Backoff
from app.orders.processing import ACK, DEAD_LETTER, handle_order, retry_delay
from tests.helpers import post_order, wait_for_status


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b"null", b'{"order": "x"}', b'{"order_id": 7}', b'{"order_id": ""}', b"\xff\xfe"]
)
def test_bodies_that_are_not_order_messages_name_no_order(body):
    assert rabbitmq.decode_order(body) is None


def test_order_message_round_trips():
    assert rabbitmq.decode_order(rabbitmq.encode_order("AbC-123_xyz")) == "AbC-123_xyz"


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_reset():
    backoff = Backoff(base=0.5, cap=5)
    assert [backoff.next() for _ in range(6)] == [0.5, 1, 2, 4, 5, 5]
    backoff.reset()
    assert backoff.next() == 0.5


def test_connections_get_short_timeouts_and_heartbeats_unless_the_url_says_otherwise():
    default = rabbitmq.connection_parameters("amqp://guest:guest@rabbitmq:5672/%2F")
    assert (default.heartbeat, default.socket_timeout, default.blocked_connection_timeout) == (30, 2, 10)
    chosen = rabbitmq.connection_parameters("amqp://guest:guest@rabbitmq:5672/%2F?heartbeat=5")
    assert chosen.heartbeat == 5


def test_unreadable_or_unknown_orders_are_dead_lettered(app):
    with app.app_context():
        assert handle_order(None, max_attempts=5).action == DEAD_LETTER
        assert handle_order("no-such-order-0000", max_attempts=5).action == DEAD_LETTER


def test_a_processed_order_is_acked_again_without_change(app, client, products):
    order_id = post_order(client, [{"id": products["Baguette"], "quantity": 1}]).get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    with app.app_context():
        assert handle_order(order_id, max_attempts=5).action == ACK
    assert client.get(f"/order-status/{order_id}").get_json()["status"] == "Processing"


def test_backoff_delay_after_n_failures_is_the_same_formula_without_counting():
    backoff = Backoff(base=0.5, cap=5)
    assert [backoff.delay(failures) for failures in range(6)] == [0.5, 1, 2, 4, 5, 5]
    assert backoff.delay(10_000) == 5
    assert backoff.next() == 0.5  # delay() counted nothing


def test_retries_of_a_failed_order_wait_longer_each_time_up_to_the_max(make_app):
    app = make_app(ORDER_RETRY_BASE_SECONDS=2, ORDER_RETRY_MAX_SECONDS=60)
    with app.app_context():
        assert [retry_delay(attempts) for attempts in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_a_retried_message_waits_its_delay_in_milliseconds_and_stays_persistent():
    properties = rabbitmq.retry_properties(0.25)
    assert (properties.expiration, properties.delivery_mode) == ("250", 2)
    assert rabbitmq.retry_properties(0).expiration == "1"
