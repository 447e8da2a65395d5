"""GET /order-status/<id> and /orders/<id>, and the status lifecycle."""

import pytest
from bs4 import BeautifulSoup

from app.exceptions import Conflict
from app.orders.service import change_status
from tests.helpers import BROWSER, HTMX, JSON, post_order, wait_for_status


@pytest.fixture
def order_id(client, products):
    response = post_order(client, [{"id": products["Butter Croissant"], "quantity": 2}])
    return response.get_json()["order_id"]


def test_status_of_a_new_order_moves_to_processing(client, order_id):
    response = client.get(f"/order-status/{order_id}", headers=JSON)
    assert response.status_code == 200
    body = response.get_json()
    assert body["order_id"] == order_id
    assert body["status"] in ("Pending", "Processing")
    assert wait_for_status(client, order_id, "Processing") == "Processing"


@pytest.mark.parametrize("bad_id", ["does-not-exist-123", "x", "../../etc/passwd", "a" * 5000, "%00", "' OR 1=1 --"])
def test_unknown_or_malformed_order_id_is_json_404(client, bad_id):
    response = client.get(f"/order-status/{bad_id}", headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_order_detail_json_lists_items(client, order_id, products):
    body = client.get(f"/orders/{order_id}", headers=JSON).get_json()
    assert body["items"] == [
        {
            "id": products["Butter Croissant"],
            "name": "Butter Croissant",
            "quantity": 2,
            "unit_price": 2.80,
            "allergens": ["gluten", "eggs", "milk"],
            "may_contain": ["nuts"],
            "options": [],
        }
    ]
    assert body["total"] == 5.60


def test_order_page_shows_status_and_items(client, order_id):
    page = BeautifulSoup(client.get(f"/orders/{order_id}", headers=BROWSER).data, "html.parser")
    assert page.select_one("#order-status strong").get_text(strip=True) in ("Pending", "Processing")
    assert page.select_one(".order-items tbody .item-name").get_text(strip=True) == "Butter Croissant"
    # Allergens again at handover, in words.
    assert (
        page.select_one(".order-items tbody .allergens").get_text(" ", strip=True)
        == "Contains: Cereals containing gluten, Eggs, Milk"
    )
    assert page.select_one(".order-items tbody .may-contain").get_text(" ", strip=True) == "May contain: Tree nuts"


def test_status_fragment_for_htmx_is_not_a_whole_page(client, order_id):
    response = client.get(f"/order-status/{order_id}", headers=HTMX)
    assert response.status_code == 200
    fragment = BeautifulSoup(response.data, "html.parser")
    assert fragment.select_one("html") is None
    assert fragment.select_one("#order-status strong").get_text(strip=True) in ("Pending", "Processing")


def test_lifecycle_refuses_skipping_steps(app, client, order_id):
    wait_for_status(client, order_id, "Processing")
    with app.app_context():
        with pytest.raises(Conflict, match="cannot become Completed"):
            change_status(order_id, "Completed")
        assert change_status(order_id, "Ready").status == "Ready"
        assert change_status(order_id, "Completed").status == "Completed"


def test_cancelling_gives_the_stock_back(app, client, order_id, products, stock_of):
    croissant = products["Butter Croissant"]
    assert stock_of(croissant) == 38
    wait_for_status(client, order_id, "Processing")
    with app.app_context():
        change_status(order_id, "Cancelled")
    assert stock_of(croissant) == 40
    assert client.get(f"/order-status/{order_id}", headers=JSON).get_json()["status"] == "Cancelled"


def test_cli_moves_an_order_and_refuses_bad_moves(runner, client, order_id):
    wait_for_status(client, order_id, "Processing")
    result = runner.invoke(args=["order-status", order_id, "Ready"])
    assert result.exit_code == 0, result.output
    assert "Ready" in result.output
    refused = runner.invoke(args=["order-status", order_id, "Pending"])
    assert refused.exit_code != 0
    assert "cannot become Pending" in refused.output
    assert client.get(f"/order-status/{order_id}", headers=JSON).get_json()["status"] == "Ready"
