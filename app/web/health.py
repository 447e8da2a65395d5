"""GET /health: each dependency checked for real, with short timeouts."""

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import cache, db

LOGGER = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def check_database():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()  # the connection goes back to the pool now, not after the other checks
        return "ok"
    except Exception as error:  # any driver error means the same thing here: down
        db.session.rollback()
        LOGGER.warning("health: database down: %s", error)
        return "down"


def check_cache():
    try:
        cache.cache.set("health:ping", "1", timeout=10)
        return "ok" if cache.cache.get("health:ping") == "1" else "down"
    except Exception as error:
        LOGGER.warning("health: cache down: %s", error)
        return "down"


def check_queue():
    state, detail = current_app.extensions["order_queue"].check()
    if state != "ok":
        LOGGER.warning("health: queue %s: %s", state, detail)
    return state


@bp.get("/health")
def health():
    checks = {"database": check_database(), "cache": check_cache(), "queue": check_queue()}
    if checks["database"] != "ok":
        status = "unhealthy"
    elif all(value == "ok" for value in checks.values()):
        status = "healthy"
    else:
        status = "degraded"
    body = {"status": status, "checks": checks}
    response = jsonify(body)
    response.status_code = 200 if status == "healthy" else 503
    response.headers["Cache-Control"] = "no-store"
    return response
