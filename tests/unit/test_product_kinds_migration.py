"""The migration to two kinds of product, on a database with the old schema and data: a product with a
daily quota becomes baked with that amount every weekday, the others stay stocked, and open orders
keep what they took of their pickup day."""

from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from app.models import BAKED, STOCKED, Product, ProductDay, ProductWeekdayAmount
from tests.helpers import empty_migration_databases

BEFORE = "c9a4e6d2b871"  # the last revision with products.daily_quota and product_day_quota


def _insert_old_rows(conn):
    for name, stock, quota in (("Quota Croissant", 0, 12), ("Jar of Honey", 7, None)):
        conn.execute(
            text(
                "INSERT INTO products (name, description, price, image, stock, active, created_at, updated_at, "
                "daily_quota) VALUES (:name, '', 2.00, '', :stock, :yes, '2026-01-01', '2026-01-01', :quota)"
            ),
            {"name": name, "stock": stock, "quota": quota, "yes": True},
        )
    conn.execute(
        text(
            "INSERT INTO product_day_quota (product_id, day, taken) "
            "SELECT id, '2026-12-07', 5 FROM products WHERE name = 'Quota Croissant'"
        )
    )


def test_a_daily_quota_becomes_a_baked_amount_every_weekday_and_reservations_stay(schema, tmp_path):
    for url in empty_migration_databases(tmp_path, "kinds_migration"):
        app = create_app({**schema, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
        with app.app_context():
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                _insert_old_rows(conn)
            upgrade()
            db.session.remove()
            products = {p.name: p for p in db.session.scalars(select(Product))}
            croissant, honey = products["Quota Croissant"], products["Jar of Honey"]
            assert (croissant.kind, croissant.weekday_amounts) == (BAKED, dict.fromkeys(range(7), 12))
            assert (honey.kind, honey.stock, honey.weekday_amounts) == (STOCKED, 7, {})
            # Later revisions leave them as they were: none made to order, no batches, no resource used.
            assert (croissant.to_order, croissant.batch_size, croissant.per_batch) == (False, None, {})
            ledger = db.session.get(ProductDay, (croissant.id, date(2026, 12, 7)))
            assert (ledger.taken, ledger.adjusted, ledger.counter_sold) == (5, 0, 0)
            db.session.remove()

            downgrade(revision=BEFORE)  # and back: the quota and the reservation return
            assert db.session.execute(text("SELECT name, daily_quota FROM products ORDER BY name")).all() == [
                ("Jar of Honey", None),
                ("Quota Croissant", 12),
            ]
            assert db.session.scalar(text("SELECT taken FROM product_day_quota")) == 5
            db.session.remove()
            upgrade()
            assert db.session.scalar(select(ProductWeekdayAmount.amount).limit(1)) == 12
            db.session.remove()
            db.engine.dispose()
