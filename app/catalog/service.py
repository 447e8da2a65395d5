"""The catalogue's queries and rules: products on sale, the price rule, staff changes."""
import re
from decimal import Decimal

from sqlalchemy import func, select

from ..exceptions import Invalid, NotFound
from ..extensions import db
from ..models import Product

EDITABLE_FIELDS = {"name", "description", "price", "image", "stock", "active"}
PRICE = re.compile(r"^\d{1,8}(\.\d{1,2})?$")  # fits Numeric(10, 2)
PRICE_RULE = "A price like 3.50: zero or more, at most two decimals."


def parse_price(text):
    """A price as typed by staff ("3.5", "3,50") as Decimal; ValueError(PRICE_RULE) otherwise."""
    price = str(text or "").strip().replace(",", ".")
    if not PRICE.match(price):
        raise ValueError(PRICE_RULE)
    return Decimal(price).quantize(Decimal("0.01"))


def list_products():
    """Every product on sale (active), in a stable order."""
    return db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)).all()


def get_product(product_id):
    """The product on sale with this id; NotFound otherwise."""
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise NotFound("No product with that id")
    return product


def catalogue_stamp():
    """A cheap fingerprint of the products table: every write path bumps updated_at.

    On a connection of its own rather than the session: measured here, that costs half
    the CPU of a session round trip with its BEGIN and teardown.
    """
    query = select(func.count(), func.max(Product.updated_at)).select_from(Product)
    with db.engine.connect() as connection:
        return tuple(connection.execute(query).one())


def update_product(product_id, **changes):
    """Change a product's fields (staff edits); the catalogue cache forgets it on commit."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise Invalid("Unknown product fields", {"fields": sorted(unknown)})
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("No product with that id")
    for field, value in changes.items():
        setattr(product, field, value)
    db.session.commit()
    return product
