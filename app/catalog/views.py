"""The catalogue: one route per resource, answering JSON, a fragment or a page."""
from flask import Blueprint

from ..negotiation import respond
from . import service

bp = Blueprint("catalog", __name__)


@bp.get("/products")
@bp.get("/")
def index():
    products = service.list_products()
    return respond([p.to_dict() for p in products], "catalog/index.html", products=products)


@bp.get("/products/<int:product_id>")
def product(product_id):
    item = service.get_product_or_404(product_id)
    return respond(item.to_dict(), "catalog/product.html", product=item)
