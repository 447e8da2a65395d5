"""`flask seed` loads the demo catalogue once, however often it runs."""

from pathlib import Path

from tests.helpers import JSON

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


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


def test_product_update_changes_what_customers_see_at_once(runner, client, products):
    assert client.get(f"/products/{products['Baguette']}", headers=JSON).get_json()["price"] == 2.90
    client.get("/products", headers=JSON)  # warm the catalogue cache
    result = runner.invoke(args=["product-update", str(products["Baguette"]), "--price", "3.05", "--stock", "2"])
    assert result.exit_code == 0, result.output
    assert "€3.05, 2 in stock, on sale" in result.output
    baguette = next(p for p in client.get("/products", headers=JSON).get_json() if p["name"] == "Baguette")
    assert (baguette["price"], baguette["only_left"]) == (3.05, 2)
    retired = runner.invoke(args=["product-update", str(products["Baguette"]), "--inactive"])
    assert retired.exit_code == 0
    assert "Baguette" not in [p["name"] for p in client.get("/products", headers=JSON).get_json()]


def test_product_update_of_an_unknown_product_says_so(runner):
    result = runner.invoke(args=["product-update", "424242", "--price", "1"])
    assert result.exit_code == 1
    assert "No product with that id" in result.output


def test_product_update_refuses_a_price_it_would_have_to_round(runner, client, products):
    result = runner.invoke(args=["product-update", str(products["Baguette"]), "--price", "3.005"])
    assert result.exit_code == 1
    assert "at most two decimals" in result.output
    assert client.get(f"/products/{products['Baguette']}", headers=JSON).get_json()["price"] == 2.90
