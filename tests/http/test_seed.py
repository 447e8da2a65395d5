"""`flask seed` loads the demo catalogue once, however often it runs."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.catalog.resources import day_loads
from app.extensions import db
from app.models import Product, ProductDayAmount, Resource
from tests.helpers import JSON

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


def test_seed_loads_demo_products_and_is_idempotent(runner, client):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "Seeded 11 products" in first.output
    again = runner.invoke(args=["seed"])
    assert "Seeded 0 products (11 already there)" in again.output
    products = client.get("/products", headers=JSON).get_json()
    assert len(products) == 11
    assert all(p["price"] > 0 and p["description"] for p in products)
    # The sourdough's 36-hour dough is started the day before: a day's notice (the first day one can order for
    # may be today, too soon for it).
    assert {p["name"]: p["lead_days"] for p in products if p["lead_days"]} == {"Sourdough Loaf": 1}
    assert all(p["available"] for p in products if not p["lead_days"])
    kinds = {p["name"]: p["kind"] for p in products}
    assert (kinds["Butter Croissant"], kinds["Sourdough Loaf"], kinds["Lemon Tart"]) == ("baked", "baked", "stocked")


def test_the_demo_bakes_breads_and_pastries_on_opening_days_and_more_on_saturday(runner, app):
    runner.invoke(args=["seed"])
    with app.app_context():
        croissant = db.session.scalar(select(Product).where(Product.name == "Butter Croissant"))
        # The default hours: Monday to Saturday, closed on Sunday.
        assert croissant.weekday_amounts == {0: 24, 1: 24, 2: 24, 3: 24, 4: 24, 5: 48}


def test_the_demo_has_one_oven_its_baked_products_fill_by_the_tray(runner, app):
    runner.invoke(args=["seed"])
    runner.invoke(args=["seed"])
    with app.app_context():
        assert [(r.name, r.unit, r.per_day) for r in db.session.scalars(select(Resource))] == [
            ("Deck oven", "trays", 40)
        ]
        croissant = db.session.scalar(select(Product).where(Product.name == "Butter Croissant"))
        assert (croissant.batch_size, list(croissant.per_batch.values())) == (12, [1])
        # A Saturday's planned amounts: 28 trays of the 40.
        saturday = date(2026, 12, 12)
        assert [(load.used, load.left) for load in day_loads(saturday)] == [(28, 12)]


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


def test_product_update_daily_makes_a_product_baked_on_every_opening_weekday(runner, client, app, products):
    rye = products["Rye Bread"]
    result = runner.invoke(args=["product-update", str(rye), "--daily", "30"])
    assert result.exit_code == 0, result.output
    # The default hours: open Monday to Saturday, closed on Sunday.
    assert "baked daily (Mon 30, Tue 30, Wed 30, Thu 30, Fri 30, Sat 30)" in result.output
    with app.app_context():
        product = db.session.get(Product, rye)
        assert (product.kind, product.weekday_amounts) == ("baked", dict.fromkeys(range(6), 30))
    listed = {p["id"]: p for p in client.get("/products", headers=JSON).get_json()}
    assert (listed[rye]["kind"], listed[rye]["available"]) == ("baked", 30)


def test_product_update_daily_on_overrides_one_date(runner, client, app, products):
    rye, day = products["Rye Bread"], later_pickup_day(client)
    runner.invoke(args=["product-update", str(rye), "--daily", "30"])
    result = runner.invoke(args=["product-update", str(rye), "--daily-on", f"{day}=5", "--daily-on", f"{day}=7"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(ProductDayAmount, (rye, date.fromisoformat(day))).amount == 7  # the last one counts
    listed = {p["id"]: p for p in client.get(f"/products?day={day}", headers=JSON).get_json()}
    assert listed[rye]["available"] == 7


def test_product_update_stock_makes_a_baked_product_stocked_again(runner, client, app, products):
    rye = products["Rye Bread"]
    runner.invoke(args=["product-update", str(rye), "--daily", "30"])
    result = runner.invoke(args=["product-update", str(rye), "--stock", "4"])
    assert result.exit_code == 0, result.output
    assert "4 in stock" in result.output
    listed = {p["id"]: p for p in client.get("/products", headers=JSON).get_json()}
    assert (listed[rye]["kind"], listed[rye]["available"]) == ("stocked", 4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--daily", "-1"], "--daily"),
        (["--daily", "lots"], "--daily"),
        (["--daily-on", "2026-13-01=5"], "like 2026-12-24=60"),
        (["--daily-on", "2026-12-24"], "like 2026-12-24=60"),
        (["--daily-on", "2026-12-24=-3"], "like 2026-12-24=60"),
        (["--stock", "3", "--daily", "5"], "either stocked"),
    ],
)
def test_product_update_refuses_bad_amounts_clearly(runner, app, products, args, message):
    result = runner.invoke(args=["product-update", str(products["Rye Bread"]), *args])
    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert db.session.get(Product, products["Rye Bread"]).kind == "stocked"


def test_product_update_daily_on_for_a_stocked_product_says_what_to_do(runner, app, products):
    result = runner.invoke(args=["product-update", str(products["Rye Bread"]), "--daily-on", "2026-12-24=5"])
    assert result.exit_code == 1
    assert "Rye Bread is stocked" in result.output and "--daily" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProductDayAmount)) == 0


def later_pickup_day(client):
    """A day within the booking horizon, after the next one taking orders."""
    return (
        date.fromisoformat(client.get("/pickup-slots", headers=JSON).get_json()[0]["start"][:10]) + timedelta(days=1)
    ).isoformat()
