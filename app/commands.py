"""Operator commands: `flask --app wsgi seed` and `flask --app wsgi order-status`."""
import click
from werkzeug.exceptions import NotFound
from flask.cli import with_appcontext
from sqlalchemy import select

from .errors import ApiError
from .extensions import db
from .models import ORDER_STATUSES, Product
from .orders.service import change_status
from .seed_data import demo_products


@click.command("seed")
@with_appcontext
def seed_command():
    """Load the demo products; products that already exist (by name) are left as they are."""
    existing = set(db.session.scalars(select(Product.name)))
    added = [Product(**row) for row in demo_products() if row["name"] not in existing]
    db.session.add_all(added)
    db.session.commit()
    click.echo(f"Seeded {len(added)} products ({len(existing)} already there).")


@click.command("order-status")
@click.argument("order_id")
@click.argument("status", type=click.Choice(ORDER_STATUSES))
@with_appcontext
def order_status_command(order_id, status):
    """Move ORDER_ID to STATUS (e.g. Ready) if its lifecycle allows it."""
    try:
        order = change_status(order_id, status)
    except NotFound as error:
        raise click.ClickException(error.description) from error
    except ApiError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Order {order.public_id} is now {order.status}.")
