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
