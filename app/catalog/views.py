"""The catalogue: one route per resource, answering JSON, a fragment or a page."""

from flask import Blueprint, request

from ..bakery_calendar.service import load_calendar, parse_day
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
        return pages.send_json(pages.catalogue_json(codes, _pickup_day()))
    return _page(this_visitor(), codes)  # their token, cart count and messages, filled into the cached HTML


def _pickup_day():
    """The `day` asked for (YYYY-MM-DD, from today to the booking horizon), or None; Invalid otherwise."""
    text = request.args.get("day")
    return None if text is None else parse_day(text, load_calendar(), field="day")


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
    item = service.for_day([service.get_product(product_id)], pages.taking_orders_for().day)[0]
    return respond(item.to_dict(), "catalog/product.html", product=item)
