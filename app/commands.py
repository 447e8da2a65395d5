"""Operator commands: `flask --app wsgi seed`, `order-status` and `dead-letters`."""
import click
from flask import current_app
from werkzeug.exceptions import NotFound
from flask.cli import with_appcontext
from sqlalchemy import select

from . import rabbitmq
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


@click.command("dead-letters")
@click.option("--requeue", is_flag=True, help="Send them back to the orders queue (after fixing the cause).")
@with_appcontext
def dead_letters_command(requeue):
    """Show the messages in the orders dead-letter queue; they stay there unless --requeue."""
    url, queue = current_app.config["RABBITMQ_URL"], current_app.config["ORDERS_QUEUE"]
    if not url:
        raise click.ClickException("RABBITMQ_URL is not set: the in-process queue has no dead-letter queue")
    bodies = rabbitmq.dead_letters(url, queue, requeue=requeue)
    for body in bodies:
        click.echo(body.decode(errors="replace"))
    where = f"sent back to {queue}" if requeue else f"in {rabbitmq.dead_letter_name(queue)}"
    click.echo(f"{len(bodies)} dead-lettered messages {where}.")
