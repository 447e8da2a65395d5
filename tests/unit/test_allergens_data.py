"""Categories, allergens and dietary labels as data: the model, the demo seed and the migration."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.catalog.allergens import ALLERGENS, DIETARY, unknown_codes
from app.catalog.categories import list_categories
from app.catalog.seed_data import DEMO_CATEGORIES, DEMO_DETAILS
from app.extensions import db
from app.models import Category, Product, ProductAllergen
from tests.helpers import JSON, empty_migration_databases

OLD_HEAD = "f43ebb97c743"


def catalogue(client):
    return {p["name"]: p for p in client.get("/products", headers=JSON).get_json()}


def test_the_fourteen_annex_ii_allergens_have_stable_codes_and_words():
    assert list(ALLERGENS) == [
        "gluten",
        "crustaceans",
        "eggs",
        "fish",
        "peanuts",
        "soy",
        "milk",
        "nuts",
        "celery",
        "mustard",
        "sesame",
        "sulphites",
        "lupin",
        "molluscs",
    ]
    assert ALLERGENS["gluten"] == "Cereals containing gluten" and ALLERGENS["nuts"] == "Tree nuts"
    assert DIETARY == {"vegan": "Vegan", "vegetarian": "Vegetarian"}
    assert unknown_codes(["milk", "chocolate", "nuts", "chocolate"]) == ["chocolate"]


def test_the_json_shows_category_allergens_traces_and_dietary_labels(client, products):
    items = catalogue(client)
    assert items["Butter Croissant"]["category"] == "Viennoiserie"
    assert items["Butter Croissant"]["allergens"] == ["gluten", "eggs", "milk"]
    assert items["Almond Croissant"]["allergens"] == ["gluten", "eggs", "milk", "nuts"]
    assert items["Rye Bread"]["may_contain"] == ["sesame"]
    assert items["Baguette"]["dietary"] == ["vegan", "vegetarian"]
    assert items["Lemon Tart"]["dietary"] == ["vegetarian"]
    one = client.get(f"/products/{products['Baguette']}", headers=JSON).get_json()
    assert set(one) >= {
        "id",
        "name",
        "price",
        "image",
        "description",
        "available",
        "only_left",
        "category",
        "allergens",
        "may_contain",
        "dietary",
    }


def test_a_product_made_before_categories_has_null_and_empty_lists(client, add_product):
    add_product(name="Old Bun")
    bun = catalogue(client)["Old Bun"]
    assert (bun["category"], bun["allergens"], bun["may_contain"], bun["dietary"]) == (None, [], [], [])


def test_every_demo_product_is_truthful_about_the_obvious(client, products):
    for name, item in catalogue(client).items():
        assert "gluten" in item["allergens"], name  # every one of them is made with wheat or rye flour
        if "Croissant" in name or name in ("Lemon Tart", "Cinnamon Roll", "Pain au Chocolat"):
            assert {"milk", "eggs"} <= set(item["allergens"]), name
        if "vegan" in item["dietary"]:
            assert not {"milk", "eggs"} & set(item["allergens"]), name
        assert not set(item["allergens"]) & set(item["may_contain"]), name


def test_the_catalogue_is_read_without_a_query_per_product(app, products):
    with app.app_context():
        statements = []

        def seen(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        db.session.expire_all()
        [p.to_dict() for p in db.session.scalars(select(Product))]
        event.remove(db.engine, "before_cursor_execute", seen)
    # products, their allergens, their categories, and for the few with options: the options, their
    # choices and the choices' allergens. None of it grows with the number of products.
    assert len(statements) <= 6, statements


def test_seed_makes_the_categories_in_order_and_adds_nothing_when_run_again(app, runner):
    first = runner.invoke(args=["seed"])
    assert "Seeded 11 products" in first.output
    again = runner.invoke(args=["seed"])
    assert "Seeded 0 products (11 already there)" in again.output and "Gave" not in again.output
    with app.app_context():
        assert [c.name for c in list_categories()] == DEMO_CATEGORIES
        assert db.session.scalar(select(text("count(*)")).select_from(ProductAllergen)) == sum(
            len(contains) + len(traces) for _, contains, traces, _ in DEMO_DETAILS.values()
        )


def test_seed_fills_in_demo_products_from_before_without_touching_staff_products(app, runner, client, add_product):
    add_product(name="Baguette", price="2.90")  # seeded before categories existed
    add_product(name="Staff Special", price="4.00")
    result = runner.invoke(args=["seed"])
    assert "Seeded 10 products (2 already there)" in result.output
    assert "Gave 1 demo products their category and allergens" in result.output
    items = catalogue(client)
    assert (items["Baguette"]["category"], items["Baguette"]["allergens"]) == ("Breads", ["gluten"])
    assert (items["Staff Special"]["category"], items["Staff Special"]["allergens"]) == (None, [])


def test_the_database_refuses_unknown_codes_and_vegan_that_is_not_vegetarian(app, products):
    with app.app_context():
        db.session.add(ProductAllergen(product_id=products["Baguette"], code="chocolate", trace=False))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        product = db.session.get(Product, products["Lemon Tart"])
        product.vegan, product.vegetarian = True, False
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_an_allergen_change_alone_shows_in_the_next_json(app, client, products):
    assert catalogue(client)["Baguette"]["may_contain"] == []  # the cache now holds it
    with app.app_context():
        baguette = db.session.get(Product, products["Baguette"])
        baguette.set_allergens(["gluten"], ["sesame"])
        db.session.commit()
    assert catalogue(client)["Baguette"]["may_contain"] == ["sesame"]


def test_deleting_a_product_takes_its_allergens_and_a_used_category_cannot_be_deleted(app, add_product):
    product_id = add_product(name="Short Lived")
    with app.app_context():
        category = Category(name="Seasonal")
        product = db.session.get(Product, product_id)
        product.category = category
        product.set_allergens(["gluten"], [])
        db.session.commit()
        db.session.execute(text("DELETE FROM products WHERE id = :id"), {"id": product_id})
        db.session.commit()
        assert db.session.scalars(select(ProductAllergen)).all() == []
        other = add_product(name="Long Lived")
        db.session.get(Product, other).category = db.session.get(Category, category.id)
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(text("DELETE FROM categories WHERE id = :id"), {"id": category.id})
            db.session.commit()
        db.session.rollback()


# The migration, on a database that has the old schema and data


def test_upgrade_from_the_old_schema_keeps_products_and_orders(schema, tmp_path):
    for url in empty_migration_databases(tmp_path, "migration"):
        app = create_app({**schema, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
        with app.app_context():
            upgrade(revision=OLD_HEAD)
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO products (name, description, price, image, stock, active, created_at, "
                        "updated_at) VALUES ('Old Bun', 'From before', 1.50, '', 3, :yes, '2026-01-01', "
                        "'2026-01-01')"
                    ),
                    {"yes": True},
                )
                conn.execute(
                    text(
                        "INSERT INTO orders (public_id, status, total, processing_attempts, created_at, "
                        "updated_at) VALUES ('abcdefghijkl', 'Completed', 1.50, 0, '2026-01-01', '2026-01-01')"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity) "
                        "SELECT o.id, p.id, 'Old Bun', 1.50, 1 FROM orders o, products p"
                    )
                )
            upgrade()
            db.session.remove()
            bun = db.session.scalar(select(Product).where(Product.name == "Old Bun"))
            assert (bun.description, str(bun.price), bun.stock, bun.active) == ("From before", "1.50", 3, True)
            assert (bun.category, bun.allergens, bun.vegan, bun.vegetarian) == (None, [], False, False)
            assert db.session.scalar(text("SELECT product_name FROM order_items")) == "Old Bun"
            if url.startswith("sqlite"):  # the rebuilt table is referenced again, and enforced
                assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
                assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            db.session.remove()
            db.engine.dispose()
