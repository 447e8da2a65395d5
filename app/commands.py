"""Operator commands: `flask --app wsgi seed`, `order-status`, `product-update`, `dead-letters`, `create-staff`,
`mark-no-shows`."""

from contextlib import contextmanager
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from .bakery_calendar import service as calendar_service
from .catalog.editing import MAX_STOCK, parse_price, set_daily_amounts, update_product
from .catalog.seed_data import load_demo
from .exceptions import DomainError
from .infra import rabbitmq
from .models import ORDER_STATUSES, STAFF_ROLES
from .orders.days import parse_board_day
from .orders.no_show import mark_no_shows
from .orders.service import change_status
from .staff.accounts import create_staff


@click.command("seed")
@with_appcontext
def seed_command():
    """Load the demo categories and products; products that already exist (by name) are left as they are."""
    added, existing, filled = load_demo()
    click.echo(f"Seeded {added} products ({existing} already there).")
    if filled:
        click.echo(f"Gave {filled} demo products their category and allergens.")


@click.command("order-status")
@click.argument("order_id")
@click.argument("status", type=click.Choice(ORDER_STATUSES))
@with_appcontext
def order_status_command(order_id, status):
    """Move ORDER_ID to STATUS (e.g. Ready) if its lifecycle allows it."""
    with refusals_as_click_errors():
        order = change_status(order_id, status)
    click.echo(f"Order {order.public_id} is now {order.status}.")


class DayAmount(click.ParamType):
    """YYYY-MM-DD=N: how many are baked on one date."""

    name = "YYYY-MM-DD=N"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        day, _, amount = str(value).partition("=")
        try:
            parsed = date.fromisoformat(day.strip()) if len(day.strip()) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None or not amount.strip().isdigit() or int(amount) > MAX_STOCK:
            self.fail(f"{value!r} is not a date and an amount like 2026-12-24=60 (0 to {MAX_STOCK})", param, ctx)
        return parsed, int(amount)


@click.command("product-update")
@click.argument("product_id", type=int)
@click.option("--name")
@click.option("--description")
@click.option("--price", help="e.g. 3.10")
@click.option("--image", help="picture URL, e.g. /static/products/baguette.svg")
@click.option("--stock", type=click.IntRange(0, MAX_STOCK), help="its stock; makes it a stocked product")
@click.option(
    "--daily",
    type=click.IntRange(0, MAX_STOCK),
    help="baked daily: this many on every weekday the bakery opens (none on the others)",
)
@click.option(
    "--daily-on",
    "daily_on",
    type=DayAmount(),
    multiple=True,
    help="baked daily: this many on one date instead of its weekday's amount (repeatable)",
)
@click.option("--active/--inactive", default=None, help="on sale or not")
@with_appcontext
def product_update_command(product_id, daily, daily_on, **changes):
    """Change a product; customers see the change on their next request."""
    changes = {field: value for field, value in changes.items() if value is not None}
    if "stock" in changes and (daily is not None or daily_on):
        raise click.UsageError("A product is either stocked (--stock) or baked daily (--daily, --daily-on), not both.")
    with refusals_as_click_errors():
        if "price" in changes:
            changes["price"] = parse_price(changes["price"])
        product = update_product(product_id, **changes)
        if daily is not None or daily_on or "stock" in changes:
            product = set_daily_amounts(product_id, daily, daily_on, stocked="stock" in changes)
    click.echo(
        f"{product.name}: €{product.price}, {_amounts(product)}, {'on sale' if product.active else 'not on sale'}."
    )


def _amounts(product):
    if not product.baked:
        return f"{product.stock} in stock"
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    week = ", ".join(f"{days[day]} {amount}" for day, amount in sorted(product.weekday_amounts.items()))
    return f"baked daily ({week or 'no weekday amounts'})"


@contextmanager
def refusals_as_click_errors():
    """Turn the services' refusals into a plain error message and exit status 1."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(error.message) from error
    except ValueError as error:
        raise click.ClickException(str(error)) from error


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
    # Not dead yet: orders that failed and wait for their next try, which the worker makes by itself.
    waiting = rabbitmq.retries_waiting(url, queue)
    click.echo(f"{waiting} messages waiting for a retry in {rabbitmq.retry_name(queue)}.")


@click.command("create-staff")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="asked for when left out (better: it stays out of the shell history)",
)
@click.option(
    "--role",
    type=click.Choice(STAFF_ROLES),
    help="owner or staff; the first account is always an owner, later ones staff unless said",
)
@with_appcontext
def create_staff_command(username, password, role):
    """Add a staff user who can log in at /staff/login; an existing USERNAME is refused.

    The password needs at least 12 characters and must not be easy to guess.
    """
    with refusals_as_click_errors():
        user = create_staff(username, password, role)
    click.echo(f"Staff user {user.username} ({user.role}) created; they can log in at /staff/login.")


@click.command("mark-no-shows")
@click.option("--date", "day", help="only this past day (YYYY-MM-DD); default: every day before today")
@with_appcontext
def mark_no_shows_command(day):
    """Mark orders of past days that are still Ready or Processing as No-show (their stock stays taken)."""
    with refusals_as_click_errors():
        chosen = None
        if day is not None:
            chosen = parse_board_day(day)
            if chosen is None:
                raise click.BadParameter("a date like 2026-12-01", param_hint="--date")
        marked = mark_no_shows(calendar_service.now().date(), chosen)
    click.echo(f"Marked {len(marked)} orders as No-show{': ' + ', '.join(marked) if marked else '.'}")
