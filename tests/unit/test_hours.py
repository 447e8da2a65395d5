"""Opening hours from configuration: how BAKERY_HOURS seeds the weekly calendar."""

from datetime import time

import pytest

from app.bakery_calendar.hours import DEFAULT_HOURS, parse_opening_hours, summary
from app.config import load_config

WEEK = parse_opening_hours(DEFAULT_HOURS)


def test_default_hours_are_weekdays_and_saturday_morning():
    assert WEEK[0] == WEEK[4] == (time(7), time(18, 30))
    assert WEEK[5] == (time(8), time(14))
    assert WEEK[6] is None
    assert summary(WEEK) == [("Mon–Fri", "07:00–18:30"), ("Sat", "08:00–14:00"), ("Sun", "closed")]


def test_hours_come_from_the_environment(tmp_path):
    config = load_config(tmp_path, env={"BAKERY_HOURS": "Tue-Sat 06:30-13:00", "BAKERY_ADDRESS": "1 Oven St"})
    assert summary(config["BAKERY_OPENING_HOURS"]) == [("Mon", "closed"), ("Tue–Sat", "06:30–13:00"), ("Sun", "closed")]
    assert config["BAKERY_ADDRESS"] == "1 Oven St"


@pytest.mark.parametrize("text", ["Mon-Fri 7-18", "Funday 07:00-12:00", "Mon 12:00-08:00"])
def test_unreadable_hours_fail_at_start_with_a_clear_message(text):
    with pytest.raises(ValueError, match="Opening hours entry"):
        parse_opening_hours(text)
