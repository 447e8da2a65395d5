"""Product options: what a customer chooses on a product (a size, a filling, "sliced", an inscription),
checked and priced for one order line, and kept by staff. No HTTP here.

An order's lines are checked by price_lines() before anything is written (app/orders/service.py):
the unit price is the product's price plus the chosen choices' price changes (never below 0), the
line needs the longest extra notice of its choices, and adds their allergens. What was chosen is
copied onto the order line (OrderItemOption), so a later edit changes no past order.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, select

from .. import audit
from ..exceptions import Invalid, NotFound
from ..extensions import db
from ..form_values import whole_number, yes_or_no
from ..models import (
    ANY_OF,
    ONE_OF,
    OPTION_TYPES,
    TEXT,
    YES_NO,
    ChoiceAllergen,
    OptionChoice,
    ProductOption,
    is_id,
    replace_allergens,
    utcnow,
)
from ..security.text_rules import unfit_characters
from .allergens import ALLERGENS, in_order, unknown_codes
from .invalidation import mark_catalog_changed
from .service import get_any_product

ZERO = Decimal("0.00")
MAX_NAME = 60
MAX_TEXT_LENGTH = 200  # the most an inscription may be allowed (order_item_options.text)
DEFAULT_TEXT_LENGTH = 30
MAX_EXTRA_LEAD_HOURS = 24 * 30
MAX_COUNTS_AS = 100
MAX_POSITION = 1000
YES = "Yes"  # the chosen name of a yes/no option without a choice of its own
NOT_OFFERED = "this product has no options"
UNKNOWN_OPTION = "no such option on this product"
UNKNOWN_CHOICE = "no such choice for this option"
DELTA = re.compile(r"[+-]?[0-9]{1,8}(\.[0-9]{1,2})?")  # fits Numeric(10, 2)
MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})
OPTION_FIELDS = ("name", "type", "required", "max_length", "position", "active", "choices")
CHOICE_FIELDS = (
    "name",
    "price_delta",
    "default",
    "extra_lead_hours",
    "counts_as",
    "allergens",
    "may_contain",
    "position",
    "active",
)


# -- an order line's options ------------------------------------------------------------------


class RequestedLine(NamedTuple):
    """An order line as sent: its product, quantity, the options chosen ({"<option id>": value} or None),
    and where it was in the request (`index`, for the answer that says which line is wrong)."""

    product_id: int
    quantity: int
    options: dict | None = None
    index: int = 0


@dataclass(frozen=True)
class Chosen:
    """One chosen answer, as the order line keeps it (the OrderItemOption row to be)."""

    option_id: int
    option_name: str
    choice_id: int | None
    choice_name: str | None
    price_delta: Decimal = ZERO
    text: str | None = None

    def row(self):
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class PricedLine:
    """An order line as the server prices it: its product, quantity, unit price and what was chosen."""

    product_id: int
    quantity: int
    unit_price: Decimal
    chosen: tuple = ()
    extra_lead_hours: int = 0
    allergens: tuple = ()
    may_contain: tuple = ()
    # The most of the day's amount or of an oven one piece counts as (a 10″ cake: 2). Not yet taken by
    # the reservation (app/orders/capacity.py counts pieces): the plug point is documented in the architecture.
    counts_as: int = 1


@dataclass
class _Answer:
    chosen: list = field(default_factory=list)
    choices: list = field(default_factory=list)  # the OptionChoice rows chosen


def load_options(product_ids):
    """{product id: its active options (with their choices)} in one query per level, for any number of products."""
    ids = sorted(set(product_ids))
    found = {pid: [] for pid in ids}
    if not ids:
        return found
    rows = db.session.scalars(
        select(ProductOption)
        .where(ProductOption.product_id.in_(ids), ProductOption.active.is_(True))
        .order_by(ProductOption.product_id, ProductOption.position, ProductOption.id)
    )
    for option in rows:
        found[option.product_id].append(option)
    return found


def price_lines(requested, products):
    """[PricedLine] for `requested` ([RequestedLine]); `products` {id: a row with `price`}.
    Invalid naming each line (its index in the request) and option that is wrong."""
    options = load_options(line.product_id for line in requested)
    priced, problems = [], []
    for line in requested:
        answer, wrong = choose(options[line.product_id], line.options or {})
        problems.extend({"index": line.index, "product_id": line.product_id, **problem} for problem in wrong)
        priced.append(_priced(line.product_id, line.quantity, products[line.product_id].price, answer))
    if problems:
        first = problems[0]
        where = f"line {first['index'] + 1}" + (f", option {first['option_id']}" if first["option_id"] else "")
        raise Invalid(f"Some chosen options are not valid ({where}: {first['error']})", {"items": problems})
    return priced


def choose(options, sent):
    """(_Answer, [problem]) for the options `sent` ({"<option id>": value}) of a product with `options`.

    One of: a choice id (a default fills in when none is sent); any of: a list of choice ids; yes/no:
    true or false; text: a string. A problem is {"option_id", "error"}.
    """
    by_id = {str(option.id): option for option in options}
    if sent and not options:
        return _Answer(), [{"option_id": _key(key), "error": NOT_OFFERED} for key in sent]
    problems = [{"option_id": _key(key), "error": UNKNOWN_OPTION} for key in sent if key not in by_id]
    answer = _Answer()
    for option in options:
        error = _answer(option, sent.get(str(option.id)), answer)
        if error:
            problems.append({"option_id": option.id, "error": error})
    return answer, problems


def _key(key):
    """An option key as sent: its id as a number when it is one."""
    number = whole_number(key, 2**31 - 1, 1) if isinstance(key, str) and key == key.strip() else None
    return number if number is not None and str(number) == key else key


def _answer(option, value, answer):
    """Add `option`'s answer for `value` to `answer`; the problem, or None."""
    choices = {choice.id: choice for choice in option.active_choices}
    if option.type == ONE_OF:
        if value is None:
            default = next((c for c in choices.values() if c.is_default), None)
            if default is not None:
                _add(answer, option, default)
            return "required: choose one" if default is None and option.required else None
        if isinstance(value, list):
            return "choose only one" if len(value) > 1 else "send one choice id, not a list"
        if not is_id(value):
            return "must be a choice id"
        if value not in choices:
            return UNKNOWN_CHOICE
        _add(answer, option, choices[value])
        return None
    if option.type == ANY_OF:
        if value is None or value == []:
            return "required: choose at least one" if option.required else None
        if not isinstance(value, list) or not all(is_id(v) for v in value):
            return "must be a list of choice ids"
        if len(set(value)) != len(value):
            return "each choice at most once"
        if any(v not in choices for v in value):
            return UNKNOWN_CHOICE
        for choice_id in sorted(value, key=list(choices).index):
            _add(answer, option, choices[choice_id])
        return None
    if option.type == YES_NO:
        if value is None:
            return "required: true or false" if option.required else None
        if not isinstance(value, bool):
            return "must be true or false"
        if value:
            yes = next(iter(choices.values()), None)
            if yes is None:
                answer.chosen.append(Chosen(option.id, option.name, None, YES))
            else:
                _add(answer, option, yes)
        return None
    # A text, kept exactly as typed; blank counts as none.
    if value is None or (isinstance(value, str) and not value.strip()):
        return "required: write a text" if option.required else None
    if not isinstance(value, str):
        return "must be a text"
    limit = option.max_length or MAX_TEXT_LENGTH
    if len(value) > limit:
        return f"at most {limit} characters (this one has {len(value)})"
    unfit = unfit_characters(value)
    if unfit:
        return f"must not contain {unfit}"
    answer.chosen.append(Chosen(option.id, option.name, None, None, ZERO, value))
    return None


def _add(answer, option, choice):
    answer.chosen.append(Chosen(option.id, option.name, choice.id, choice.name, choice.price_delta))
    answer.choices.append(choice)


def _priced(product_id, quantity, base_price, answer):
    price = base_price + sum((chosen.price_delta for chosen in answer.chosen), ZERO)
    choices = answer.choices
    allergens = in_order(code for choice in choices for code in choice.allergens)
    return PricedLine(
        product_id=product_id,
        quantity=quantity,
        unit_price=max(ZERO, price),
        chosen=tuple(answer.chosen),
        extra_lead_hours=max([0, *(choice.extra_lead_hours for choice in choices)]),
        allergens=tuple(allergens),
        may_contain=tuple(
            code for code in in_order(c for choice in choices for c in choice.may_contain) if code not in allergens
        ),
        counts_as=max([1, *(choice.counts_as for choice in choices)]),
    )


def extra_lead_hours(priced):
    """{product id: the longest extra notice any of its lines needs}."""
    longest = {}
    for line in priced:
        longest[line.product_id] = max(longest.get(line.product_id, 0), line.extra_lead_hours)
    return longest


# -- staff keeping a product's options ----------------------------------------------------------


def product_options(product_id):
    """The product (any, on sale or not) whose options staff see, switched off ones too; NotFound otherwise."""
    return get_any_product(product_id)


def get_option(product_id, option_id):
    """The option `option_id` of product `product_id`; NotFound otherwise."""
    option = db.session.get(ProductOption, option_id) if is_id(option_id) else None
    if option is None or option.product_id != product_id:
        raise NotFound("No option with that id on this product")
    return option


def get_choice(option, choice_id):
    """The choice `choice_id` of `option`; NotFound otherwise."""
    choice = db.session.get(OptionChoice, choice_id) if is_id(choice_id) else None
    if choice is None or choice.option_id != option.id:
        raise NotFound("No choice with that id for this option")
    return choice


def create_option(product_id, submitted, actor=None):
    """Add an option (JSON may bring its choices along, as a list of choice objects); Invalid with the field."""
    product = product_options(product_id)
    values, errors = _option_values(submitted, None, product)
    nested = submitted.get("choices", []) if not hasattr(submitted, "getlist") else []
    if not isinstance(nested, list) or not all(isinstance(item, dict) for item in nested):
        errors["choices"] = "a list of choice objects"
        nested = []
    option = ProductOption(product_id=product.id, **values)
    if "position" not in values:
        option.position = 1 + max([-1, *(o.position for o in product.option_rows)])
    for index, item in enumerate(nested):
        unknown = sorted(set(item) - set(CHOICE_FIELDS))
        if unknown:
            errors[f"choices[{index}].{unknown[0]}"] = "unknown field"
            continue
        choice_values, choice_errors = _choice_values(item, None)
        errors.update({f"choices[{index}].{name}": problem for name, problem in choice_errors.items()})
        if not choice_errors:
            option.choices.append(_new_choice(choice_values, position=index))
    errors.update(_shape_problems(option))
    if errors:
        raise Invalid("Please check the option", errors)
    product.option_rows.append(option)
    db.session.flush()
    _changed(product, actor, f"option {option.id} {option.name} added ({option.type})")
    return option


def edit_option(product_id, option_id, submitted, actor=None):
    """Change an option's name, required, max length, position or on/off; its type stays. Invalid with the field."""
    option = get_option(product_id, option_id)
    before = audit.snapshot(option, ("name", "required", "max_length", "position", "active"))
    values, errors = _option_values(submitted, option, option.product)
    if "choices" in submitted:
        errors["choices"] = "add or change choices one by one (…/choices)"
    if errors:
        db.session.rollback()
        raise Invalid("Please check the option", errors)
    for name, value in values.items():
        setattr(option, name, value)
    _changed(
        option.product, actor, f"option {option.id}: {audit.describe_changes(before, audit.snapshot(option, before))}"
    )
    return option


def add_choice(product_id, option_id, submitted, actor=None):
    """Add a choice to an option (not to a text; one at most to a yes/no). Invalid with the field."""
    option = get_option(product_id, option_id)
    values, errors = _choice_values(submitted, None)
    if errors:
        raise Invalid("Please check the choice", errors)
    if "position" not in values:
        values["position"] = 1 + max([-1, *(c.position for c in option.choices)])
    choice = _new_choice(values)
    option.choices.append(choice)
    _one_default(option, choice)
    problems = _shape_problems(option)
    if problems:
        db.session.rollback()
        raise Invalid("Please check the choice", problems)
    db.session.flush()
    _changed(option.product, actor, f"option {option.id}: choice {choice.id} {choice.name} added")
    return choice


def edit_choice(product_id, option_id, choice_id, submitted, actor=None):
    """Change a choice (switched off, it is no longer offered; past orders keep their copy). Invalid with the field."""
    option = get_option(product_id, option_id)
    choice = get_choice(option, choice_id)
    fields = ("name", "price_delta", "is_default", "extra_lead_hours", "counts_as", "position", "active")
    before = {**audit.snapshot(choice, fields), "allergens": choice.allergens, "may contain": choice.may_contain}
    values, errors = _choice_values(submitted, choice)
    if errors:
        raise Invalid("Please check the choice", errors)
    contains, traces = values.pop("allergens", choice.allergens), values.pop("may_contain", choice.may_contain)
    for name, value in values.items():
        setattr(choice, name, value)
    _set_allergens(choice, contains, traces)
    _one_default(option, choice)
    problems = _shape_problems(option)
    if problems:
        db.session.rollback()
        raise Invalid("Please check the choice", problems)
    after = {**audit.snapshot(choice, fields), "allergens": choice.allergens, "may contain": choice.may_contain}
    _changed(option.product, actor, f"option {option.id}: choice {choice.id}: {audit.describe_changes(before, after)}")
    return choice


def option_json(option):
    """An option as staff see it: every choice, switched off ones too, with what the shop does not show."""
    return {
        "id": option.id,
        "name": option.name,
        "type": option.type,
        "required": option.required,
        "max_length": option.max_length,
        "position": option.position,
        "active": option.active,
        "choices": [choice_json(choice) for choice in option.choices],
    }


def choice_json(choice):
    return {
        "id": choice.id,
        "name": choice.name,
        "price_delta": choice.price_delta,
        "default": choice.is_default,
        "extra_lead_hours": choice.extra_lead_hours,
        "counts_as": choice.counts_as,
        "allergens": choice.allergens,
        "may_contain": choice.may_contain,
        "position": choice.position,
        "active": choice.active,
    }


def _changed(product, actor, detail):
    """Commit a change of `product`'s options: audited, and the catalogue (here and in other processes) told."""
    product.updated_at = utcnow()  # the catalogue's stamp (app/catalog/service.py) for other processes
    if actor is not None:
        audit.record(actor, "product.options", "product", product.id, detail)
    mark_catalog_changed(db.session)
    db.session.commit()


def _option_values(submitted, option, product):
    """({column: value}, {field: problem}) for the option fields sent; a new option needs a name and a type."""
    values, errors = {}, {}
    if option is None or "name" in submitted:
        _name(submitted, values, errors)
    if "name" in values and _name_taken(product, values["name"], option):
        errors["name"] = f"This product has an option called “{values['name']}” already."
    if option is None:
        kind = _text(submitted.get("type"))
        if kind not in OPTION_TYPES:
            errors["type"] = "one of: " + ", ".join(OPTION_TYPES)
        else:
            values["type"] = kind
    elif "type" in submitted and _text(submitted.get("type")) != option.type:
        errors["type"] = "an option's type cannot change: switch it off and add another"
    kind = values.get("type") or (option.type if option else None)
    _flags(submitted, {"required": "required", "active": "active"}, values, errors)
    if "max_length" in submitted or (option is None and kind == TEXT):
        limit = whole_number(_text(submitted.get("max_length", DEFAULT_TEXT_LENGTH)), MAX_TEXT_LENGTH, 1)
        if kind != TEXT:
            errors["max_length"] = "only a text option has a length"
        elif limit is None:
            errors["max_length"] = f"a whole number from 1 to {MAX_TEXT_LENGTH}"
        else:
            values["max_length"] = limit
    _position(submitted, values, errors)
    return values, errors


def _choice_values(submitted, choice):
    values, errors = {}, {}
    if choice is None or "name" in submitted:
        _name(submitted, values, errors)
    if "price_delta" in submitted:
        raw = submitted.get("price_delta")
        text = "" if isinstance(raw, bool) else _text(raw).strip().replace(",", ".").translate(MINUS_SIGNS)
        if not DELTA.fullmatch(text):
            errors["price_delta"] = "a price change like 8.00, 0 or -2.50"
        else:
            values["price_delta"] = Decimal(text).quantize(Decimal("0.01"))
    _flags(submitted, {"default": "is_default", "active": "active"}, values, errors)
    for name, most, least in (("extra_lead_hours", MAX_EXTRA_LEAD_HOURS, 0), ("counts_as", MAX_COUNTS_AS, 1)):
        if name in submitted:
            number = whole_number(_text(submitted.get(name)), most, least)
            if number is None:
                errors[name] = f"a whole number from {least} to {most}"
            else:
                values[name] = number
    for name in ("allergens", "may_contain"):
        if name in submitted:
            codes = _codes(submitted, name)
            unknown = unknown_codes(codes)
            if unknown:
                errors[name] = f"unknown allergen code {unknown[0][:20]!r}; known: {', '.join(ALLERGENS)}"
            else:
                values[name] = in_order(codes)
    _position(submitted, values, errors)
    return values, errors


def _new_choice(values, position=None):
    values = dict(values)
    contains, traces = values.pop("allergens", []), values.pop("may_contain", [])
    choice = OptionChoice(**{"price_delta": ZERO, "position": position or 0, **values})
    _set_allergens(choice, contains, traces)
    return choice


def _set_allergens(choice, contains, traces):
    replace_allergens(choice.allergen_rows, contains, traces, ChoiceAllergen)


def _shape_problems(option):
    """What an option's type forbids of its choices: a text has none, a yes/no one at most (what "yes" adds)."""
    active = [choice for choice in option.choices if choice.active is not False]
    if option.type == TEXT and option.choices:
        return {"choices": "a text option has no choices"}
    if option.type == YES_NO and len(active) > 1:
        return {"choices": 'a yes/no option has one choice at most: what "yes" adds'}
    if option.type == ONE_OF and sum(1 for c in active if c.is_default) > 1:
        return {"default": "a one-of option has one default at most"}
    return {}


def _one_default(option, choice):
    """A one-of option's new default replaces the old one."""
    if option.type == ONE_OF and choice.is_default:
        for other in option.choices:
            if other is not choice:
                other.is_default = False


def _name(submitted, values, errors):
    name = _text(submitted.get("name")).strip()
    if not name or len(name) > MAX_NAME or unfit_characters(name):
        errors["name"] = f"a name of at most {MAX_NAME} characters, printable ones only"
    else:
        values["name"] = name


def _position(submitted, values, errors):
    if "position" in submitted:
        position = whole_number(_text(submitted.get("position")), MAX_POSITION)
        if position is None:
            errors["position"] = f"a whole number from 0 to {MAX_POSITION}"
        else:
            values["position"] = position


def _flags(submitted, columns, values, errors):
    """The yes/no fields sent ({field: column}) into `values`, or a problem into `errors`."""
    for name, column in columns.items():
        if name in submitted:
            flag = _flag(submitted, name)
            if flag is None:
                errors[name] = "yes or no (true or false)"
            else:
                values[column] = flag


def _flag(submitted, name):
    values = submitted.getlist(name) if hasattr(submitted, "getlist") else [submitted.get(name)]
    value = values[-1] if values else None  # a hidden "0" before a checkbox: the last one counts
    return value if isinstance(value, bool) else yes_or_no(_text(value)) if isinstance(value, str) else None


def _codes(submitted, name):
    values = submitted.getlist(name) if hasattr(submitted, "getlist") else submitted.get(name)
    values = values if isinstance(values, list) else [values]
    codes = []
    for value in values:
        for code in _text(value).split(","):
            code = code.strip().lower()
            if code and code not in codes:
                codes.append(code)
    return codes


def _text(value):
    """A form's text or a JSON scalar as text ("" for anything else)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) else ""


def _name_taken(product, name, option=None):
    """Whether another option of `product` has this name (any case)."""
    query = select(ProductOption.id).where(
        ProductOption.product_id == product.id, func.lower(ProductOption.name) == name.lower()
    )
    if option is not None:
        query = query.where(ProductOption.id != option.id)
    return db.session.scalar(query.limit(1)) is not None
