"""The catalogue: one route per resource, answering JSON, a fragment or a page."""
from flask import Blueprint

from ..negotiation import html_page, is_htmx, respond, wants_json
from ..shared_html import this_visitor
from . import pages, service

bp = Blueprint("catalog", __name__)


@bp.get("/products")
@bp.get("/")
def index():
    if wants_json():
        return pages.send_json(pages.catalogue_json())
    visitor = this_visitor()  # their token, cart count and messages, filled into the cached HTML
    if is_htmx():
        return respond(None, "catalog/index.html", grid_html=pages.grid_html(visitor))
    return html_page(pages.page_html(visitor))


@bp.get("/products/<id:product_id>")
def product(product_id):
    item = service.get_product(product_id)
    return respond(item.to_dict(), "catalog/product.html", product=item)
