"""Reading the catalogue (through its cache) and changing products."""
import hashlib

from flask import abort, current_app
from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from ..models import Product

EDITABLE_FIELDS = {"name", "description", "price", "image", "stock", "active"}


def list_products():
    """Every product on sale (active), in a stable order."""
    return db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)).all()


def get_product_or_404(product_id):
    """The active product with this id, or abort(404)."""
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        abort(404, "No product with that id")
    return product


def catalogue_json():
    """The catalogue as ready-to-send JSON bytes with their ETag, from the cache."""
    return current_app.extensions["catalog_cache"].get("products.json", _build_catalogue_json)


def _build_catalogue_json():
    body = current_app.json.dumps([p.to_dict() for p in list_products()], separators=(",", ":")).encode()
    return {"body": body, "etag": hashlib.sha256(body).hexdigest()[:32]}


def update_product(product_id, **changes):
    """Change a product's fields (staff edits); the catalogue cache forgets it on commit."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApiError(422, "Unknown product fields", {"fields": sorted(unknown)})
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404, "No product with that id")
    for field, value in changes.items():
        setattr(product, field, value)
    db.session.commit()
    return product
