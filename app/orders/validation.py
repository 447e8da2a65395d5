"""Turn an order request body into clean (product id, quantity, options) lines, or say what is wrong.

The options sent are only checked for their shape here (an object); what they name is checked
against the product's options by app/catalog/options.py, when the order is placed."""

import hashlib
import json

from ..catalog.options import RequestedLine
from ..exceptions import Invalid, Malformed
from ..models import MAX_ID, is_id
from ..web.json_fields import refuse_unknown_fields, unknown_fields
from .customer import CUSTOMER_FIELDS

ORDER_FIELDS = ("items", "customer", "pickup_at", "note")
LINE_FIELDS = ("id", "quantity", "options")
CUSTOMER_HINT = ' The name, email and phone go in "customer": {"name": "Ada", "email": "ada@example.com"}.'


def _is_int(value):
    # bool is a subclass of int in Python; `true` is not a quantity.
    return isinstance(value, int) and not isinstance(value, bool)


def json_whole_number(value):
    """A JSON number that is a whole number as an int (14.0 is 14, as JSON and JSON Schema's
    `integer` count it); anything else unchanged, for the checks to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def quantity_problem(quantity, max_quantity):
    """What is wrong with a quantity (the API's and the cart's rule), or None."""
    if not _is_int(quantity) or quantity < 1:
        return "must be a positive whole number"
    if quantity > max_quantity:
        return f"must be at most {max_quantity}"
    return None


def parse_order_items(payload, max_quantity, max_lines):
    """Return {product_id: quantity} for a valid body; raise Malformed or Invalid otherwise.

    Lines naming the same product are merged (their quantities added), then checked.
    """
    return merged_lines(parse_order_lines(payload, max_quantity, max_lines))


def merged_lines(requested):
    """{product id: quantity} of requested lines: what stock, the day's amount and the caps count."""
    merged = {}
    for line in requested:
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
    return merged


def parse_order_lines(payload, max_quantity, max_lines):
    """Return [RequestedLine] in the order sent for a valid body; raise Malformed or Invalid otherwise.

    Lines naming the same product with the same options are merged (their quantities added); with
    other options they stay two lines. A product's quantities together are checked against `max_quantity`.
    """
    if not isinstance(payload, dict):
        raise Malformed('The body must be a JSON object like {"items": [{"id": 1, "quantity": 2}]}')
    misplaced = set(payload) & set(CUSTOMER_FIELDS)
    refuse_unknown_fields(payload, ORDER_FIELDS, "an order", CUSTOMER_HINT if misplaced else "")
    items = payload.get("items")
    if not isinstance(items, list) or not items:
        raise Invalid('"items" must be a non-empty list', {"items": "required"})
    if len(items) > max_lines:
        raise Invalid(f"An order can have at most {max_lines} lines", {"items": "too many"})

    requested, merged, errors = {}, {}, {}
    for index, item in enumerate(items):
        field = f"items[{index}]"
        if not isinstance(item, dict):
            errors[field] = 'must be an object with "id" and "quantity"'
            continue
        errors.update(unknown_fields(item, LINE_FIELDS, prefix=f"{field}."))
        product_id, quantity = json_whole_number(item.get("id")), json_whole_number(item.get("quantity"))
        if not is_id(product_id):
            errors[f"{field}.id"] = f"must be a product id: a whole number from 1 to {MAX_ID}"
        problem = quantity_problem(quantity, max_quantity)
        if problem:
            errors[f"{field}.quantity"] = problem
        options = item.get("options")
        if options is not None and not isinstance(options, dict):
            errors[f"{field}.options"] = 'must be an object like {"12": 34}: option id to what is chosen'
        if not {f"{field}.id", f"{field}.quantity", f"{field}.options"} & set(errors):
            merged[product_id] = merged.get(product_id, 0) + quantity
            same = (product_id, json.dumps(options or {}, sort_keys=True))
            first = requested.get(same)
            requested[same] = (
                first._replace(quantity=first.quantity + quantity)
                if first
                else RequestedLine(product_id, quantity, options or None, index)
            )

    for product_id, quantity in merged.items():
        if quantity > max_quantity and not errors:
            errors[f"product {product_id}"] = f"total quantity must be at most {max_quantity}"
    if errors:
        raise Invalid("Some items are not valid", errors)
    return list(requested.values())


def order_size_problem(lines, max_items):
    """What is wrong with the size of an order as a whole, or None: a bakery order, not the whole shop."""
    total = sum(lines.values())
    if total > max_items:
        return f"An order can hold at most {max_items} items (this one has {total}). For more, please call the bakery."
    return None


def fingerprint(lines, customer=None, requested=None):
    """A stable hash of the whole order request (normalised lines, who collects it, the pickup
    time asked for, the note, the options chosen), to recognise a retry of the same order.

    An order without options hashes as it did before options existed, so a retry across an upgrade
    is still recognised; with options, each line's own options count (in any line order).
    """
    customer = customer or {}
    pickup = customer.get("pickup_at")
    request = {
        "lines": sorted(lines.items()),
        "customer": [customer.get(field) for field in ("name", "email", "phone", "note")],
        "pickup_at": pickup.isoformat() if pickup else None,
    }
    if any(line.options for line in requested or ()):
        request["options"] = sorted(
            json.dumps([line.product_id, line.quantity, line.options or {}], sort_keys=True) for line in requested
        )
    canonical = json.dumps(request, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
