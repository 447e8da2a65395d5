"""The catalogue: one route per resource, answering JSON, a fragment or a page."""

from flask import Blueprint, request

from ..exceptions import Invalid
from ..web.negotiation import html_page, is_htmx, respond, wants_json
from ..web.shared_html import this_visitor
from . import pages, service

bp = Blueprint("catalog", __name__)


@bp.get("/products")
@bp.get("/")
def index():
    try:
        codes = service.parse_free_from(request.args.getlist("free_from"))
    except Invalid as refused:
        if wants_json():
            raise
        return _page(this_visitor(), (), status=422, filter_error=refused.message)
    if wants_json():
        return pages.send_json(pages.catalogue_json(codes))
    return _page(this_visitor(), codes)  # their token, cart count and messages, filled into the cached HTML


def _page(visitor, codes, status=200, filter_error=None):
    """The catalogue page, or for htmx the product list alone, "free from" `codes`."""
    if is_htmx() or filter_error:
        return respond(
            None,
            "catalog/index.html",
            status=status,
            block="product_list",
            grid_html=pages.grid_html(visitor, codes),
            visitor=visitor,
            free_from=codes,
            filter_error=filter_error,
        )
    return html_page(pages.page_html(visitor, codes))


@bp.get("/products/<id:product_id>")
def product(product_id):
    item = service.get_product(product_id)
    return respond(item.to_dict(), "catalog/product.html", product=item)
