"""Which day an order belongs to (app/orders/days.py): the board, the lists and the reports all count by it."""

from datetime import datetime, timedelta

from app.bakery_calendar.hours import DEFAULT_HOURS, parse_opening_hours
from app.bakery_calendar.rules import Calendar
from app.extensions import db
from app.models import CANCELLED, Order, utcnow
from app.orders.days import board_day, order_day, orders_on, parse_board_day

WEEK = Calendar(week=parse_opening_hours(DEFAULT_HOURS))  # Mon–Fri 07:00–18:30, Sat 08:00–14:00


def test_the_board_shows_today_until_closing_then_the_next_opening_day():
    friday = datetime(2026, 12, 4)
    assert board_day(WEEK, friday.replace(hour=5)) == friday.date()  # before opening
    assert board_day(WEEK, friday.replace(hour=18, minute=29)) == friday.date()
    assert board_day(WEEK, friday.replace(hour=18, minute=30)) == friday.date() + timedelta(days=1)
    saturday_evening = datetime(2026, 12, 5, 20, 0)
    assert board_day(WEEK, saturday_evening) == datetime(2026, 12, 7).date()  # Sunday is closed
    assert board_day(WEEK, datetime(2026, 12, 6, 10, 0)) == datetime(2026, 12, 7).date()


def _order(code, pickup_at=None, created_at=None, status="Pending"):
    order = Order(code=code, total=1, status=status, pickup_at=pickup_at, created_at=created_at or utcnow())
    db.session.add(order)
    return order


def test_orders_belong_to_their_pickup_day_or_without_one_to_the_local_day_they_were_placed(app):
    with app.app_context():
        day = datetime(2026, 12, 10)
        late = _order("LATE", pickup_at=day.replace(hour=18))
        early = _order("EARLY", pickup_at=day.replace(hour=7))
        # 23:30 UTC on the 9th is 00:30 on the 10th in Berlin: it belongs to the 10th.
        legacy = _order("OLD", created_at=datetime(2026, 12, 9, 23, 30))
        _order("NEXT", pickup_at=day.replace(day=11, hour=7))
        _order("GONE", pickup_at=day.replace(hour=9), status=CANCELLED)
        db.session.commit()

        assert [o.code for o in orders_on(day.date())] == ["EARLY", "GONE", "LATE", "OLD"]
        baked = orders_on(day.date(), statuses=("Pending", "Processing", "Ready"))
        assert [o.code for o in baked] == ["EARLY", "LATE", "OLD"]
        assert [o.code for o in orders_on(day.date(), day.date() + timedelta(days=1))][-1] == "OLD"
        assert {order_day(o) for o in (late, early, legacy)} == {day.date()}


def test_a_board_date_is_any_iso_date_or_nothing():
    assert parse_board_day("2026-12-01") == datetime(2026, 12, 1).date()
    for bad in (
        None,
        "",
        "2026-13-01",
        "yesterday",
        "2026-12-1",
        "2026-12-01\x00",
        20261201,
        "9999-12-31",
        "0001-01-01",
    ):
        assert parse_board_day(bad) is None
