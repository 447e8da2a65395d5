"""Reading the catalogue (through its cache) and changing products."""
import hashlib
import re
from decimal import Decimal

from flask import current_app, render_template, session
from markupsafe import Markup
from sqlalchemy import func, select

from ..exceptions import Invalid, NotFound
from ..extensions import db
from ..models import Product, is_id
from ..negotiation import VARY
from ..shared_html import personalise, rendering_for_everyone

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
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None or not product.active:
        raise NotFound("No product with that id")
    return product


def catalogue_json():
    """The catalogue as ready-to-send JSON bytes with their ETag, from the cache."""
    return _catalog_cache().get("products.json", _build_catalogue_json, catalogue_stamp)


def catalogue_stamp():
    """A cheap fingerprint of the products table: every write path bumps updated_at.

    On a connection of its own rather than the session: measured here, that costs half
    the CPU of a session round trip with its BEGIN and teardown.
    """
    query = select(func.count(), func.max(Product.updated_at)).select_from(Product)
    with db.engine.connect() as connection:
        return tuple(connection.execute(query).one())


def _build_catalogue_json():
    body = current_app.json.dumps([p.to_dict() for p in list_products()], separators=(",", ":")).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    # Headers built once with the body: the hot path only copies them.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache", "Vary": VARY}
    return {"body": body, "etag": etag, "headers": headers}


def catalogue_grid_html():
    """The product grid for this visitor (the htmx fragment's content)."""
    if session.get("_flashes"):
        return _grid_html()  # a message waits for one card (an add without JavaScript)
    return personalise(_catalog_cache().get("grid.html", _shared_grid_html, catalogue_stamp))


def catalogue_page_html():
    """The whole catalogue page for this visitor: cached HTML shared by all, with their
    CSRF token and cart count filled in."""
    if session.get("_flashes"):
        return render_template("catalog/index.html", grid_html=_grid_html())
    return personalise(_catalog_cache().get("index.html", _shared_page_html, catalogue_stamp))


def _grid_html():
    return Markup(render_template("catalog/_grid.html", products=list_products()))


def _shared_grid_html():
    with rendering_for_everyone():
        return _grid_html()


def _shared_page_html():
    with rendering_for_everyone():
        return render_template("catalog/index.html", grid_html=_grid_html())


def _catalog_cache():
    return current_app.extensions["catalog_cache"]


def update_product(product_id, **changes):
    """Change a product's fields (staff edits); the catalogue cache forgets it on commit."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise Invalid("Unknown product fields", {"fields": sorted(unknown)})
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None:
        raise NotFound("No product with that id")
    for field, value in changes.items():
        setattr(product, field, value)
    db.session.commit()
    return product
