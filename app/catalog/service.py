"""Reading the catalogue."""
from flask import abort
from sqlalchemy import select

from ..extensions import db
from ..models import Product


def list_products():
    """Every product on sale (active), in a stable order."""
    return db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)).all()


def get_product_or_404(product_id):
    """The active product with this id, or abort(404)."""
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        abort(404, "No product with that id")
    return product
