"""GET /health: real checks of each dependency, a 503 when one is down, never a hang."""

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.extensions import db
from tests.helpers import JSON, ON_SERVICES, services_only
from tests.live_server import serve
from tests.silent_broker import SilentBroker


def test_healthy_when_everything_answers(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "healthy",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok"},
    }


def test_unreachable_database_is_unhealthy_503(make_app):
    url = (
        "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"
        if ON_SERVICES
        else "sqlite:////nonexistent-dir/for/sure/bakery.db"
    )
    app = make_app(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {}})
    started = time.monotonic()
    response = app.test_client().get("/health")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == "down"


@services_only
def test_unreachable_redis_is_degraded_and_api_still_answers(make_app, products):
    app = make_app(CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    client = app.test_client()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "down", "queue": "ok"},
    }
    assert client.get("/products", headers=JSON).status_code == 200


def test_pages_answer_503_not_500_while_the_database_is_unreachable(make_app):
    url = (
        "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"
        if ON_SERVICES
        else "sqlite:////nonexistent-dir/for/sure/bakery.db"
    )
    app = make_app(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {}})
    response = app.test_client().get("/products/1", headers=JSON)
    assert response.status_code == 503
    assert "try again" in response.get_json()["error"]


def test_pages_answer_503_json_when_no_database_connection_is_free_in_time(make_app, products):
    # A pool of one, held by another user: the request's checkout times out (sqlalchemy's TimeoutError).
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2})
    with app.app_context():
        held = db.engine.connect()
        try:
            response = app.test_client().get(f"/products/{products['Baguette']}", headers=JSON)
        finally:
            held.close()
        assert app.test_client().get(f"/products/{products['Baguette']}", headers=JSON).status_code == 200
    assert response.status_code == 503
    assert "try again" in response.get_json()["error"]


def get_json(url, timeout=10):
    """(status, JSON body, seconds taken) of a GET; HTTP errors are answers too."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=JSON)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


def get_all_at_once(urls):
    """GET every url at the same time; their (status, body, seconds), in order."""
    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(get_json, urls))


def test_rabbitmq_that_accepts_connections_and_never_answers_is_a_503_within_a_second(make_app):
    with SilentBroker() as broker:
        app = make_app(RABBITMQ_URL=broker.url())
        started = time.monotonic()
        response = app.test_client().get("/health")
        took = time.monotonic() - started
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "ok", "queue": "down"},
    }
    assert took < 1.5


@pytest.mark.slow
def test_concurrent_health_checks_against_a_hung_rabbitmq_do_not_hold_up_a_shopper(schema, products, tmp_path):
    # gunicorn with 4 threads, its RabbitMQ a server that accepts connections and never answers.
    with (
        SilentBroker() as broker,
        serve(schema, tmp_path / "server.log", extra_env={"RABBITMQ_URL": broker.url()}) as base,
    ):
        status, body, took = get_json(f"{base}/health")
        assert (status, body["checks"]["queue"]) == (503, "down")
        assert took < 1.5
        time.sleep(1.2)  # the last verdict is no longer fresh: the next check asks RabbitMQ again
        answers = get_all_at_once([f"{base}/health"] * 8 + [f"{base}/products"])
    *health, (shop_status, shop_body, shop_took) = answers
    assert [(status, body["status"], body["checks"]["queue"]) for status, body, _ in health] == [
        (503, "degraded", "down")
    ] * 8
    assert max(took for _, _, took in health) < 1.5
    assert shop_status == 200 and shop_body
    assert shop_took < 1.0


@pytest.mark.slow
def test_concurrent_health_checks_answer_healthy_fast_and_leave_the_shop_alone(schema, products, tmp_path):
    # The backend's own setup: the in-process queue on the embedded default, the real RabbitMQ on the services.
    with serve(schema, tmp_path / "server.log") as base:
        answers = get_all_at_once([f"{base}/health"] * 8 + [f"{base}/products"])
    *health, (shop_status, _, shop_took) = answers
    assert [(status, body["status"]) for status, body, _ in health] == [(200, "healthy")] * 8
    assert max(took for _, _, took in health) < 1.5
    assert shop_status == 200
    assert shop_took < 1.0
