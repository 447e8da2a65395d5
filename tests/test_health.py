"""GET /health: real checks of each dependency, a 503 when one is down, never a hang."""

import time

from app.extensions import db
from tests.helpers import JSON, ON_SERVICES, services_only


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
