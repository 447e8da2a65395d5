"""The order board: one day's orders by column, what to bake for that day, how many orders are new, how a pickup
time reads on a card, and the reason staff give for cancelling."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from ..bakery_calendar import service as calendar_service
from ..bakery_calendar.service import load_calendar
from ..exceptions import Invalid
from ..extensions import db
from ..models import PENDING, PROCESSING, READY, Order
from ..orders.days import before, board_day, orders_on, parse_board_day
from ..orders.lists import BakeList, bake_list
from ..orders.no_show import NO_SHOW_FROM
from ..security.text_rules import unfit_characters

TO_DO = (PENDING, PROCESSING)
MAX_REASON = 300


@dataclass
class Board:
    """One day on the board: its orders by column, its baking, and the days around it."""

    day: date
    today: date
    todo: list
    ready: list
    done: list
    # The day's bake list itself, so the box and the page it links to show the same figures.
    to_bake: BakeList
    # Orders of earlier days still waiting for their customer: to collect, or to mark no-show.
    left_over: int = 0

    @property
    def previous_day(self):
        return self.day - timedelta(days=1)

    @property
    def next_day(self):
        return self.day + timedelta(days=1)

    @property
    def tomorrow(self):
        return self.today + timedelta(days=1)

    @property
    def yesterday(self):
        return self.today - timedelta(days=1)

    @property
    def has_begun(self):
        """Whether the day has begun: only then can its orders be no-shows."""
        return self.day <= self.today

    def can_be_no_show(self, order):
        return self.has_begun and order.status in NO_SHOW_FROM


def chosen_day(text):
    """The board's day: `text` as YYYY-MM-DD, or the default when it is None; Invalid for anything else."""
    if text is None or text == "":
        return default_day()
    day = parse_board_day(text)
    if day is None:
        raise Invalid("Choose a date like 2026-12-24", {"date": "not a date (YYYY-MM-DD)"})
    return day


def default_day():
    """Today until closing time, then the next opening day."""
    return board_day(load_calendar(), calendar_service.now())


def order_board(day):
    """The orders of `day` in pickup order, by column, with that day's baking."""
    today = calendar_service.now().date()
    orders = orders_on(day)
    return Board(
        day=day,
        today=today,
        todo=[o for o in orders if o.status in TO_DO],
        ready=[o for o in orders if o.status == READY],
        done=[o for o in orders if o.is_final],
        to_bake=bake_list(day),
        left_over=db.session.scalar(select(func.count(Order.id)).where(before(today), Order.status.in_(NO_SHOW_FROM))),
    )


def latest_order_id():
    """The id of the newest order (0 when there is none): what a staff member has seen once they look."""
    return db.session.scalar(select(func.max(Order.id))) or 0


def new_orders_since(seen_id):
    """How many orders arrived after the one with id `seen_id` (0 when nothing was seen yet)."""
    if not isinstance(seen_id, int) or seen_id < 0:
        return 0
    return db.session.scalar(select(func.count(Order.id)).where(Order.id > seen_id))


def pickup_day(moment):
    """A pickup time as the counter needs it: "Today 09:30", "Tomorrow 08:00", else "Sat 28 Nov 09:30"."""
    today = calendar_service.now().date()
    if moment.date() == today:
        return f"Today {moment:%H:%M}"
    if moment.date() == today + timedelta(days=1):
        return f"Tomorrow {moment:%H:%M}"
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def cancel_reason(text):
    """The reason staff give the customer for cancelling (optional): None, or clean text; Invalid otherwise."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise Invalid("The reason must be text", {"reason": "must be a string"})
    text = text.strip()
    if len(text) > MAX_REASON:
        raise Invalid(f"Please keep the reason under {MAX_REASON} characters", {"reason": "too long"})
    if unfit := unfit_characters(text):
        raise Invalid(f"The reason can't contain {unfit}", {"reason": unfit})
    return text or None
