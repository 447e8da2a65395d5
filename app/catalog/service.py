"""The catalogue's queries: products on sale (with what is left for a pickup day), by shelf, free from
allergens; any product.

Changing a product (the staff form, the products table's row, the CLI) is in editing.py.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..exceptions import Invalid, NotFound
from ..extensions import db
from ..models import Product, is_id
from .allergens import ALLERGENS, in_order, unknown_codes
from .categories import list_categories
from .daily import for_day

STAMP_QUERY = "SELECT id, updated_at FROM products ORDER BY id"
# What orders and the counter took of each product from one day on (baked products' rows leave products
# alone): that day's "only N left", and the later days a sold-out card names ("available Tuesday").
DAY_STAMP_QUERY = (
    "SELECT day, product_id, taken, adjusted, counter_sold FROM product_days WHERE day >= ? ORDER BY day, product_id"
)
UNCATEGORISED = "More bakes"


@dataclass(frozen=True)
class Shelf:
    """One category of the catalogue page with its products, in the order staff chose."""

    name: str
    products: list


def list_products(day=None):
    """Every product on sale (active), in a stable order; with `day`, baked products count what is left that day."""
    products = db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)).all()
    if day is not None:
        for_day(products, day)
    return products


def parse_free_from(values):
    """The allergen codes of a "free from" filter, in Annex II order; Invalid for an unknown code.

    `values` are the query's values: each a code or several joined by commas, as in
    `?free_from=milk,nuts` (a shared link) or `?free_from=milk&free_from=nuts` (the form).
    """
    codes = [code.strip().lower() for value in values for code in str(value).split(",") if code.strip()]
    unknown = unknown_codes(codes)
    if unknown:
        message = (
            f"Unknown allergen code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)[:200]}. "
            f"Known codes: {', '.join(ALLERGENS)}."
        )
        raise Invalid(message, {"free_from": message})
    return in_order(codes)


def free_from(products, codes):
    """The products that neither contain nor may contain any allergen in `codes`."""
    avoided = set(codes)
    return [p for p in products if avoided.isdisjoint(p.allergens) and avoided.isdisjoint(p.may_contain)]


def shelves(products):
    """The products grouped by category in the staff's order; those without one come last."""
    by_category = {}
    for product in products:
        by_category.setdefault(product.category_id, []).append(product)
    grouped = [Shelf(c.name, by_category.pop(c.id)) for c in list_categories() if c.id in by_category]
    leftovers = [p for group in by_category.values() for p in group]
    return grouped + ([Shelf(UNCATEGORISED, leftovers)] if leftovers else [])


def get_product(product_id):
    """The product on sale with this id; NotFound otherwise."""
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None or not product.active:
        raise NotFound("No product with that id")
    return product


def catalogue_stamp(day=None):
    """A cheap fingerprint of the products table: each row's updated_at, which every write path bumps;
    with `day`, also the ledger rows from that day on (orders for baked products change only those).

    Per row, not count() and max(updated_at): a change committed after a later-stamped one
    (two writers racing for the lock, or two hosts' clocks) leaves the max as it was, never
    its own row's value. Plain SQL on a connection of its own, as it can run on every cached
    request (app/catalog/cache.py): the same query built with select() costs more CPU, and
    through a session far more (docs/performance.md, "What the speed-ups buy").
    """
    with db.engine.connect() as connection:
        stamp = tuple(connection.exec_driver_sql(STAMP_QUERY).all())
        if day is None:
            return stamp
        query = DAY_STAMP_QUERY if connection.dialect.paramstyle == "qmark" else DAY_STAMP_QUERY.replace("?", "%s")
        return stamp, tuple(connection.exec_driver_sql(query, (day.isoformat(),)).all())


def get_any_product(product_id):
    """Any product with this id, on sale or not; NotFound otherwise."""
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None:
        raise NotFound("No product with that id")
    return product


def all_products():
    """Every product, on sale or not, in a stable order (the staff's products table, with weekday amounts)."""
    return db.session.scalars(
        select(Product).options(selectinload(Product.weekday_amount_rows)).order_by(Product.id)
    ).all()
