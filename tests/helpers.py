"""Small helpers shared by the tests (conftest.py holds only fixtures and hooks)."""

import json
import os
import time

import pytest

BACKEND = os.environ.get("BAKERY_TEST_BACKEND", "embedded")
ON_SERVICES = BACKEND == "services"
# Needs the real services: marked `services`, which conftest.py skips unless BAKERY_TEST_BACKEND=services.
services_only = pytest.mark.services

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HTMX = {"HX-Request": "true", "Accept": "*/*"}


def post_order(client, items, headers=None):
    """POST /orders as an API client would."""
    return client.post(
        "/orders", data=json.dumps({"items": items}), headers={"Content-Type": "application/json", **(headers or {})}
    )


def wait_for_status(client, order_id, wanted, timeout=10.0):
    """Poll /order-status until it reports `wanted`; return the last status seen."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = client.get(f"/order-status/{order_id}", headers=JSON).get_json()["status"]
        if status == wanted:
            break
        time.sleep(0.05)
    return status


def later_pickup(client, days_ahead=2):
    """The start of the first free pickup slot at least `days_ahead` days from now.

    Far enough that lead times and cancel deadlines never depend on the hour the tests run.
    """
    from datetime import date, timedelta

    for offset in range(days_ahead, days_ahead + 7):
        response = client.get(f"/pickup-slots?date={date.today() + timedelta(days=offset)}", headers=JSON)
        free = (
            [slot["start"] for slot in response.get_json() if slot["available"]] if response.status_code == 200 else []
        )
        if free:
            return free[0]
    raise AssertionError("no free pickup slot in the coming week")
