"""Changing products: the staff form (create, edit, retire), the products table's row and stock
adjustments, and the CLI's product-update. No HTTP here.

Every rule is checked here, for the staff pages, API callers and the CLI alike, and each field
has one parse rule (price, stock, on sale), whichever form sends it; a refusal is one Invalid
whose details say, by field, what to change. Nothing is guessed: a vegan product that is not
ticked vegetarian, or an allergen ticked as both "contains" and "may contain", is sent back
rather than silently corrected.
"""

import json
import logging
import re
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..bakery_calendar.formatting import day_name, weekday_name
from ..bakery_calendar.service import weekly_hours
from ..exceptions import Conflict, Invalid, NotFound, Stale
from ..extensions import db
from ..form_values import iso_date, truthy, whole_number
from ..models import BAKED, PRODUCT_KINDS, Category, Product, Resource, is_id, utcnow
from ..security.text_rules import unfit_characters
from . import daily, resources
from .allergens import ALLERGENS, DIETARY, NOT_VEGAN, in_order
from .daily import WEEKDAYS
from .invalidation import mark_catalog_changed
from .pictures import sources, store_picture
from .service import get_any_product

LOGGER = logging.getLogger(__name__)
MAX_NAME = 120
MAX_DESCRIPTION = 1000
CHECK_FIELDS = "Please check the highlighted fields."
MAX_LEAD_HOURS = 24 * 30
MAX_LEAD_DAYS = 30  # the products table's CHECK says so too
MAX_STOCK = 100_000
MAX_REASON = 100
DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PRICE = re.compile(r"[0-9]{1,8}(\.[0-9]{1,2})?")  # fits Numeric(10, 2); ASCII digits only ("٣" is not one)
PRICE_RULE = "A price like 3.50: zero or more, at most two decimals."
STOCK_RULE = f"A whole number from 0 to {MAX_STOCK}."
CHANGE_RULE = f"A whole number to add (12 or +12) or take away (-3), from -{MAX_STOCK} to {MAX_STOCK}, not 0."
SIGNED = re.compile(r"([+-]?)([0-9]{1,12})")
MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # what phones and word processors type for "−"
# What update_product can change (the products table's row sends price, stock and active; the CLI any).
EDITABLE_FIELDS = {"name", "description", "price", "image", "stock", "active"}
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


# A baked product's amount for each weekday, Monday (amount_0) to Sunday (amount_6).
AMOUNT_FIELDS = tuple(f"amount_{weekday}" for weekday in WEEKDAYS)
AMOUNT_RULE = f"A whole number from 0 to {MAX_STOCK}; empty: none baked that day."
KIND_RULE = "Choose baked daily or stocked."
# What a batch uses: the form sends each resource's id (use_resource) with how much (use_per_batch), in pairs.
TO_ORDER_NEEDS_A_RESOURCE = (
    "A product made to order needs a resource its batches use (an oven’s trays), "
    "so the shop knows how many it can take: fill one in below."
)
UNKNOWN_RESOURCE = "Not one of the resources: reload the page and try again."

# What the product form sends (its picture comes as an upload; `version` and `original` are what it
# was loaded with, app/staff/conflicts.py); a JSON caller's other members are refused.
PRODUCT_FIELDS = (
    "name",
    "description",
    "category",
    "price",
    "stock",
    "kind",
    *AMOUNT_FIELDS,
    "to_order",
    "batch_size",
    "use_resource",
    "use_per_batch",
    "lead_hours",
    "lead_days",
    "active",
    "allergens",
    "may_contain",
    "dietary",
    "picture_url",
    "version",
    "original",
)


def parse_price(text):
    """A price as typed by staff ("3.5", "3,50") as Decimal; ValueError(PRICE_RULE) otherwise."""
    price = str(text or "").strip().replace(",", ".")
    if not PRICE.fullmatch(price):
        raise ValueError(PRICE_RULE)
    return Decimal(price).quantize(Decimal("0.01"))


# Each field as a form or a JSON object sends it, one rule each, for the product form and the row alike.


def price_sent(submitted):
    """The `price` sent (a form's text or a JSON number) as Decimal; ValueError(PRICE_RULE) otherwise."""
    value = submitted.get("price")
    return parse_price("" if isinstance(value, bool) else _text(submitted, "price"))  # a JSON true is no price


def stock_sent(submitted):
    """The `stock` sent (a form's text or a JSON number) as an int; ValueError(STOCK_RULE) otherwise."""
    value = submitted.get("stock")
    stock = None if isinstance(value, bool) else whole_number(_text(submitted, "stock"), MAX_STOCK)
    if stock is None:
        raise ValueError(STOCK_RULE)
    return stock


def on_sale_sent(submitted):
    """Whether `active` says on sale; the last value sent counts, so a hidden "0" before the checkbox is "unticked"."""
    return truthy(_last(submitted, "active"))


# What the products table's row sends; a field left out is left as it is.
ROW_RULES = {"price": price_sent, "stock": stock_sent, "active": on_sale_sent}


def parse_changes(submitted):
    """(changes for update_product, errors by field) from the products table's row: a field left out is unchanged."""
    changes, errors = {}, {}
    for field, rule in ROW_RULES.items():
        if field in submitted:
            try:
                changes[field] = rule(submitted)
            except ValueError as refused:
                errors[field] = str(refused)
    return changes, errors


def stock_shown(submitted):
    """The stock the form showed when it was loaded (in its `original`), or None."""
    return whole_number(_text(original_values(submitted), "stock"), MAX_STOCK)


def create_product(submitted, picture=None, upload_folder=None, actor=None):
    """A new product from the submitted fields (a form or a JSON object); Invalid with details otherwise.

    `actor` (the staff user) gets an audit entry written with the product.
    """
    product = Product(active=True, image="")
    _apply(product, submitted, picture, upload_folder)
    db.session.add(product)
    created = (lambda: audit.record(actor, "product.create", "product", product.id, product.name)) if actor else None
    _commit(product, created)
    LOGGER.info("product created product_id=%s name=%s", product.id, product.name)
    return product


def edit_product(product_id, submitted, picture=None, upload_folder=None, actor=None, version=ANY_VERSION):
    """Replace a product's fields with the submitted ones; the picture stays unless a new one comes.

    `version` is the one the form was made from (Stale if the product has moved on). A field
    equal to what the product has is not written; the stock, which orders move, is compared
    with `stock_was` in the submitted `original` (the stock the form showed) and replaced only
    if it is still that. `actor` (the staff user) gets an audit entry of what changed.
    """
    product = get_any_product(product_id)
    before = audited_fields(product)
    stock = _apply(product, submitted, picture, upload_folder, editing=True)
    # A picture stored with a stale form is offered again with the current values.
    picture_kept = product.image if picture or _text(submitted, "picture_url") else None
    stock_was = stock_shown(submitted)
    stock_was = before["stock"] if stock_was is None else stock_was
    after = {**audited_fields(product), "stock": stock_was if stock is None else stock}
    changed = audit.describe_changes({**before, "stock": stock_was}, after)
    try:
        if version is not ANY_VERSION and version != product.version:
            db.session.rollback()
            raise Stale(STALE_PRODUCT, get_any_product(product_id))
        if not changed:
            db.session.rollback()
            return product
        with db.session.no_autoflush:  # the claim first; the other fields are flushed by _commit
            claim_version(product, version, {"stock": (stock_was, stock)} if after["stock"] != stock_was else None)
    except Stale as refused:
        refused.stored_picture = picture_kept
        raise
    if actor is not None:
        audit.record(actor, "product.update", "product", product.id, changed)
    _commit(product)
    LOGGER.info("product edited product_id=%s", product.id)
    return product


def original_values(submitted):
    """The values the form showed when it was loaded (its hidden `original`, JSON), or {}."""
    original = submitted.get("original") if hasattr(submitted, "get") else None
    if isinstance(original, str):
        try:
            original = json.loads(original)
        except ValueError:
            return {}
    return original if isinstance(original, dict) else {}


def retire_product(product_id, actor=None):
    """Take a product off the shop for good; its past orders keep their own name and price."""
    product = get_any_product(product_id)
    if actor is not None and product.active:
        audit.record(actor, "product.retire", "product", product.id, "on sale yes → no")
    product.active = False
    # In SQL, not read-modify-write: an open form that still shows it on sale must not put it back.
    product.version = Product.version + 1
    db.session.commit()
    LOGGER.info("product retired product_id=%s", product.id)
    return product


def audited_fields(product):
    """What the audit log compares before and after an edit, as people read it."""
    category = db.session.get(Category, product.category_id) if product.category_id else None
    return {
        "name": product.name,
        "description": product.description,
        "category": category.name if category else None,
        "price": product.price,
        "stock": product.stock,
        "on_sale": product.active,
        "picture": Path(product.image).name if product.image else None,
        "kind": product.kind,
        "baked": ", ".join(f"{DAY_ABBREVIATIONS[d]} {n}" for d, n in sorted(product.weekday_amounts.items())) or None,
        "made_to_order": product.to_order,
        "batch_size": product.batch_size,
        "uses": ", ".join(f"{db.session.get(Resource, rid).name} {n}" for rid, n in product.per_batch.items()) or None,
        "lead_hours": product.lead_hours,
        "lead_days": product.lead_days,
        "allergens": product.allergens,
        "may_contain": product.may_contain,
        "vegan": product.vegan,
        "vegetarian": product.vegetarian,
    }


def _apply(product, submitted, picture, upload_folder, editing=False):
    """Check every field, then change `product` only if all are fine (else Invalid, product untouched).

    Editing, the stock is not set but returned (None when not sent): the caller writes it
    only if it is still what the form showed.
    """
    values, errors = parse_product(submitted, product)
    if picture:
        try:
            values["image"] = store_picture(picture, upload_folder, current_app.config["PICTURE_MAX_PIXELS"])
        except Invalid as refused:
            errors.update(refused.details or {"picture": refused.message})
    elif _text(submitted, "picture_url"):
        # A picture stored on an earlier try of this form that failed on another field:
        # only one of our own stored names is accepted, never any URL.
        url = _text(submitted, "picture_url")
        if sources(url) and (Path(upload_folder) / url.removeprefix("/uploads/")).is_file():
            values["image"] = url
    if errors:
        refused = Invalid(CHECK_FIELDS, errors)
        # The picture is stored already: the form can offer it again instead of asking for a new upload.
        refused.stored_picture = values.get("image")
        raise refused
    contains, may_contain = values.pop("allergens"), values.pop("may_contain")
    dietary = values.pop("dietary")
    amounts = values.pop("weekday_amounts", None)
    if amounts is not None:
        product.set_weekday_amounts(amounts)
    uses = values.pop("resource_uses", None)
    if uses is not None:
        product.set_resource_uses(uses)
    stock = values.pop("stock", None) if editing else None
    for field, value in values.items():
        setattr(product, field, value)
    product.vegan, product.vegetarian = "vegan" in dietary, "vegetarian" in dietary
    product.set_allergens(contains, may_contain)
    return stock


def parse_product(submitted, product=None):
    """(values, errors by field) from a product form or JSON object; `product` is the one edited, if any."""
    values, errors = {}, {}
    name = _text(submitted, "name").strip()
    if not name:
        errors["name"] = "Give the product a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"A name can be at most {MAX_NAME} characters ({len(name)} now)."
    elif unfit := unfit_characters(name):
        errors["name"] = f"A name can't contain {unfit}."
    elif _name_taken(name, product):
        errors["name"] = f"There is already a product called “{name}”."
    else:
        values["name"] = name

    description = _text(submitted, "description").replace("\r\n", "\n").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"A description can be at most {MAX_DESCRIPTION} characters ({len(description)} now)."
    elif unfit := unfit_characters(description, line_breaks=True):
        errors["description"] = f"A description can't contain {unfit}."
    else:
        values["description"] = description

    category = _category(_text(submitted, "category").strip())
    if category is None:
        errors["category"] = "Choose a category."
    else:
        values["category"] = category

    try:
        values["price"] = price_sent(submitted)
    except ValueError as refused:
        errors["price"] = str(refused)

    if product is None or product.id is None or _has(submitted, "stock"):  # an edit may leave the stock out
        try:
            values["stock"] = stock_sent(submitted)
        except ValueError as refused:
            errors["stock"] = str(refused)

    _parse_kind(submitted, product, values, errors)

    # Optional: empty means none; left out (a JSON caller) keeps what the product has.
    for field, maximum, rule in (
        ("lead_hours", MAX_LEAD_HOURS, "Hours of notice, counted in opening hours; empty for none."),
        ("lead_days", MAX_LEAD_DAYS, "Days of notice before the pickup day; empty for none."),
    ):
        if not _has(submitted, field):
            continue
        text = _text(submitted, field).strip()
        if not text:
            values[field] = None
        elif isinstance(submitted.get(field), bool) or (number := whole_number(text, maximum)) is None:
            errors[field] = f"A whole number from 0 to {maximum}. {rule}"
        else:
            values[field] = number

    if _has(submitted, "active"):
        values["active"] = on_sale_sent(submitted)

    contains, may_contain, dietary = (_codes(submitted, field) for field in ("allergens", "may_contain", "dietary"))
    for field, codes, known in (
        ("allergens", contains, ALLERGENS),
        ("may_contain", may_contain, ALLERGENS),
        ("dietary", dietary, DIETARY),
    ):
        unknown = [code for code in codes if code not in known]
        if unknown:
            errors[field] = "Not one of the choices: " + ", ".join(repr(code)[:40] for code in unknown[:5])
    if "allergens" not in errors and "may_contain" not in errors:
        both = in_order(set(contains) & set(may_contain))
        if both:
            errors["may_contain"] = (
                f"{_words(both)} {'is' if len(both) == 1 else 'are'} ticked as both “contains” "
                "and “may contain”: choose one."
            )
    if "dietary" not in errors and "vegan" in dietary:
        animal = [code for code in in_order(contains) if code in NOT_VEGAN]
        if "vegetarian" not in dietary:
            errors["dietary"] = "A vegan product is vegetarian too: tick both, or untick vegan."
        elif animal:
            errors["dietary"] = f"A vegan product can't contain {_words(animal).lower()}: untick vegan or the allergen."
    values.update(allergens=in_order(contains), may_contain=in_order(may_contain), dietary=dietary)
    return values, errors


def _parse_kind(submitted, product, values, errors):
    """The kind sent and, for a baked product, its weekday amounts (the other kind's fields are ignored).

    A new product without a kind is stocked; an edit (a JSON caller) that leaves it out keeps it.
    """
    if not _has(submitted, "kind"):
        if product is None or product.id is None:
            values["kind"] = "stocked"
        return
    kind = _text(submitted, "kind").strip()
    if kind not in PRODUCT_KINDS:
        errors["kind"] = KIND_RULE
        return
    values["kind"] = kind
    if kind != BAKED:
        values["to_order"] = False
        return
    _parse_batches(submitted, product, values, errors)
    amounts = {}
    for weekday, field in zip(WEEKDAYS, AMOUNT_FIELDS, strict=True):
        text = _text(submitted, field).strip()
        if not text:
            continue
        amount = whole_number(text, MAX_STOCK)
        if amount is None:
            errors[field] = AMOUNT_RULE
        else:
            amounts[weekday] = amount
    values["weekday_amounts"] = amounts


def _parse_batches(submitted, product, values, errors):
    """A baked product's batch size, whether it is made to order and what a batch uses (left out: kept)."""
    if _has(submitted, "batch_size"):
        text = _last(submitted, "batch_size").strip()
        size = whole_number(text, resources.MAX_BATCH_SIZE, 1) if text else None
        if text and size is None:
            errors["batch_size"] = resources.BATCH_SIZE_RULE
        else:
            values["batch_size"] = size
    uses = None
    if _has(submitted, "use_resource"):
        ids, amounts = _values(submitted, "use_resource"), _values(submitted, "use_per_batch")
        known = {str(r.id): r.id for r in resources.all_resources()}
        uses = {}
        for raw_id, raw_amount in zip_longest(ids, amounts, fillvalue=""):
            text = _as_text(raw_amount).strip()
            if not text:
                continue
            resource_id = known.get(_as_text(raw_id).strip())
            per_batch = whole_number(text, resources.MAX_PER_BATCH, 1)
            if resource_id is None:
                errors["use_resource"] = UNKNOWN_RESOURCE
            elif per_batch is None:
                errors[f"use_per_batch_{resource_id}"] = resources.PER_BATCH_RULE
            else:
                uses[resource_id] = per_batch
        values["resource_uses"] = uses
    if _has(submitted, "to_order"):
        values["to_order"] = truthy(_last(submitted, "to_order"))
    made_to_order = values.get("to_order", bool(product and product.to_order))
    kept = uses if uses is not None else ({u.resource_id for u in product.resource_uses} if product else set())
    if made_to_order and not kept and not any(key.startswith("use_") for key in errors):
        errors["to_order"] = TO_ORDER_NEEDS_A_RESOURCE


# The products table's row and the CLI: a few fields at once.


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


def set_daily_amounts(product_id, every_opening_day=None, on_days=(), stocked=False):
    """The CLI's amounts: `every_opening_day` baked on each weekday the bakery opens (and none on the others),
    `on_days` ((date, amount) pairs) for single dates; or, `stocked`, counted by its stock again. Commits.

    A date's amount needs a baked product: Invalid for a stocked one (give it a weekday amount first).
    """
    product = get_any_product(product_id)
    if stocked:
        daily.make_stocked(product)
    if every_opening_day is not None:
        open_weekdays = [day for day, hours in enumerate(weekly_hours()) if hours]
        daily.set_weekday_amounts(product, dict.fromkeys(open_weekdays, every_opening_day))
    if on_days and product.kind != BAKED:
        db.session.rollback()
        raise Invalid(f"{product.name} is stocked: give it an amount for every day with --daily first.")
    for day, amount in on_days:
        daily.set_day_amount(product, day, amount)
    db.session.commit()
    return product


# Dates that differ from the week (Christmas Eve, a day closed for inventory): the staff page and its JSON.
# They leave the product's version alone: an open edit of its other fields stays good.

DAY_AMOUNT_FIELDS = ("day", "amount")
DAY_RULE = "A date like 2026-12-24."
PAST_DAY = "That date is past: choose today or a later one."
DAY_AMOUNT_RULE = f"A whole number from 0 to {MAX_STOCK}; 0: none baked that date."


def set_date_amount(product_id, submitted, actor=None):
    """Bake the `amount` submitted on the `day` submitted instead of its weekday's amount (a date that
    has one already gets the new one); commits and returns the DayAmount.

    Conflict for a stocked product; Invalid, by field, for a date that is not one, past or more
    than DAY_AMOUNT_HORIZON ahead, or an amount that is not 0 to MAX_STOCK.
    """
    product = _baked(get_any_product(product_id))
    day, amount = parse_date_amount(submitted, *daily.day_amount_range())
    before = daily.set_day_amount(product, day, amount)
    usual = product.weekday_amounts.get(day.weekday(), 0)
    if actor is not None:
        if before is None:
            detail = f"{day.isoformat()} baked {amount} instead of {weekday_name(day.weekday())}'s {usual}"
        else:
            detail = f"{day.isoformat()} baked {before} → {amount}"
        audit.record(actor, "product.day_amount.set", "product", product.id, detail)
    db.session.commit()
    LOGGER.info("day amount set product_id=%s day=%s amount=%d", product.id, day.isoformat(), amount)
    return daily.DayAmount(day, amount, usual)


def remove_date_amount(product_id, day, actor=None):
    """Bake the weekday's amount again on `day`: its own amount is deleted; commits and returns what it was.

    Conflict for a stocked product, Invalid for a past date (it stays as it was baked),
    NotFound when `day` has no amount of its own.
    """
    product = _baked(get_any_product(product_id))
    if day < daily.day_amount_range()[0]:
        raise Invalid(PAST_DAY, {"day": PAST_DAY})
    before = daily.remove_day_amount(product, day)
    if before is None:
        db.session.rollback()
        raise NotFound(f"{product.name} has no amount of its own on {day_name(day)}.")
    usual = product.weekday_amounts.get(day.weekday(), 0)
    if actor is not None:
        detail = f"{day.isoformat()} baked {before} → {weekday_name(day.weekday())}'s {usual}"
        audit.record(actor, "product.day_amount.remove", "product", product.id, detail)
    db.session.commit()
    LOGGER.info("day amount removed product_id=%s day=%s", product.id, day.isoformat())
    return daily.DayAmount(day, before, usual)


def parse_date_amount(submitted, first, last):
    """(date, amount) from a form or JSON object; Invalid with a message by field otherwise.

    The date from `first` (today) to `last`; the amount 0 (none baked that date) to MAX_STOCK,
    as for the weekdays.
    """
    errors = {}
    day = iso_date(_text(submitted, "day"))
    if day is None:
        errors["day"] = DAY_RULE
    elif day < first:
        errors["day"] = PAST_DAY
    elif day > last:
        errors["day"] = f"Choose a date within a year: {day_name(last)} {last.year} at the latest."
    value = submitted.get("amount")
    amount = None if isinstance(value, bool) else whole_number(_text(submitted, "amount"), MAX_STOCK)
    if amount is None:
        errors["amount"] = DAY_AMOUNT_RULE
    if errors:
        raise Invalid(CHECK_FIELDS, errors)
    return day, amount


def _baked(product):
    """`product` if it is baked daily; Conflict otherwise: a stocked product has no amount for a date."""
    if product.kind != BAKED:
        raise Conflict(
            f"{product.name} is stocked: only a product baked daily has amounts for single dates. "
            "Make it baked daily (Kind) first."
        )
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


# Stock adjustments: a delta, not a value.


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


def _commit(product, audit_entry=None):
    """Commit; a name taken between our check and the insert is the same field message.

    `audit_entry` is called once the product has its id (after a flush), to add its audit entry.
    """
    try:
        if audit_entry:
            db.session.flush()
            audit_entry()
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        text = str(error.orig).lower()
        if "products.name" in text or "uq_products_name" in text:
            raise Invalid(CHECK_FIELDS, {"name": f"There is already a product called “{product.name}”."}) from error
        if "category" in text or "foreign key" in text:
            raise Invalid(CHECK_FIELDS, {"category": "That category no longer exists; choose another."}) from error
        raise


def _name_taken(name, product):
    query = select(Product.id).where(func.lower(Product.name) == name.lower())
    if product is not None and product.id is not None:
        query = query.where(Product.id != product.id)
    return db.session.scalar(query.limit(1)) is not None


def _category(text):
    """The category named by its id (what the form sends) or, for API callers, its name."""
    if text.isascii() and text.isdigit():
        category_id = int(text) if len(text) <= 10 else 0
        return db.session.get(Category, category_id) if is_id(category_id) else None
    if not text or unfit_characters(text):
        return None
    return db.session.scalar(select(Category).where(func.lower(Category.name) == text.lower()))


def _words(codes):
    return ", ".join(ALLERGENS[code] for code in codes)


# Reading a form (a MultiDict) and a JSON object (a dict) the same way.


def _has(submitted, field):
    return field in submitted


def _values(submitted, field):
    if hasattr(submitted, "getlist"):
        return submitted.getlist(field)
    value = submitted.get(field)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _last(submitted, field):
    values = _values(submitted, field)
    return _as_text(values[-1]) if values else ""


def _text(submitted, field):
    value = submitted.get(field, "")
    return _as_text(value)


def _as_text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)) or value is None:
        return "" if value is None else str(value)
    return value if isinstance(value, str) else ""


def _codes(submitted, field):
    """The ticked codes of a checkbox group, without repeats, in the order sent."""
    codes = []
    for value in _values(submitted, field):
        code = _as_text(value).strip()
        if code and code not in codes:
            codes.append(code)
    return codes
