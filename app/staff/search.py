"""Finding an order: by code, name, email or phone, or order id; by status and days; newest first, a page at a time."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..form_values import whole_number
from ..models import CANCELLED, COMPLETED, FAILED, NO_SHOW, ORDER_STATUSES, PENDING, PROCESSING, READY, Order, OrderItem
from ..orders.days import before, parse_board_day, since
from ..security.text_rules import CONTROL

MAX_QUERY = 100
PER_PAGE = 25
MAX_PAGE = 10_000
# Groups first: "finished" is the history of every order that is over.
STATUS_CHOICES = {
    "": ("Any status", None),
    "open": ("Open (pending, processing, ready)", (PENDING, PROCESSING, READY)),
    "finished": ("Finished (collected, no-show, cancelled, failed)", (COMPLETED, NO_SHOW, CANCELLED, FAILED)),
    **{status.lower(): (status, (status,)) for status in ORDER_STATUSES},
}
LIKE_ESCAPE = "\\"
# A search that looks like a phone number: digits and the marks people write between them.
PHONE_LIKE = re.compile(r"\+?[\d ()./-]{5,}")
PHONE_MARKS = " ()./-+"


@dataclass(frozen=True)
class Criteria:
    """A search as asked: the text, a status choice, the first and last day, and the page."""

    text: str = ""
    status: str = ""
    first: date | None = None
    last: date | None = None
    page: int = 1

    @property
    def is_empty(self):
        return not (self.text or self.status or self.first or self.last)

    def as_args(self, page=None):
        """The query string that asks for this search again (on `page`)."""
        args = {"q": self.text, "status": self.status, "from": self.first, "to": self.last}
        args = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in args.items() if value}
        if (page or self.page) > 1:
            args["page"] = page or self.page
        return args


@dataclass(frozen=True)
class ResultPage:
    orders: list
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))


def parse_criteria(args):
    """(Criteria, errors by field) from the search form's values (a mapping of strings)."""
    errors = {}
    text = _text(args.get("q"), errors)
    status = str(args.get("status") or "").strip().lower()
    if status not in STATUS_CHOICES:
        errors["status"] = "Choose a status from the list."
        status = ""
    first = _day(args.get("from"), "from", errors)
    last = _day(args.get("to"), "to", errors)
    if first and last and first > last:
        errors["to"] = "The last day can't be before the first."
    page = whole_number(args.get("page") or "1", MAX_PAGE, minimum=1)
    if page is None:
        errors["page"] = f"A page number from 1 to {MAX_PAGE}."
    return Criteria(text, status, first, last, page or 1), errors


def _text(value, errors):
    text = " ".join(str(value or "").split())
    if len(text) > MAX_QUERY:
        errors["q"] = f"Search for at most {MAX_QUERY} characters."
        return text[:MAX_QUERY]
    if CONTROL.search(text):
        errors["q"] = "Search text can't contain control characters."
        return ""
    return text


def _day(value, name, errors):
    if value is None or str(value).strip() == "":
        return None
    day = parse_board_day(str(value).strip())
    if day is None:
        errors[name] = "A date like 2026-12-24."
    return day


def _contains(text):
    """A LIKE pattern that finds `text` anywhere, with its own % and _ taken literally."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def _matches(text):
    """Orders whose code, name, contact, email, phone or order id match `text` (case does not matter)."""
    pattern = _contains(text.lower())
    code = text.upper().replace("-", "").replace(" ", "").translate(str.maketrans("OIL", "011"))
    phone = _phone_matches(text)
    return or_(
        Order.code.like(_contains(code), escape=LIKE_ESCAPE),
        Order.public_id == text,
        *([phone] if phone is not None else []),
        *(
            func.lower(column).like(pattern, escape=LIKE_ESCAPE)
            for column in (Order.customer_name, Order.customer_contact, Order.customer_email, Order.customer_phone)
        ),
    )


def _phone_matches(text):
    """Orders whose phone or contact holds the same digits, however either was written.

    "030 1234567" finds "+49 30 1234567": marks are dropped on both sides, and so are the
    query's leading zeros (a trunk 0 or an international 00), so the number is found inside
    the stored one whatever prefix that has.
    """
    digits = re.sub(r"\D", "", text).lstrip("0")
    if not PHONE_LIKE.fullmatch(text) or len(digits) < 5:
        return None
    pattern = _contains(digits)
    return or_(
        *(
            _digits_only(column).like(pattern, escape=LIKE_ESCAPE)
            for column in (Order.customer_phone, Order.customer_contact)
        )
    )


def _digits_only(column):
    for mark in PHONE_MARKS:
        column = func.replace(column, mark, "")
    return column


def search_orders(criteria):
    """The page of orders that match `criteria`, newest first, with their items."""
    query = select(Order)
    if criteria.text:
        query = query.where(_matches(criteria.text))
    statuses = STATUS_CHOICES[criteria.status][1]
    if statuses:
        query = query.where(Order.status.in_(statuses))
    if criteria.first:
        query = query.where(since(criteria.first))
    if criteria.last:
        query = query.where(before(criteria.last + timedelta(days=1)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    orders = db.session.scalars(
        query.options(selectinload(Order.items).selectinload(OrderItem.product))
        .order_by(Order.id.desc())
        .limit(PER_PAGE)
        .offset((criteria.page - 1) * PER_PAGE)
    ).all()
    return ResultPage(orders, total, criteria.page)
