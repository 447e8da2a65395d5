"""The catalogue: one route per resource, answering JSON, a fragment or a page."""

from flask import Blueprint, request

from ..bakery_calendar.formatting import day_name
from ..bakery_calendar.service import load_calendar, parse_day
from ..cart.service import cart_day
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
    ordering, day_error, status = _chosen_day()
    # their token, cart count and messages, filled into the cached HTML
    return _page(this_visitor(), codes, status=status, ordering=ordering, day_error=day_error)


def _pickup_day():
    """The `day` asked for (YYYY-MM-DD, from today to the booking horizon), or None; Invalid otherwise."""
    text = request.args.get("day")
    return None if text is None else parse_day(text, load_calendar(), field="day")


def _chosen_day():
    """(the OrderingDay the page shows, a message if the `day` asked for is not one to order for, status).

    Text that is no date is a 422, as a bad filter is; a real date the shop takes no orders for (an old
    link, a closed day) is a 200: the page is the shop's, for the first day one can order for, with a note.
    """
    ordering = pages.taking_orders_for()
    text = request.args.get("day")
    if not text:
        # The day the customer's cart is for (chosen earlier): the shop opens on it, as the cart checks it.
        kept = cart_day()
        return (ordering.pick(kept) if kept in ordering.choices else ordering), None, 200
    try:
        day = parse_day(text, field="day")
    except Invalid:
        return ordering, f"“{text[:20]}” is not a day. Showing {_first(ordering)}.", 422
    if day not in ordering.choices:
        return ordering, f"We don't take orders for pickup on {day_name(day)}. Showing {_first(ordering)}.", 200
    return ordering.pick(day), None, 200


def _first(ordering):
    return f"the first day you can order for, {day_name(ordering.day)}" if ordering.day else "our bakes"


def _page(visitor, codes, status=200, filter_error=None, ordering=None, day_error=None):
    """The catalogue page, or for htmx the product list alone, "free from" `codes`, for the `ordering` day."""
    if is_htmx() or filter_error:
        return respond(
            None,
            "catalog/index.html",
            status=status,
            block="product_list",
            grid_html=pages.grid_html(visitor, codes, ordering),
            visitor=visitor,
            free_from=codes,
            filter_error=filter_error,
            day_error=day_error,
            ordering=ordering or pages.taking_orders_for(),
            swap_around=is_htmx(),
        )
    return html_page(pages.page_html(visitor, codes, ordering, day_error), status=status)


@bp.get("/products/<id:product_id>")
def product(product_id):
    if wants_json():
        item = service.for_day([service.get_product(product_id)], pages.taking_orders_for().day)[0]
        return respond(item.to_dict(), "catalog/product.html", product=item)
    # The page keeps the catalogue's day and filter (its back link returns to them); a bad one: the defaults.
    ordering = _chosen_day()[0]
    try:
        codes = service.parse_free_from(request.args.getlist("free_from"))
    except Invalid:
        codes = ()
    item = service.for_day([service.get_product(product_id)], ordering.day)[0]
    pages.with_next_day([item], ordering)
    return respond(None, "catalog/product.html", product=item, ordering=ordering, free_from=codes)
