"""The tables: categories, products and their allergens and options, orders with their items, notifications, staff users
(their sessions and the audit log of what they did),
and the calendar with its capacity (opening hours, closures, slot bookings, what is baked each day)."""

import secrets
from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .bakery_calendar.formatting import local_isoformat
from .catalog.allergens import ALLERGENS, in_order
from .extensions import db

PENDING, PROCESSING, READY, COMPLETED, CANCELLED, FAILED, NO_SHOW = (
    "Pending",
    "Processing",
    "Ready",
    "Completed",
    "Cancelled",
    "Failed",
    "No-show",
)
ORDER_STATUSES = (PENDING, PROCESSING, READY, COMPLETED, CANCELLED, FAILED, NO_SHOW)
# No-show: not collected by the end of its pickup day (the bread was baked; its stock stays taken).
FINAL_STATUSES = frozenset({COMPLETED, CANCELLED, FAILED, NO_SHOW})
LOW_STOCK = 5  # at or below this, customers see "only N left"
# Baked daily: so many each day (ProductWeekdayAmount, ProductDayAmount), counted in ProductDay.
# Stocked: one counter for all time, products.stock.
BAKED, STOCKED = "baked", "stocked"
PRODUCT_KINDS = (BAKED, STOCKED)
# Ids are 32-bit INTEGER columns on PostgreSQL; SQLite cannot even bind a number past 2**63
# (a 500, where PostgreSQL finds nothing). Anything outside this range names nothing.
MAX_ID = 2**31 - 1


def is_id(value):
    """Whether `value` could be a row's id: a whole number (not a bool) from 1 to MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id():
    """An unguessable id that customers see in URLs (22 url-safe characters).

    Never starting with "-" or "_": an id like "-s3x…" would read as an option to the
    operator commands (`flask order-status <id> Ready`).
    """
    while True:
        public_id = secrets.token_urlsafe(16)
        if public_id[0].isalnum():
            return public_id


# Crockford's base32: no I, L, O or U, so a code read out at the counter is never ambiguous.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6  # 32**6 ≈ a billion codes; a collision is retried (orders.service._create_order_row)


def new_order_code():
    """A short, random order code for people: 6 characters of Crockford base32, like "7KQ2MX"."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text):
    """A code as typed (lower case, O for 0, I or L for 1, spaces, dashes) in its canonical form."""
    cleaned = str(text).upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans("OIL", "011"))


class Category(db.Model):
    """A shelf of the shop (Breads, Viennoiserie, …); the catalogue shows them by `position`."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    def to_dict(self):
        return {"id": self.id, "name": self.name, "position": self.position}


def replace_allergens(rows, contains, may_contain, row_type):
    """Make `rows` (a product's or a choice's allergen rows) say `contains` and `may_contain`, rows updated
    in place since the code is the key; a code in both is contained. Whether anything changed."""
    wanted = {**dict.fromkeys(may_contain, True), **dict.fromkeys(contains, False)}
    if {row.code: row.trace for row in rows} == wanted:
        return False
    for row in list(rows):
        if row.code not in wanted:
            rows.remove(row)
        else:
            row.trace = wanted.pop(row.code)
    for code in in_order(wanted):
        rows.append(row_type(code=code, trace=wanted[code]))
    return True


def replace_keyed_rows(rows, wanted, key, value, make):
    """Make the rows of a relationship hold `wanted` ({key: value}): rows updated in place, missing ones made
    with make(key, value), the others removed; True if anything changed."""
    have = {getattr(row, key): getattr(row, value) for row in rows}
    if have == wanted:
        return False
    for row in list(rows):
        if getattr(row, key) not in wanted:
            rows.remove(row)
        else:
            setattr(row, value, wanted[getattr(row, key)])
    for missing in sorted(set(wanted) - set(have)):
        rows.append(make(missing, wanted[missing]))
    return True


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_nonnegative"),
        CheckConstraint("price >= 0", name="price_nonnegative"),
        CheckConstraint("vegetarian OR NOT vegan", name="vegan_is_vegetarian"),
        CheckConstraint("kind IN ('baked', 'stocked')", name="kind_known"),
        CheckConstraint("lead_hours IS NULL OR lead_hours >= 0", name="lead_hours_nonnegative"),
        CheckConstraint("lead_days IS NULL OR lead_days BETWEEN 0 AND 30", name="lead_days_known"),
        CheckConstraint("batch_size IS NULL OR batch_size >= 1", name="batch_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    image: Mapped[str] = mapped_column(String(255), default="")
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Nullable only for rows made before categories existed; staff forms always ask for one.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    vegan: Mapped[bool] = mapped_column(default=False, server_default="0")
    vegetarian: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Baked daily (its amount per pickup day; `stock` unused) or stocked (`stock`); see PRODUCT_KINDS.
    kind: Mapped[str] = mapped_column(String(10), default=STOCKED, server_default=STOCKED)
    # Hours of notice it needs, counted in opening hours (a whole cake: 48); NULL: the shop's lead time.
    lead_hours: Mapped[int | None]
    # Days of notice, in calendar days: ordered on day D − lead_days or earlier for pickup on D (a
    # sourdough whose dough takes two days: 2); NULL or 0: none. Both lead times count, the later wins.
    lead_days: Mapped[int | None]
    # A baked product made to order: no amount a day, as many as its resources (the oven) have room
    # for; else what a day's amount says. Either way its batches fill the resources it uses.
    to_order: Mapped[bool] = mapped_column(default=False, server_default="0")
    # How many one batch makes (12 croissants to a tray); NULL: one.
    batch_size: Mapped[int | None]
    # Counts staff edits (claim_version in app/catalog/editing.py): a save made from an older version is refused.
    # Orders and stock adjustments move the stock without it, since they commute with any edit.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    # selectin: a list of products costs one query per relationship, not one per product.
    category: Mapped[Category | None] = relationship(lazy="selectin")
    allergen_rows: Mapped[list["ProductAllergen"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True, back_populates="product"
    )
    # Read only where shown (the staff form, the audit log): the catalogue needs none of it.
    weekday_amount_rows: Mapped[list["ProductWeekdayAmount"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    resource_uses: Mapped[list["ProductResourceUse"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, back_populates="product"
    )
    # Every option, switched off ones too (staff see them); customers get `active_options`.
    option_rows: Mapped[list["ProductOption"]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
        back_populates="product",
        order_by="(ProductOption.position, ProductOption.id)",
    )

    @property
    def active_options(self):
        """The options customers choose from, in the staff's order."""
        return [option for option in self.option_rows if option.active]

    @property
    def allergens(self):
        """The allergen codes it contains, in Annex II order."""
        return in_order(row.code for row in self.allergen_rows if not row.trace)

    @property
    def may_contain(self):
        """The allergen codes it may contain as traces, in Annex II order."""
        return in_order(row.code for row in self.allergen_rows if row.trace)

    @property
    def dietary(self):
        """Its dietary labels: "vegan" then "vegetarian"."""
        return [label for label, on in (("vegan", self.vegan), ("vegetarian", self.vegetarian)) if on]

    def set_allergens(self, contains=(), may_contain=()):
        """Replace its allergens; rows are updated in place, since (product, code) is the key.

        A change touches updated_at: the catalogue's fingerprint is the products table's.
        """
        if replace_allergens(self.allergen_rows, contains, may_contain, ProductAllergen):
            self.updated_at = utcnow()

    @property
    def weekday_amounts(self):
        """{weekday (0 Monday … 6 Sunday): how many are baked}; a weekday left out: none."""
        return {row.weekday: row.amount for row in self.weekday_amount_rows}

    def set_weekday_amounts(self, amounts):
        """Replace its weekday amounts ({weekday: amount}), rows updated in place ((product, weekday) is the key)."""
        if replace_keyed_rows(self.weekday_amount_rows, amounts, "weekday", "amount", self._weekday_amount):
            self.updated_at = utcnow()

    @property
    def per_batch(self):
        """{resource id: how much of it one batch uses}."""
        return {use.resource_id: use.per_batch for use in self.resource_uses}

    def set_resource_uses(self, uses):
        """Replace what one batch uses ({resource id: per batch}), rows updated in place."""
        if replace_keyed_rows(self.resource_uses, uses, "resource_id", "per_batch", self._resource_use):
            self.updated_at = utcnow()

    @staticmethod
    def _weekday_amount(weekday, amount):
        return ProductWeekdayAmount(weekday=weekday, amount=amount)

    @staticmethod
    def _resource_use(resource_id, per_batch):
        return ProductResourceUse(resource_id=resource_id, per_batch=per_batch)

    # A baked product's amount left for the pickup day the catalogue answers for (None: not
    # worked out); set by app/catalog/daily.py's for_day(), not stored.
    day_left = None
    # That day too soon for its lead_days: the first day it can be picked up (None: not too soon); set by for_day().
    notice_from = None
    # A product one cannot order for that day (a baked one sold out, any one too soon for its days of
    # notice): the next day orders can take some (None: none in the horizon).
    next_day = None

    @property
    def baked(self):
        return self.kind == BAKED

    @property
    def left(self):
        """What can still be ordered: the stock, or for a baked product what is left of the day's amount;
        none on a day too soon for its days of notice."""
        if self.notice_from:
            return 0
        return max(0, self.day_left or 0) if self.baked else self.stock

    @property
    def available(self):
        return self.active and self.left > 0

    @property
    def only_left(self):
        """What is left when it is low enough to tell customers, else None."""
        return self.left if 0 < self.left <= LOW_STOCK else None

    def to_dict(self):
        # Exact stock stays private: it changes with every order and would defeat the cache.
        return {
            "id": self.id,
            "name": self.name,
            "price": self.price,
            "image": self.image,
            "description": self.description,
            "available": self.left if self.active else 0,
            "kind": self.kind,
            "lead_days": self.lead_days or 0,
            "only_left": self.only_left,
            "category": self.category.name if self.category else None,
            "allergens": self.allergens,
            "may_contain": self.may_contain,
            "dietary": self.dietary,
            "options": [option.to_dict() for option in self.active_options],
        }


class ProductAllergen(db.Model):
    """An allergen a product contains (`trace` false) or may contain (`trace` true): never both."""

    __tablename__ = "product_allergens"
    __table_args__ = (
        CheckConstraint("code IN (%s)" % ", ".join(f"'{code}'" for code in ALLERGENS), name="code_known"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    trace: Mapped[bool] = mapped_column(default=False)

    product: Mapped[Product] = relationship(back_populates="allergen_rows")


# What a customer chooses on a product (app/catalog/options.py): one choice of several (Size), any
# number of them (Toppings), yes or no (Sliced: its one choice, if any, says what "yes" adds), or a text
# (Inscription, up to max_length characters).
ONE_OF, ANY_OF, YES_NO, TEXT = "one", "any", "yes_no", "text"
OPTION_TYPES = (ONE_OF, ANY_OF, YES_NO, TEXT)


class ProductOption(db.Model):
    """A choice a product offers ("Size", "Inscription"); switched off (`active` false) it is no longer
    offered, while past orders keep their own copy of what was chosen (OrderItemOption)."""

    __tablename__ = "product_options"
    __table_args__ = (
        CheckConstraint("type IN (%s)" % ", ".join(f"'{t}'" for t in OPTION_TYPES), name="type_known"),
        CheckConstraint("max_length IS NULL OR max_length >= 1", name="max_length_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    type: Mapped[str] = mapped_column(String(10))
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    max_length: Mapped[int | None]  # a text's limit; NULL for the other types
    active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="option_rows")
    choices: Mapped[list["OptionChoice"]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
        back_populates="option",
        order_by="(OptionChoice.position, OptionChoice.id)",
    )

    @property
    def active_choices(self):
        return [choice for choice in self.choices if choice.active]

    def to_dict(self):
        """As customers see it: `choices` (the one "yes" choice for yes/no) and `max_length` (text) always present."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "choices": [choice.to_dict() for choice in self.active_choices] if self.type != TEXT else [],
            "max_length": self.max_length if self.type == TEXT else None,
        }


class OptionChoice(db.Model):
    """One answer to an option ("10″"): what it adds to the price (may be negative), the hours of notice
    it adds, its allergens, and how many of the day's amount or of an oven's room one piece counts as
    (`counts_as`: a 10″ cake as 2; recorded for the reservation, see docs/architecture.md)."""

    __tablename__ = "option_choices"
    __table_args__ = (
        CheckConstraint("extra_lead_hours >= 0", name="extra_lead_hours_nonnegative"),
        CheckConstraint("counts_as >= 1", name="counts_as_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("product_options.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    price_delta: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0.00"))
    is_default: Mapped[bool] = mapped_column(default=False)
    extra_lead_hours: Mapped[int] = mapped_column(default=0)
    counts_as: Mapped[int] = mapped_column(default=1, server_default="1")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    option: Mapped[ProductOption] = relationship(back_populates="choices")
    allergen_rows: Mapped[list["ChoiceAllergen"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def allergens(self):
        return in_order(row.code for row in self.allergen_rows if not row.trace)

    @property
    def may_contain(self):
        return in_order(row.code for row in self.allergen_rows if row.trace)

    def to_dict(self):
        return {
            "id": self.id,
            "name": self.name,
            "price_delta": self.price_delta,
            "allergens": self.allergens,
            "may_contain": self.may_contain,
            "default": self.is_default,
            "extra_lead_hours": self.extra_lead_hours,
        }


class ChoiceAllergen(db.Model):
    """An allergen a choice adds (a walnut topping: nuts), contained or as a trace, like ProductAllergen."""

    __tablename__ = "choice_allergens"
    __table_args__ = (
        CheckConstraint("code IN (%s)" % ", ".join(f"'{code}'" for code in ALLERGENS), name="code_known"),
    )

    choice_id: Mapped[int] = mapped_column(ForeignKey("option_choices.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    trace: Mapped[bool] = mapped_column(default=False)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_nonnegative"),
        CheckConstraint(
            "status IN (%s)" % ", ".join(f"'{s}'" for s in ORDER_STATUSES),
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    # What customers and staff say: short, unique, never in URLs (the public id is unguessable; this is not).
    code: Mapped[str] = mapped_column(String(8), unique=True, default=new_order_code)
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # As sent, or `api:<api key id>:<key>` for an API client (room for the prefix).
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    # A hash of the normalised items, to tell a retry from a different order under the same key.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str | None] = mapped_column(String(120))
    # As entered (the checkout's one field, or the API's email and phone together), for display.
    customer_contact: Mapped[str | None] = mapped_column(String(255))
    # The same split by channel: an email address gets emails; a phone number would get SMS.
    customer_email: Mapped[str | None] = mapped_column(String(255))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    # Indexed: the board, the lists and the reports find the orders of a day by it (app/orders/days.py).
    pickup_at: Mapped[datetime | None] = mapped_column(index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # The holders (" " between them) whose day and slot holds this order took; given back with the slot.
    held_by: Mapped[str | None] = mapped_column(String(700))
    # Outbox: NULL until the order has been handed to the queue.
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    processing_attempts: Mapped[int] = mapped_column(default=0)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Who cancelled ("bakery" or "customer") and the reason staff gave, if any.
    cancelled_by: Mapped[str | None] = mapped_column(String(20))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # A keyed hash of who placed it (session, API key or address: app/orders/views.py placer()),
    # so a cancel by the same client right after ordering sends the customer no email.
    placed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    notifications: Mapped[list["Notification"]] = relationship(
        back_populates="order", order_by="Notification.id", viewonly=True
    )

    @property
    def failed_notifications(self):
        """The messages to the customer that could not be delivered (staff see them on the board)."""
        return [n for n in self.notifications if n.status == NOTIFICATION_FAILED]

    @property
    def held_back_notifications(self):
        """The emails not sent because their address had its hourly cap (staff see them, to phone instead)."""
        return [n for n in self.notifications if n.held_back]

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES

    def to_dict(self):
        return {
            "order_id": self.public_id,
            "code": self.code,
            "status": self.status,
            "total": self.total,
            "created_at": self.created_at.isoformat() + "Z",
            "pickup_at": local_isoformat(self.pickup_at),
            "items": [item.to_dict() for item in self.items],
        }


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    # Snapshots: what the customer saw and paid, even if the product changes later.
    product_name: Mapped[str] = mapped_column(String(120))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    quantity: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")
    # For the allergens at handover: the recipe as it is now, not as it was (names and prices are snapshots).
    product: Mapped[Product] = relationship()
    # What the customer chose for this line, as it was then (two lines of one product can differ).
    chosen: Mapped[list["OrderItemOption"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True, order_by="OrderItemOption.id"
    )

    @property
    def line_total(self):
        return self.unit_price * self.quantity

    @property
    def allergens(self):
        """What the product and the chosen choices contain, as their recipes are now."""
        return in_order(
            [*self.product.allergens, *(code for c in self.chosen if c.choice for code in c.choice.allergens)]
        )

    @property
    def may_contain(self):
        codes = [*self.product.may_contain, *(code for c in self.chosen if c.choice for code in c.choice.may_contain)]
        return [code for code in in_order(codes) if code not in self.allergens]

    def to_dict(self):
        return {
            "id": self.product_id,
            "name": self.product_name,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "allergens": self.allergens,
            "may_contain": self.may_contain,
            "options": [chosen.to_dict() for chosen in self.chosen],
        }


class OrderItemOption(db.Model):
    """What was chosen for one order line, copied when the order was placed: the option's and the choice's
    names, the price change and the text as typed. A later edit, or a switched off choice, changes none of it;
    the ids only link back while the option and the choice exist."""

    __tablename__ = "order_item_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("product_options.id", ondelete="SET NULL"))
    option_name: Mapped[str] = mapped_column(String(60))
    choice_id: Mapped[int | None] = mapped_column(ForeignKey("option_choices.id", ondelete="SET NULL"))
    choice_name: Mapped[str | None] = mapped_column(String(60))  # NULL for a text
    price_delta: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0.00"))
    text: Mapped[str | None] = mapped_column(String(200))  # an inscription, exactly as typed

    # The choice as it is now, for its allergens at handover (like OrderItem.product).
    choice: Mapped[OptionChoice | None] = relationship()

    def to_dict(self):
        return chosen_json(self)


def chosen_json(chosen):
    """A chosen option (an OrderItemOption, or one about to be) as order JSON shows it."""
    return {
        "option_id": chosen.option_id,
        "option": chosen.option_name,
        "choice_id": chosen.choice_id,
        "choice": chosen.choice_name,
        "price_delta": chosen.price_delta,
        "text": chosen.text,
    }


NOTIFICATION_PENDING, NOTIFICATION_SENT, NOTIFICATION_FAILED, NOTIFICATION_SKIPPED = (
    "pending",
    "sent",
    "failed",
    "skipped",
)
NOTIFICATION_STATUSES = (NOTIFICATION_PENDING, NOTIFICATION_SENT, NOTIFICATION_FAILED, NOTIFICATION_SKIPPED)
# The last_error of a row skipped because its mailbox had EMAILS_PER_RECIPIENT_PER_HOUR already.
OVER_RECIPIENT_CAP = "not sent: too many emails to this address in an hour"


class Notification(db.Model):
    """A message to the customer about an order: the outbox row its sender delivers.

    Written in the same transaction as the status change it tells about; the unique
    (order, kind) key makes recording it twice impossible. `pending` rows on a channel
    with a sender are delivered (app/notifications/sender.py); `skipped` ones have no
    address for any sender we have (no contact, or a phone number: no SMS sender yet), or
    were held back: over their mailbox's hourly cap, or a cancel right after ordering by the
    same client (`last_error` says which).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("order_id", "kind", name="uq_notifications_order_kind"),
        CheckConstraint(
            "status IN (%s)" % ", ".join(f"'{s}'" for s in NOTIFICATION_STATUSES),
            name="status_known",
        ),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_recipient_key_counted_at", "recipient_key", "counted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=NOTIFICATION_PENDING, server_default="pending")
    # Claimed tries so far; a claim also pushes next_attempt_at out by the lease, so a sender
    # that dies mid-send leaves the row to be tried again once the lease is over.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the first claim: the mailbox (outbox.canonical_recipient) and when the row was
    # counted against its hourly cap (EMAILS_PER_RECIPIENT_PER_HOUR); NULL while never claimed.
    recipient_key: Mapped[str | None] = mapped_column(String(255))
    counted_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(back_populates="notifications")

    @property
    def held_back(self):
        """Skipped because its mailbox had its hourly cap of emails already."""
        return self.status == NOTIFICATION_SKIPPED and (self.last_error or "").startswith(OVER_RECIPIENT_CAP)


OWNER, STAFF = "owner", "staff"
STAFF_ROLES = (OWNER, STAFF)


class StaffUser(UserMixin, db.Model):
    """Someone who works at the bakery: staff see orders and change products; owners also run the accounts.

    Flask-Login's `get_id()` is the token of the session the user was loaded from (set by
    app/staff/sessions.py), not the user id: the session row is what logout deletes.
    """

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint("role IN ('owner', 'staff')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=STAFF, server_default=STAFF)
    # A disabled account cannot log in and its sessions are gone; its audit entries stay.
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session_token = None  # the token of the session this object was loaded for (not stored)

    @property
    def is_active(self):
        return self.active

    @property
    def is_owner(self):
        return self.role == OWNER

    def get_id(self):
        return self.session_token


class StaffSession(db.Model):
    """One logged-in browser: the cookie holds a random token, this row its SHA-256.

    Deleting the row ends that session at once, whatever copies of the cookie exist.
    """

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[StaffUser] = relationship(lazy="joined")


class AuditEntry(db.Model):
    """Who did what to which object, and when; written in the same transaction as the change."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The username is kept as it was: the entry must still say who after the account is gone.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    staff_username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


class ApiKey(db.Model):
    """A trusted API client (a kiosk, a partner shop): only a hash of its token is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


# The calendar: staff keep it in these tables; BAKERY_HOURS and BAKERY_SLOT_CAPACITY only seed it.


class WeeklyHours(db.Model):
    """The usual hours of one weekday (0 = Monday); both NULL: closed that weekday."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_known"),
        CheckConstraint("(opens IS NULL AND closes IS NULL) OR opens < closes", name="opens_before_closes"),
    )

    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    opens: Mapped[time | None]
    closes: Mapped[time | None]


class Closure(db.Model):
    """Closed from `first_day` to `last_day` (inclusive), with a note customers see ("merry Christmas")."""

    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("first_day <= last_day", name="first_before_last"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[date] = mapped_column(index=True)
    last_day: Mapped[date] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class SpecialHours(db.Model):
    """Other hours than the weekday's for one date (Christmas Eve 07:00–12:00)."""

    __tablename__ = "special_hours"
    __table_args__ = (CheckConstraint("opens < closes", name="opens_before_closes"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    opens: Mapped[time]
    closes: Mapped[time]


class CalendarSettings(db.Model):
    """The one row of calendar settings staff change: the default orders per slot, and the calendar's version."""

    __tablename__ = "calendar_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("slot_capacity >= 0", name="capacity_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot_capacity: Mapped[int | None]  # None: BAKERY_SLOT_CAPACITY
    # Counts every staff change of the calendar; a form made from an older version is refused.
    version: Mapped[int] = mapped_column(default=0, server_default="0")


class DayCapacity(db.Model):
    """Orders per slot on one whole day, instead of the default."""

    __tablename__ = "day_capacities"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_nonnegative"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    capacity: Mapped[int]


class SlotCapacity(db.Model):
    """Orders for one slot (local wall time of its start), instead of the day's or the default."""

    __tablename__ = "slot_capacities"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_nonnegative"),)

    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    capacity: Mapped[int]


class SlotBooking(db.Model):
    """How many open orders a pickup slot holds (local wall time); made on the slot's first order."""

    __tablename__ = "slot_bookings"
    __table_args__ = (CheckConstraint("taken >= 0", name="taken_nonnegative"),)

    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    taken: Mapped[int] = mapped_column(default=0)


class ClientDayHold(db.Model):
    """How many items one client's orders hold for one pickup day (app/orders/holds.py).

    `holder` is who: `addr:<hmac of the address>`, `key:<api key id>`, `email:<address>`, `phone:<E.164>`.
    """

    __tablename__ = "client_day_holds"
    __table_args__ = (CheckConstraint("items >= 0", name="items_nonnegative"),)

    holder: Mapped[str] = mapped_column(String(300), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    items: Mapped[int] = mapped_column(default=0)


class ClientSlotHold(db.Model):
    """How many orders one client holds in one pickup slot (local wall time)."""

    __tablename__ = "client_slot_holds"
    __table_args__ = (CheckConstraint("orders >= 0", name="orders_nonnegative"),)

    holder: Mapped[str] = mapped_column(String(300), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    orders: Mapped[int] = mapped_column(default=0)


class ProductWeekdayAmount(db.Model):
    """How many of a baked product the bakery bakes on a weekday (0 Monday … 6 Sunday); no row: none."""

    __tablename__ = "product_weekday_amounts"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_known"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount: Mapped[int]


class ProductDayAmount(db.Model):
    """How many of a baked product the bakery bakes on one date, instead of its weekday's amount (a holiday)."""

    __tablename__ = "product_day_amounts"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_nonnegative"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    amount: Mapped[int]


class ProductDay(db.Model):
    """A product's ledger for one pickup day, made on the day's first order (for every product,
    so cancelling always finds what to give back).

    For a baked product, what orders can still take is the day's planned amount (ProductDayAmount,
    else ProductWeekdayAmount, else none) + adjusted − taken − counter_sold.
    """

    __tablename__ = "product_days"
    __table_args__ = (
        CheckConstraint("taken >= 0", name="taken_nonnegative"),
        CheckConstraint("counter_sold >= 0", name="counter_sold_nonnegative"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    taken: Mapped[int] = mapped_column(default=0)  # by open orders for pickup that day
    adjusted: Mapped[int] = mapped_column(default=0, server_default="0")  # baked more (+) or burnt (−)
    counter_sold: Mapped[int] = mapped_column(default=0, server_default="0")  # walk-in sales


class Resource(db.Model):
    """What every day's baking shares and has only so much of: "Deck oven: 40 trays a day"."""

    __tablename__ = "resources"
    __table_args__ = (CheckConstraint("per_day >= 0", name="per_day_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    unit: Mapped[str] = mapped_column(String(30))  # what it is counted in, plural: "trays", "racks"
    per_day: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductResourceUse(db.Model):
    """How much of a resource one batch of a product uses: "Croissant: 1 tray of the Deck oven"."""

    __tablename__ = "product_resource_uses"
    __table_args__ = (CheckConstraint("per_batch >= 1", name="per_batch_positive"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    per_batch: Mapped[int]

    product: Mapped[Product] = relationship(back_populates="resource_uses")
    resource: Mapped[Resource] = relationship(lazy="joined")


class ResourceDayLock(db.Model):
    """One row per resource and pickup day that an order made to order has used: the row orders
    lock to check the day's load one at a time (app/orders/capacity.py). It holds no figures:
    the load is worked out from the day ledgers (app/catalog/resources.py), so it never drifts."""

    __tablename__ = "resource_day_locks"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    orders: Mapped[int] = mapped_column(default=0)  # checks made, so the upsert has a column to set
