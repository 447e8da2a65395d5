"""The catalogue: one route per resource, answering JSON, a fragment or a page."""
from flask import Blueprint, current_app, request

from ..negotiation import html_page, is_htmx, respond, wants_json
from . import service

bp = Blueprint("catalog", __name__)


@bp.get("/products")
@bp.get("/")
def index():
    if wants_json():
        return cached_json(service.catalogue_json())
    if is_htmx():
        return respond(None, "catalog/index.html", grid_html=service.catalogue_grid_html())
    return html_page(service.catalogue_page_html())


@bp.get("/products/<id:product_id>")
def product(product_id):
    item = service.get_product(product_id)
    return respond(item.to_dict(), "catalog/product.html", product=item)


def cached_json(entry):
    """Send pre-serialised JSON; a client holding the same ETag gets a bodiless 304."""
    if entry["etag"] in request.if_none_match:
        return current_app.response_class(status=304, headers=entry["headers"])
    return current_app.response_class(entry["body"], mimetype="application/json", headers=entry["headers"])
