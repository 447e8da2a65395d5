"""What a day's baking shares and has only so much of ("Deck oven: 40 trays a day"), and how full it is.

A baked product's batches use its resources: a day bakes ceil(amount / batch size) batches of it,
each using `per_batch` of every resource the product uses (ProductResourceUse). What a day bakes
of a product (to_bake) is its planned amount plus what the counter baked more or burnt, or what
orders and the counter took if that is more; a product made to order has no planned amount, so
its orders are what is baked.

So an order for a product with a day's amount never changes the load: it takes from what is
baked anyway (app/catalog/daily.py). An order for a product made to order adds batches, and is
refused when a resource it uses would be fuller than its day allows (check_order, called by
app/orders/capacity.py under a lock per resource and day). The load is always worked out from
the day ledgers and the planned amounts, never kept as a running total, so a staff edit, the
counter and a cancelled order can never make it drift. No HTTP here.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..exceptions import Invalid, NotFound
from ..extensions import db
from ..form_values import whole_number
from ..infra.statements import upsert_text
from ..models import BAKED, Product, ProductDay, ProductResourceUse, Resource, ResourceDayLock
from ..security.text_rules import unfit_characters
from .day_amounts import planned
from .invalidation import mark_catalog_changed

MAX_NAME = 60
MAX_UNIT = 30
MAX_PER_DAY = 100_000
MAX_PER_BATCH = 1_000
MAX_BATCH_SIZE = 10_000
NAME_RULE = f"Give it a name of at most {MAX_NAME} characters, like Deck oven."
UNIT_RULE = f"Say what it is counted in, at most {MAX_UNIT} characters, like trays."
PER_DAY_RULE = f"A whole number from 0 to {MAX_PER_DAY}: how many it has room for in a day."
PER_BATCH_RULE = f"A whole number from 1 to {MAX_PER_BATCH}; empty: it does not use this."
BATCH_SIZE_RULE = f"A whole number from 1 to {MAX_BATCH_SIZE}: how many one batch makes; empty: one."


def batches(amount, batch_size):
    """How many batches make `amount` (a part batch is a batch)."""
    return -(-max(0, amount) // (batch_size or 1))


def to_bake(planned, taken=0, adjusted=0, counter_sold=0):
    """What a day bakes of a product: its amount (with the counter's more or burnt), or what was taken if more."""
    return max(0, planned + adjusted, taken + counter_sold)


@dataclass(frozen=True)
class ResourceLoad:
    """A resource on one day: how much of it the day's batches use."""

    resource: Resource
    day: date
    used: int

    @property
    def left(self):
        return max(0, self.resource.per_day - self.used)

    @property
    def over(self):
        return max(0, self.used - self.resource.per_day)

    @property
    def label(self):
        return f"{self.resource.name}: {self.used} of {self.resource.per_day} {self.resource.unit}"

    def to_dict(self):
        return {
            "resource_id": self.resource.id,
            "resource": self.resource.name,
            "unit": self.resource.unit,
            "day": self.day.isoformat(),
            "used": self.used,
            "per_day": self.resource.per_day,
            "left": self.left,
            "over": self.over,
        }


@dataclass(frozen=True)
class _Baking:
    """One product's day: what it bakes and the resources its batches use."""

    product_id: int
    to_order: bool
    batch_size: int
    planned: int
    taken: int
    adjusted: int
    counter_sold: int
    uses: dict  # {resource id: per batch}

    def units(self, taken=None):
        """{resource id: how much this product's batches use}, as baked now or with `taken` instead."""
        taken = self.taken if taken is None else taken
        count = batches(to_bake(self.planned, taken, self.adjusted, self.counter_sold), self.batch_size)
        return {resource_id: count * per_batch for resource_id, per_batch in self.uses.items()}


def _bakings(day, resource_ids=None, product_ids=None):
    """[_Baking] for `day` of the baked products that use a resource (of `resource_ids`, if given)."""
    query = (
        select(ProductResourceUse.product_id, ProductResourceUse.resource_id, ProductResourceUse.per_batch)
        .join(Product, Product.id == ProductResourceUse.product_id)
        .where(Product.kind == BAKED)
    )
    if resource_ids is not None:
        query = query.where(ProductResourceUse.resource_id.in_(list(resource_ids)))
    if product_ids is not None:
        query = query.where(ProductResourceUse.product_id.in_(list(product_ids)))
    uses = defaultdict(dict)
    for product_id, resource_id, per_batch in db.session.execute(query).all():
        uses[product_id][resource_id] = per_batch
    if not uses:
        return []
    products = db.session.execute(
        select(Product.id, Product.to_order, Product.batch_size).where(Product.id.in_(list(uses)))
    ).all()
    plans = planned(list(uses), day)
    ledger = {
        row.product_id: row
        for row in db.session.execute(
            select(ProductDay.product_id, ProductDay.taken, ProductDay.adjusted, ProductDay.counter_sold).where(
                ProductDay.product_id.in_(list(uses)), ProductDay.day == day
            )
        ).all()
    }
    found = []
    for product_id, to_order, batch_size in products:
        row = ledger.get(product_id)
        found.append(
            _Baking(
                product_id=product_id,
                to_order=to_order,
                batch_size=batch_size or 1,
                planned=0 if to_order else plans.get(product_id, 0),
                taken=row.taken if row else 0,
                adjusted=row.adjusted if row else 0,
                counter_sold=row.counter_sold if row else 0,
                uses=uses[product_id],
            )
        )
    return found


def _used(bakings):
    used = defaultdict(int)
    for baking in bakings:
        for resource_id, units in baking.units().items():
            used[resource_id] += units
    return used


def all_resources():
    return db.session.scalars(select(Resource).order_by(Resource.name)).all()


def day_loads(day, resources=None):
    """[ResourceLoad] of every resource (or of `resources`) on `day`, by name."""
    resources = all_resources() if resources is None else resources
    used = _used(_bakings(day, [r.id for r in resources]))
    return [ResourceLoad(resource, day, used.get(resource.id, 0)) for resource in resources]


def room_to_order(product_ids, day):
    """{product id: how many more orders can take for `day`} for the products made to order among
    `product_ids`: what the room left in each resource it uses makes in whole batches, plus the rest
    of its last batch. One without a resource has none (it cannot be baked)."""
    wanted = set(product_ids)
    if not wanted:
        return {}
    made_to_order = db.session.scalars(
        select(Product.id).where(Product.id.in_(list(wanted)), Product.to_order.is_(True))
    ).all()
    if not made_to_order:
        return {}
    room = dict.fromkeys(made_to_order, 0)
    mine = _bakings(day, product_ids=made_to_order)
    if not mine:
        return room
    resource_ids = {resource_id for baking in mine for resource_id in baking.uses}
    resources = {r.id: r for r in db.session.scalars(select(Resource).where(Resource.id.in_(resource_ids)))}
    used = _used(_bakings(day, resource_ids))
    for baking in mine:
        now = batches(to_bake(0, baking.taken, baking.adjusted, baking.counter_sold), baking.batch_size)
        more = min((resources[r].per_day - used[r]) // per_batch for r, per_batch in baking.uses.items())
        room[baking.product_id] = max(0, (now + more) * baking.batch_size - baking.taken - baking.counter_sold)
    return room


# An order's turn: one row per resource and day, locked (made on first use) while the order checks the load.
_LOCK = upsert_text(
    "INSERT INTO resource_day_locks (resource_id, day, orders) VALUES (:resource_id, :day, 1) "
    "ON CONFLICT (resource_id, day) DO UPDATE SET orders = resource_day_locks.orders + 1",
    ResourceDayLock.__table__,
)


@dataclass(frozen=True)
class ResourceFull:
    """Why an order did not fit: the product whose batches would not fit and the resource that is full
    (None: the product uses none, so none can be made)."""

    product_id: int
    resource: Resource
    used: int


def check_order(day, quantities):
    """None if the batches an order adds for `day` fit every resource they use, else ResourceFull.

    `quantities` ({product id: how many}) are the order's products made to order, already taken
    in this transaction (their ledger rows are locked). Each resource's row for the day is locked
    in id order before the load is read, so concurrent orders check one after another and see
    each other's batches (the lock order: products, day ledgers, resources, slot).
    """
    mine = {b.product_id: b for b in _bakings(day, product_ids=quantities)}
    unbakeable = sorted(set(quantities) - set(mine))
    if unbakeable:  # made to order, but using no resource: nothing says how many can be made
        return ResourceFull(unbakeable[0], None, 0)
    added = defaultdict(int)
    for product_id, quantity in quantities.items():
        baking = mine[product_id]
        before = baking.units(baking.taken - quantity)
        for resource_id, units in baking.units().items():
            added[resource_id] += units - before[resource_id]
    grown = sorted(resource_id for resource_id, units in added.items() if units > 0)
    for resource_id in grown:
        db.session.execute(_LOCK, {"resource_id": resource_id, "day": day})
    if not grown:
        return None
    used = _used(_bakings(day, grown))
    for resource in db.session.scalars(select(Resource).where(Resource.id.in_(grown)).order_by(Resource.id)):
        if used[resource.id] > resource.per_day:
            product_id = min(pid for pid, baking in mine.items() if resource.id in baking.uses)
            return ResourceFull(product_id, resource, used[resource.id])
    return None


# Staff keep the resources (the Ovens page) and what each product's batch uses (the product form).


def parse_resource(submitted, resource=None):
    """(values, errors by field) from the resource form or a JSON object."""
    values, errors = {}, {}
    name = _text(submitted, "name")
    if not name or len(name) > MAX_NAME or unfit_characters(name):
        errors["name"] = NAME_RULE
    elif _name_taken(name, resource):
        errors["name"] = f"There is already a resource called “{name}”."
    else:
        values["name"] = name
    unit = _text(submitted, "unit")
    if not unit or len(unit) > MAX_UNIT or unfit_characters(unit):
        errors["unit"] = UNIT_RULE
    else:
        values["unit"] = unit
    per_day = whole_number(_text(submitted, "per_day"), MAX_PER_DAY)
    if per_day is None:
        errors["per_day"] = PER_DAY_RULE
    else:
        values["per_day"] = per_day
    return values, errors


def _text(submitted, field):
    value = submitted.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) else ""


def _name_taken(name, resource):
    found = db.session.scalar(select(Resource).where(Resource.name == name))
    return found is not None and found is not resource


def get_resource(resource_id):
    resource = db.session.get(Resource, resource_id) if isinstance(resource_id, int) else None
    if resource is None:
        raise NotFound("No such resource")
    return resource


def save_resource(submitted, resource_id=None, actor=None):
    """Add a resource, or change one; commit and return it. Invalid with the problems by field."""
    resource = get_resource(resource_id) if resource_id is not None else None
    values, errors = parse_resource(submitted, resource)
    if errors:
        raise Invalid("Please check the highlighted fields.", errors)
    before = None if resource is None else f"{resource.name}: {resource.per_day} {resource.unit} a day"
    if resource is None:
        resource = Resource(**values)
        db.session.add(resource)
    else:
        for field, value in values.items():
            setattr(resource, field, value)
    try:
        db.session.flush()
    except IntegrityError:  # the same name saved by someone else meanwhile
        db.session.rollback()
        message = f"There is already a resource called “{values['name']}”."
        raise Invalid(message, {"name": message}) from None
    if actor is not None:
        after = f"{resource.name}: {resource.per_day} {resource.unit} a day"
        detail = after if before is None else f"{before} → {after}"
        audit.record(actor, "resource.added" if before is None else "resource.changed", "resource", resource.id, detail)
    mark_catalog_changed(db.session)  # what products made to order have room for
    db.session.commit()
    return resource


def delete_resource(resource_id, actor=None):
    """Remove a resource and what products' batches said they use of it; commit."""
    resource = get_resource(resource_id)
    if actor is not None:
        audit.record(actor, "resource.removed", "resource", resource.id, resource.name)
    db.session.delete(resource)
    mark_catalog_changed(db.session)
    db.session.commit()


def users_of(resource_ids):
    """{resource id: [product names]} of the products whose batches use each resource."""
    rows = db.session.execute(
        select(ProductResourceUse.resource_id, Product.name)
        .join(Product, Product.id == ProductResourceUse.product_id)
        .where(ProductResourceUse.resource_id.in_(list(resource_ids)))
        .order_by(Product.name)
    ).all()
    found = defaultdict(list)
    for resource_id, name in rows:
        found[resource_id].append(name)
    return found


def uses_of(product_ids):
    """{product id: ((resource name, unit, per batch), ...)} by resource name, for the products that use one."""
    rows = db.session.execute(
        select(ProductResourceUse.product_id, Resource.name, Resource.unit, ProductResourceUse.per_batch)
        .join(Resource, Resource.id == ProductResourceUse.resource_id)
        .where(ProductResourceUse.product_id.in_(list(product_ids)))
        .order_by(Resource.name)
    ).all()
    found = defaultdict(tuple)
    for product_id, name, unit, per_batch in rows:
        found[product_id] += ((name, unit, per_batch),)
    return dict(found)


def unit_word(unit, count):
    """The unit staff typed (a plural, "trays") for `count` of it: "1 tray", "4 trays"."""
    if count == 1 and unit.endswith("s") and len(unit) > 1:
        return unit[:-1]
    return unit
