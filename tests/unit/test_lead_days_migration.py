"""The migration to days of notice, on a database with the products of the revision before it: they get none,
the database refuses more than 30, and the downgrade takes the column away again."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db
from app.models import Product
from tests.helpers import empty_migration_databases

BEFORE = "a4c7e2f91b36"  # the last revision without products.lead_days


def test_existing_products_get_no_days_of_notice_and_the_database_keeps_them_to_30(schema, tmp_path):
    for url in empty_migration_databases(tmp_path, "lead_days_migration"):
        app = create_app({**schema, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
        with app.app_context():
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO products (name, description, price, image, stock, active, created_at, "
                        "updated_at, lead_hours) VALUES ('Old Cake', '', 20.00, '', 2, :yes, '2026-01-01', "
                        "'2026-01-01', 48)"
                    ),
                    {"yes": True},
                )
            upgrade()
            db.session.remove()
            cake = db.session.scalar(select(Product))
            assert (cake.name, cake.lead_hours, cake.lead_days) == ("Old Cake", 48, None)
            cake.lead_days = 30
            db.session.commit()
            cake.lead_days = 31
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
            db.session.remove()

            downgrade(revision=BEFORE)
            assert "lead_days" not in {column["name"] for column in inspect(db.engine).get_columns("products")}
            assert db.session.execute(text("SELECT name, lead_hours FROM products")).all() == [("Old Cake", 48)]
            db.session.remove()
            upgrade()
            db.session.remove()
            db.engine.dispose()
