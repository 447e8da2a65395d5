"""`flask seed` loads the demo catalogue once, however often it runs."""
from pathlib import Path

from tests.helpers import JSON

STATIC = Path(__file__).resolve().parent.parent / "app" / "static"


def test_seed_loads_demo_products_and_is_idempotent(runner, client):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "Seeded 10 products" in first.output
    again = runner.invoke(args=["seed"])
    assert "Seeded 0 products (10 already there)" in again.output
    products = client.get("/products", headers=JSON).get_json()
    assert len(products) == 10
    assert all(p["price"] > 0 and p["available"] and p["description"] for p in products)


def test_every_demo_picture_exists(runner, client):
    runner.invoke(args=["seed"])
    for product in client.get("/products", headers=JSON).get_json():
        picture = STATIC / product["image"].removeprefix("/static/")
        assert picture.is_file(), picture
        assert client.get(product["image"]).status_code == 200
