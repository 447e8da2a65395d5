"""The catalogue's queries and rules: products on sale, the price rule, staff changes."""

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from .. import audit
from ..exceptions import Invalid, NotFound, Stale
from ..extensions import db
from ..form_values import whole_number
from ..models import Product, ProductDayQuota, is_id, utcnow
from ..security.text_rules import unfit_characters
from .allergens import ALLERGENS, in_order, unknown_codes
from .categories import list_categories
from .invalidation import mark_catalog_changed

EDITABLE_FIELDS = {"name", "description", "price", "image", "stock", "active"}
PRICE = re.compile(r"[0-9]{1,8}(\.[0-9]{1,2})?")  # fits Numeric(10, 2); ASCII digits only ("٣" is not one)
PRICE_RULE = "A price like 3.50: zero or more, at most two decimals."
STAMP_QUERY = "SELECT id, updated_at FROM products ORDER BY id"
UNCATEGORISED = "More bakes"
MAX_STOCK = 100_000
MAX_REASON = 100
# update_product(version=ANY_VERSION): the CLI's "set it now", made from no page that could be stale.
ANY_VERSION = object()
STALE_PRODUCT = (
    "Someone else saved this product after you opened the page, so nothing was saved. "
    "It now shows the current values: check them and make your change again."
)
STALE_STOCK = (
    "The stock changed after you opened the page (orders, or someone adjusted it), so nothing was saved. "
    "To add or take away a few, use “Adjust stock”."
)
CHANGE_RULE = f"A whole number to add (12 or +12) or take away (-3), from -{MAX_STOCK} to {MAX_STOCK}, not 0."
SIGNED = re.compile(r"([+-]?)([0-9]{1,12})")
MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # what phones and word processors type for "−"


@dataclass(frozen=True)
class Shelf:
    """One category of the catalogue page with its products, in the order staff chose."""

    name: str
    products: list


def parse_price(text):
    """A price as typed by staff ("3.5", "3,50") as Decimal; ValueError(PRICE_RULE) otherwise."""
    price = str(text or "").strip().replace(",", ".")
    if not PRICE.fullmatch(price):
        raise ValueError(PRICE_RULE)
    return Decimal(price).quantize(Decimal("0.01"))


def list_products(day=None):
    """Every product on sale (active), in a stable order; with `day`, daily quotas count for that day."""
    products = db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)).all()
    if day is not None:
        apply_quotas(products, day)
    return products


def apply_quotas(products, day):
    """Set each product's `quota_left` for pickups on `day` (sold out there, maybe not the day after)."""
    limited = {p.id: p for p in products if p.daily_quota is not None}
    if not limited:
        return
    taken = dict(
        db.session.execute(
            select(ProductDayQuota.product_id, ProductDayQuota.taken).where(
                ProductDayQuota.product_id.in_(list(limited)), ProductDayQuota.day == day
            )
        ).all()
    )
    for product_id, product in limited.items():
        product.quota_left = product.daily_quota - taken.get(product_id, 0)


def parse_free_from(values):
    """The allergen codes of a "free from" filter, in Annex II order; Invalid for an unknown code.

    `values` are the query's values: each a code or several joined by commas, as in
    `?free_from=milk,nuts` (a shared link) or `?free_from=milk&free_from=nuts` (the form).
    """
    codes = [code.strip().lower() for value in values for code in str(value).split(",") if code.strip()]
    unknown = unknown_codes(codes)
    if unknown:
        message = (
            f"Unknown allergen code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)[:200]}. "
            f"Known codes: {', '.join(ALLERGENS)}."
        )
        raise Invalid(message, {"free_from": message})
    return in_order(codes)


def free_from(products, codes):
    """The products that neither contain nor may contain any allergen in `codes`."""
    avoided = set(codes)
    return [p for p in products if avoided.isdisjoint(p.allergens) and avoided.isdisjoint(p.may_contain)]


def shelves(products):
    """The products grouped by category in the staff's order; those without one come last."""
    by_category = {}
    for product in products:
        by_category.setdefault(product.category_id, []).append(product)
    grouped = [Shelf(c.name, by_category.pop(c.id)) for c in list_categories() if c.id in by_category]
    leftovers = [p for group in by_category.values() for p in group]
    return grouped + ([Shelf(UNCATEGORISED, leftovers)] if leftovers else [])


def get_product(product_id):
    """The product on sale with this id; NotFound otherwise."""
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None or not product.active:
        raise NotFound("No product with that id")
    return product


def catalogue_stamp():
    """A cheap fingerprint of the products table: each row's updated_at, which every write path bumps.

    Per row, not count() and max(updated_at): a change committed after a later-stamped one
    (two writers racing for the lock, or two hosts' clocks) leaves the max as it was, never
    its own row's value. Plain SQL on a connection of its own, as it can run on every cached
    request (app/catalog/cache.py): the same query built with select() costs more CPU, and
    through a session far more (docs/performance.md, "Why the speed-ups exist").
    """
    with db.engine.connect() as connection:
        return tuple(connection.exec_driver_sql(STAMP_QUERY).all())


def update_product(product_id, actor=None, version=ANY_VERSION, stock_was=None, **changes):
    """Change a product's fields (staff edits); the catalogue cache forgets it on commit.

    `version` is the one the edit was made from: Stale unless the product still has it.
    Only fields that differ are written, so a price change never touches the stock. A new
    `stock` replaces `stock_was` (the stock the form showed; by default the stock now) only if
    the stock is still that, else Stale: orders may have taken some since. With `actor` (the
    staff user) the change is in the audit log, in the same transaction.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise Invalid("Unknown product fields", {"fields": sorted(unknown)})
    product = get_any_product(product_id)
    if version is not ANY_VERSION and version != product.version:
        raise Stale(STALE_PRODUCT, product)
    stock_was = product.stock if stock_was is None else stock_was
    changed = {
        field: value
        for field, value in changes.items()
        if value != (stock_was if field == "stock" else getattr(product, field))
    }
    if not changed:
        return product
    before = {field: stock_was if field == "stock" else getattr(product, field) for field in changed}
    written = {**changed, "stock": (stock_was, changed["stock"])} if "stock" in changed else changed
    claim_version(product, version, written)
    if actor is not None:
        detail = audit.describe_changes(before, changed)
        audit.record(actor, "product.update", "product", product.id, detail.replace("active", "on sale"))
    db.session.commit()
    return product


def claim_version(product, version, values=None):
    """Bump the product's version, and write `values`, if it still has `version`; Stale otherwise.

    One conditional UPDATE, so of two saves made from the same version only the first one
    counts, whatever the timing. `values["stock"]`, if given, is (the stock the edit expects,
    the new stock): orders move the stock without a version, so it is compared by value.
    The caller commits.
    """
    values = dict(values or {})
    claim = update(Product).where(Product.id == product.id)
    if version is not ANY_VERSION:
        claim = claim.where(Product.version == version)
    if "stock" in values:
        expected, values["stock"] = values["stock"]
        claim = claim.where(Product.stock == expected)
    claim = claim.values(version=Product.version + 1, updated_at=utcnow(), **values)
    if db.session.execute(claim.execution_options(synchronize_session=False)).rowcount != 1:
        db.session.rollback()
        current = get_any_product(product.id)
        stock_only = "stock" in values and version in (ANY_VERSION, current.version)
        raise Stale(STALE_STOCK if stock_only else STALE_PRODUCT, current)
    mark_catalog_changed(db.session)


def parse_stock_change(text):
    """A stock adjustment as staff type it ("+12", "12", "-3", "−3") as a non-zero int; Invalid otherwise."""
    value = str(text if text is not None else "").translate(MINUS_SIGNS).replace(" ", "")
    signed = SIGNED.fullmatch(value)
    number = whole_number(signed[2], MAX_STOCK, minimum=1) if signed else None
    if number is None:
        raise Invalid(CHANGE_RULE, {"change": CHANGE_RULE})
    return -number if signed[1] == "-" else number


def parse_reason(text):
    """The optional reason for a stock adjustment ("baked", "broken"): clean text, at most MAX_REASON characters."""
    reason = str(text if text is not None else "").strip()
    if len(reason) > MAX_REASON:
        message = f"Keep the reason under {MAX_REASON} characters."
        raise Invalid(message, {"reason": message})
    if unfit := unfit_characters(reason):
        message = f"The reason can't contain {unfit}."
        raise Invalid(message, {"reason": message})
    return reason


def adjust_stock(product_id, change, reason="", actor=None):
    """Add `change` (negative: take away) to the stock in one UPDATE; Invalid if it would go below 0.

    A delta, not a value: orders taken meanwhile still count, and it leaves the version
    alone, so nobody's open edit of the product becomes stale because of it.
    """
    product = get_any_product(product_id)
    moved = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.stock + change >= 0, Product.stock + change <= MAX_STOCK)
        .values(stock=Product.stock + change, updated_at=utcnow())
        .returning(Product.stock)
        .execution_options(synchronize_session=False)
    ).scalar()
    if moved is None:
        db.session.rollback()
        stock = get_any_product(product_id).stock
        message = (
            f"Only {stock} in stock: you can take away at most {stock}."
            if change < 0
            else f"That would be more than {MAX_STOCK} in stock."
        )
        refused = Invalid(message, {"change": message})
        refused.current = stock
        raise refused
    if actor is not None:
        shown = f"+{change}" if change > 0 else f"\u2212{-change}"
        why = f" ({reason})" if reason else ""
        audit.record(actor, "product.stock", "product", product.id, f"stock {shown}{why}: {moved - change} → {moved}")
    mark_catalog_changed(db.session)
    db.session.commit()
    return get_any_product(product_id)


def get_any_product(product_id):
    """Any product with this id, on sale or not; NotFound otherwise."""
    product = db.session.get(Product, product_id) if is_id(product_id) else None
    if product is None:
        raise NotFound("No product with that id")
    return product
