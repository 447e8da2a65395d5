"""The calendar's rules on their own: slots, closures, special hours, cutoff, lead time, daylight saving."""

from datetime import date, datetime, time

import pytest

from app.bakery_calendar.hours import DEFAULT_HOURS, parse_opening_hours
from app.bakery_calendar.rules import Calendar, ClosedDays, Lead

# Mon–Fri 07:00–18:30, Sat 08:00–14:00, closed on Sundays; 27 November 2026 is a Friday.
WEEK = parse_opening_hours(DEFAULT_HOURS)


def calendar(**changes):
    return Calendar(week=WEEK, **changes)


def first_slot(cal, now, lead=0):
    return next(cal.feasible_slots(now, lead), None)


def test_slots_run_every_thirty_minutes_from_opening_and_none_starts_at_closing_time():
    saturday = calendar().slots_on(date(2026, 11, 28))
    assert saturday[0] == datetime(2026, 11, 28, 8, 0)
    assert saturday[-1] == datetime(2026, 11, 28, 13, 30)
    assert len(saturday) == 12
    assert calendar().slot_end(saturday[-1]) == datetime(2026, 11, 28, 14, 0)
    field, message = calendar().problem(datetime(2026, 11, 28, 14, 0), datetime(2026, 11, 25, 10, 0))
    assert field == "time" and "open 08:00–14:00" in message


def test_a_slot_cut_short_by_closing_time_ends_at_closing_time():
    cal = calendar(special={date(2026, 11, 27): (time(7, 0), time(18, 15))})
    last = cal.slots_on(date(2026, 11, 27))[-1]
    assert last == datetime(2026, 11, 27, 18, 0)
    assert cal.slot_end(last) == datetime(2026, 11, 27, 18, 15)


def test_sunday_has_no_slots_and_saying_so_names_the_day():
    assert calendar().slots_on(date(2026, 11, 29)) == []
    field, message = calendar().problem(datetime(2026, 11, 29, 10, 0), datetime(2026, 11, 25, 10, 0))
    assert field == "date" and "closed on Sundays" in message


def test_a_holiday_range_closes_every_day_in_it_and_shows_its_note():
    cal = calendar(closures=(ClosedDays(date(2026, 12, 24), date(2026, 12, 26), "merry Christmas"),))
    for day in (24, 25, 26):
        assert cal.slots_on(date(2026, 12, day)) == []
    field, message = cal.problem(datetime(2026, 12, 24, 9, 0), datetime(2026, 12, 23, 10, 0))
    assert field == "date" and "merry Christmas" in message
    # Ordered on the evening before: the next pickup is after the holiday and the Sunday.
    assert first_slot(cal, datetime(2026, 12, 23, 19, 0)) == datetime(2026, 12, 28, 7, 0)


def test_special_hours_replace_the_weekday_and_a_closure_beats_them():
    eve = date(2026, 12, 24)
    cal = calendar(special={eve: (time(7, 0), time(12, 0))})
    assert cal.slots_on(eve)[-1] == datetime(2026, 12, 24, 11, 30)
    sunday = calendar(special={date(2026, 11, 29): (time(9, 0), time(11, 0))})
    assert len(sunday.slots_on(date(2026, 11, 29))) == 4
    closed = calendar(special={eve: (time(7, 0), time(12, 0))}, closures=(ClosedDays(eve, eve),))
    assert closed.slots_on(eve) == []


def test_cutoff_across_a_weekend():
    cal = calendar(cutoff=time(18, 0), lead_minutes=0)
    friday_afternoon, friday_evening = datetime(2026, 11, 27, 17, 0), datetime(2026, 11, 27, 19, 0)
    # Saturday is ordered by Friday 18:00; Monday by Saturday 18:00 (the previous opening day).
    assert cal.problem(datetime(2026, 11, 28, 8, 0), friday_afternoon) is None
    field, message = cal.problem(datetime(2026, 11, 28, 8, 0), friday_evening)
    assert field == "date" and "18:00 on Friday" in message
    assert first_slot(cal, friday_evening) == datetime(2026, 11, 30, 7, 0)
    # On Sunday Monday's orders have closed: the first pickup is on Tuesday.
    sunday = datetime(2026, 11, 29, 10, 0)
    assert cal.problem(datetime(2026, 11, 30, 12, 0), sunday)[0] == "date"
    assert first_slot(cal, sunday) == datetime(2026, 12, 1, 7, 0)


def test_without_a_cutoff_today_can_be_ordered_with_the_lead_time():
    assert first_slot(calendar(), datetime(2026, 11, 25, 10, 0)) == datetime(2026, 11, 25, 10, 30)


def test_the_shop_s_lead_time_runs_on_the_clock_so_the_evening_before_reaches_opening():
    assert first_slot(calendar(), datetime(2026, 11, 25, 21, 0)) == datetime(2026, 11, 26, 7, 0)
    assert first_slot(calendar(lead_minutes=60), datetime(2026, 11, 25, 18, 10)) == datetime(2026, 11, 26, 7, 0)


def test_lead_time_counts_opening_hours_only_not_a_closed_sunday():
    cal = calendar()
    # Saturday 10:00 with 8 hours' notice: 4 hours on Saturday, none on Sunday, 4 on Monday.
    assert cal.ready_after(datetime(2026, 11, 28, 10, 0), 8 * 60) == datetime(2026, 11, 30, 11, 0)
    assert first_slot(cal, datetime(2026, 11, 28, 10, 0), 8 * 60) == datetime(2026, 11, 30, 11, 0)
    # A whole cake (48 opening hours) ordered on Friday morning: 8.5 + 6 + 11.5 + 11.5 + 10.5.
    assert cal.ready_after(datetime(2026, 11, 27, 10, 0), 48 * 60) == datetime(2026, 12, 2, 17, 30)
    field, _message = cal.problem(datetime(2026, 12, 2, 17, 0), datetime(2026, 11, 27, 10, 0), 48 * 60)
    assert field == "time"
    assert cal.problem(datetime(2026, 12, 2, 17, 30), datetime(2026, 11, 27, 10, 0), 48 * 60) is None


def test_days_of_notice_count_calendar_days_from_today_and_the_later_lead_wins():
    cal, friday_evening = calendar(), datetime(2026, 11, 27, 17, 0)
    # Two days' notice on Friday: Sunday, closed, so Monday at opening; a few minutes before midnight the same.
    assert first_slot(cal, friday_evening, Lead(days=2, needs_days="Sourdough Loaf")) == datetime(2026, 11, 30, 7, 0)
    assert first_slot(cal, datetime(2026, 11, 27, 23, 55), Lead(days=2)) == datetime(2026, 11, 30, 7, 0)
    # 12 opening hours from Friday 17:00 (1.5 on Friday, 6 on Saturday) end on Monday at 11:30: later, so they count.
    assert first_slot(cal, friday_evening, Lead(minutes=12 * 60, days=2)) == datetime(2026, 11, 30, 11, 30)
    field, message = cal.problem(datetime(2026, 11, 28, 9, 0), friday_evening, Lead(days=2, needs_days="Rye"))
    assert (field, message) == ("date", "Rye needs 2 days' notice: the earliest pickup is Monday 30 November.")
    # Days far enough ahead, hours not: the hours' message.
    field, message = cal.problem(datetime(2026, 11, 30, 9, 0), friday_evening, Lead(minutes=12 * 60, days=2))
    assert field == "time" and "more time" in message


def test_a_lead_is_the_longest_of_the_products_and_plain_minutes_still_work():
    class Item:
        def __init__(self, name, lead_hours=None, lead_days=None, id=None):
            self.name, self.lead_hours, self.lead_days, self.id = name, lead_hours, lead_days, id

    cart = [Item("Cake", lead_hours=48), Item("Rye", lead_days=1), Item("Sourdough", lead_days=2), Item("Bun")]
    assert Lead.of_products(cart) == Lead(minutes=48 * 60, days=2, needs_days="Sourdough")
    assert Lead.of_products([Item("Bun", lead_days=0)]) == Lead()
    # A 10″ cake's size adds a day to its 48 hours (app/catalog/options.py: extra_lead_hours).
    assert Lead.of_products([Item("Cake", lead_hours=48, id=7)], {7: 24}).minutes == 72 * 60
    assert Lead.of(90) == Lead(minutes=90) and Lead.of(None) == Lead()
    assert calendar().earliest(datetime(2026, 11, 25, 10, 0), 90) == calendar().earliest(
        datetime(2026, 11, 25, 10, 0), Lead(minutes=90)
    )


def test_lead_time_before_opening_starts_counting_at_opening():
    assert calendar().ready_after(datetime(2026, 11, 25, 5, 0), 30) == datetime(2026, 11, 25, 7, 30)


@pytest.mark.parametrize(
    "day,offset",
    [
        (date(2026, 3, 27), "+01:00"),
        (date(2026, 3, 30), "+02:00"),
        (date(2026, 10, 23), "+02:00"),
        (date(2026, 10, 26), "+01:00"),
    ],
)
def test_slots_carry_the_bakery_s_utc_offset_of_their_day(day, offset):
    cal = calendar()
    assert cal.isoformat(cal.slots_on(day)[0]) == f"{day.isoformat()}T07:00:00{offset}"


def test_the_hour_clocks_skip_in_march_has_no_slots_and_lead_time_is_real_time():
    night = date(2026, 3, 29)  # last Sunday of March: 02:00 CET becomes 03:00 CEST
    cal = calendar(special={night: (time(1, 0), time(4, 0))}, lead_minutes=0)
    assert cal.slots_on(night) == [datetime(2026, 3, 29, h, m) for h, m in ((1, 0), (1, 30), (3, 0), (3, 30))]
    assert cal.isoformat(datetime(2026, 3, 29, 1, 30)) == "2026-03-29T01:30:00+01:00"
    assert cal.isoformat(datetime(2026, 3, 29, 3, 0)) == "2026-03-29T03:00:00+02:00"
    # 90 minutes after 01:00 CET the clock shows 03:30 CEST.
    assert cal.ready_after(datetime(2026, 3, 29, 1, 0), 90) == datetime(2026, 3, 29, 3, 30)
    assert Calendar(week=WEEK, lead_minutes=90, special=cal.special).earliest(datetime(2026, 3, 29, 1, 0)) == datetime(
        2026, 3, 29, 3, 30
    )
    assert cal.problem(datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 28, 10, 0))[0] == "time"


def test_the_hour_clocks_repeat_in_october_is_one_set_of_slots():
    night = date(2026, 10, 25)  # last Sunday of October: 03:00 CEST becomes 02:00 CET
    cal = calendar(special={night: (time(1, 0), time(4, 0))}, lead_minutes=0)
    assert len(cal.slots_on(night)) == 6
    assert cal.isoformat(datetime(2026, 10, 25, 1, 0)) == "2026-10-25T01:00:00+02:00"
    assert cal.isoformat(datetime(2026, 10, 25, 3, 0)) == "2026-10-25T03:00:00+01:00"
    # Three real hours from 01:00 CEST is 03:00 CET: the repeated hour counts once more.
    assert cal.ready_after(datetime(2026, 10, 25, 1, 0), 180) == datetime(2026, 10, 25, 3, 0)


def test_capacity_is_the_slot_s_override_else_the_day_s_else_the_default():
    slot = datetime(2026, 11, 26, 8, 0)
    cal = calendar(capacity=8, day_capacity={date(2026, 11, 26): 4}, slot_capacity={slot: 1})
    assert cal.capacity_of(slot) == 1
    assert cal.capacity_of(datetime(2026, 11, 26, 8, 30)) == 4
    assert cal.capacity_of(datetime(2026, 11, 27, 8, 0)) == 8


def test_nothing_beyond_the_booking_horizon():
    cal = calendar(days_ahead=2)
    field, message = cal.problem(datetime(2026, 11, 28, 9, 0), datetime(2026, 11, 25, 10, 0))
    assert field == "date" and "2 days ahead" in message
    assert [d.day for d in cal.open_days(datetime(2026, 11, 25, 10, 0))] == [25, 26, 27]


def test_a_calendar_keeps_each_day_s_slots_but_hands_out_copies_and_stays_bounded():
    from dataclasses import replace
    from datetime import timedelta

    from app.bakery_calendar.rules import MAX_KEPT_DAYS

    cal = calendar()
    saturday = date(2026, 11, 28)
    first = cal.slots_on(saturday)
    first.clear()  # a caller changing its list changes nothing kept
    assert len(cal.slots_on(saturday)) == 12
    # Another Calendar (other hours) works its slots out afresh: nothing is shared between them.
    shorter = replace(cal, special={saturday: (time(8, 0), time(10, 0))})
    assert len(shorter.slots_on(saturday)) == 4 and len(cal.slots_on(saturday)) == 12
    # Many days asked: the kept ones stay bounded and every answer stays right.
    for n in range(MAX_KEPT_DAYS * 2):
        day = saturday + timedelta(days=7 * n)
        assert len(cal.slots_on(day)) == 12
    assert len(cal._slots) <= MAX_KEPT_DAYS
