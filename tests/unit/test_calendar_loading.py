"""Loading the calendar: one statement, its Calendar kept per process only while the rows are the same."""

from datetime import date, datetime

import pytest

from app.bakery_calendar import service
from app.extensions import db
from app.models import SlotBooking, SlotCapacity

NOW = datetime(2026, 11, 25, 10, 0)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


def test_an_unchanged_calendar_is_not_built_again(app):
    with app.app_context():
        first = service.load_calendar()
        assert service.load_calendar() is first


def test_any_change_to_the_rows_is_seen_by_the_next_load(app):
    with app.app_context():
        before = service.load_calendar()
        service.add_closure({"first_day": "2026-11-27", "note": "Staff outing", "version": service.calendar_version()})
        closed = service.load_calendar()
        assert closed is not before and closed.closure_on(date(2026, 11, 27)).note == "Staff outing"
        # A row written past the staff pages (here the ORM directly) is seen too.
        db.session.add(SlotCapacity(slot_start=datetime(2026, 11, 26, 9, 0), capacity=2))
        db.session.commit()
        assert service.load_calendar().capacity_of(datetime(2026, 11, 26, 9, 0)) == 2


def test_bookings_come_with_the_calendar_from_today_on(app):
    with app.app_context():
        db.session.add_all(
            [
                SlotBooking(slot_start=datetime(2026, 11, 24, 9, 0), taken=4),  # yesterday: not needed
                SlotBooking(slot_start=datetime(2026, 11, 26, 9, 0), taken=3),
            ]
        )
        db.session.commit()
        calendar, bookings = service.calendar_and_bookings()
        assert bookings == {datetime(2026, 11, 26, 9, 0): 3}
        assert calendar is service.load_calendar()
