"""The staff calendar page: weekly hours, closed days, special hours and slot capacity, with and without htmx."""

from datetime import date, datetime, time

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import CalendarSettings, Closure, DayCapacity, SlotCapacity, SpecialHours, WeeklyHours
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON

NOW = datetime(2026, 11, 25, 10, 0)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def rows(app, model):
    with app.app_context():
        return db.session.scalars(select(model)).all()


def change(client, path, data=None, headers=BROWSER):
    """Post a calendar change made from the calendar as it is now (its current version)."""
    version = client.get("/staff/calendar", headers=JSON).get_json()["version"]
    return client.post(path, data={"version": version, **(data or {})}, headers=headers)


def week_form(**changes):
    form = {f"open-{d}": "1" for d in range(6)} | {f"opens-{d}": "07:00" for d in range(6)}
    form |= {f"closes-{d}": "18:30" for d in range(5)} | {"closes-5": "14:00", "opens-5": "08:00"}
    return form | changes


def test_the_page_needs_a_login(client):
    assert client.get("/staff/calendar", headers=BROWSER).status_code in (302, 303, 401)


def test_the_page_shows_the_hours_seeded_from_the_settings(staff_client):
    page = soup(staff_client.get("/staff/calendar", headers=BROWSER))
    assert page.select_one("#weekday-0").get_text() == "Monday"
    assert page.select_one("#opens-0")["value"] == "07:00" and page.select_one("#closes-5")["value"] == "14:00"
    assert page.select_one("#open-6").has_attr("checked") is False
    assert page.select_one("#capacity-default")["value"] == "8"
    assert page.select_one(".staff-nav a[aria-current=page]").get_text() == "Calendar"


def test_staff_open_on_sunday_and_the_shop_offers_sunday_slots(app, staff_client):
    form = week_form(**{"open-6": "1", "opens-6": "09:00", "closes-6": "12:00"})
    response = change(staff_client, "/staff/calendar/hours", data=form, headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"].endswith("saved=hours#hours")
    with app.app_context():
        assert db.session.get(WeeklyHours, 6).opens == time(9, 0)
    slots = staff_client.get("/pickup-slots?date=2026-11-29", headers=JSON).get_json()
    assert [s["start"][11:16] for s in slots] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


def test_wrong_hours_come_back_at_422_with_messages_at_the_fields(app, staff_client):
    form = week_form(**{"opens-1": "7am", "closes-2": "06:00"})
    response = change(staff_client, "/staff/calendar/hours", data=form, headers=BROWSER)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#opens-1")["aria-invalid"] == "true"
    assert "24-hour" in page.select_one("#opens-1-error").get_text()
    assert "after opening" in page.select_one("#closes-2-error").get_text()
    assert page.select_one("#opens-1")["value"] == "7am"
    assert page.select_one("#hours .form-alert")["role"] == "alert"
    with app.app_context():
        assert db.session.get(WeeklyHours, 1).opens == time(7, 0)


def test_a_holiday_with_a_note_closes_the_days_for_customers(app, staff_client):
    data = {"first_day": "2026-12-03", "last_day": "2026-12-05", "note": "staff outing"}
    assert change(staff_client, "/staff/calendar/closures", data=data, headers=BROWSER).status_code == 303
    assert staff_client.get("/pickup-slots?date=2026-12-03", headers=JSON).get_json() == []
    page = soup(staff_client.get("/staff/calendar", headers=BROWSER))
    assert "staff outing" in page.select_one("#closures .calendar-list").get_text()
    refused = staff_client.post(
        "/orders",
        json={"items": [{"id": 1, "quantity": 1}], "pickup_at": "2026-12-03T09:00"},
        headers=JSON,
    )
    assert refused.status_code == 422
    closure = rows(app, Closure)[0]
    assert change(staff_client, f"/staff/calendar/closures/{closure.id}/delete", headers=BROWSER).status_code == 303
    assert rows(app, Closure) == []


def test_a_closure_that_ends_before_it_starts_is_refused(staff_client):
    data = {"first_day": "2026-12-05", "last_day": "2026-12-03"}
    response = change(staff_client, "/staff/calendar/closures", data=data, headers=BROWSER)
    assert response.status_code == 422
    assert "before the first" in soup(response).select_one("#last_day-error").get_text()


def test_special_hours_for_one_date(app, staff_client):
    data = {"day": "2026-12-03", "opens": "07:00", "closes": "12:00"}
    assert change(staff_client, "/staff/calendar/special", data=data, headers=BROWSER).status_code == 303
    assert rows(app, SpecialHours)[0].closes == time(12, 0)
    slots = staff_client.get("/pickup-slots?date=2026-12-03", headers=JSON).get_json()
    assert slots[-1]["start"] == "2026-12-03T11:30:00+01:00"
    assert change(staff_client, "/staff/calendar/special/2026-12-03/delete", headers=BROWSER).status_code == 303
    assert rows(app, SpecialHours) == []


def test_default_capacity_and_overrides_for_a_day_and_a_slot(app, staff_client):
    assert change(staff_client, "/staff/calendar/capacity", data={"capacity": "3"}, headers=BROWSER).status_code == 303
    assert rows(app, CalendarSettings)[0].slot_capacity == 3
    day = {"day": "2026-11-26", "time": "", "capacity": "5"}
    assert change(staff_client, "/staff/calendar/overrides", data=day, headers=BROWSER).status_code == 303
    slot = {"day": "2026-11-26", "time": "08:00", "capacity": "1"}
    assert change(staff_client, "/staff/calendar/overrides", data=slot, headers=BROWSER).status_code == 303
    assert rows(app, DayCapacity)[0].capacity == 5
    assert rows(app, SlotCapacity)[0].slot_start == datetime(2026, 11, 26, 8, 0)
    left = {
        s["start"][11:16]: s["left"] for s in staff_client.get("/pickup-slots?date=2026-11-26", headers=JSON).get_json()
    }
    assert left["07:00"] == 5 and left["08:00"] == 1
    assert staff_client.get("/pickup-slots?date=2026-11-27", headers=JSON).get_json()[0]["left"] == 3
    off_grid = change(staff_client, "/staff/calendar/overrides", data=slot | {"time": "08:10"}, headers=BROWSER)
    assert off_grid.status_code == 422
    assert "No pickup slot starts then" in soup(off_grid).select_one("#override_time-error").get_text()
    assert (
        change(staff_client, "/staff/calendar/overrides/2026-11-26/delete", data={"time": "08:00"}).status_code == 303
    )
    assert rows(app, SlotCapacity) == [] and len(rows(app, DayCapacity)) == 1


def test_htmx_gets_the_calendar_fragment_and_errors_at_422(staff_client):
    saved = change(staff_client, "/staff/calendar/capacity", data={"capacity": "6"}, headers=HTMX)
    assert saved.status_code == 200
    fragment = soup(saved)
    assert fragment.select_one("html") is None and fragment.select_one("#calendar")
    assert "Saved" in fragment.select_one("#capacity .saved").get_text()
    refused = change(staff_client, "/staff/calendar/capacity", data={"capacity": "lots"}, headers=HTMX)
    assert refused.status_code == 422
    assert soup(refused).select_one("#capacity-error")


def test_json_callers_get_the_calendar_and_422_details(staff_client):
    body = staff_client.get("/staff/calendar", headers=JSON).get_json()
    assert body["weekly_hours"][0] == {"weekday": 0, "opens": "07:00", "closes": "18:30"}
    assert body["weekly_hours"][6] == {"weekday": 6, "opens": None, "closes": None}
    refused = staff_client.post("/staff/calendar/capacity", json={"capacity": "-1"}, headers=JSON)
    assert refused.status_code == 422 and "capacity" in refused.get_json()["details"]


def test_the_forms_carry_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        create_staff("bo", "secret-bread")
    login = soup(client.get("/staff/login", headers=BROWSER)).select_one("form input[name=csrf_token]")["value"]
    client.post("/staff/login", data={"username": "bo", "password": "secret-bread", "csrf_token": login})
    page = soup(client.get("/staff/calendar", headers=BROWSER))
    forms = page.select("#calendar form")
    assert forms and all(f.select_one("input[name=csrf_token]") for f in forms)
    assert client.post("/staff/calendar/capacity", data={"capacity": "4"}, headers=BROWSER).status_code == 400
    token = forms[0].select_one("input[name=csrf_token]")["value"]
    version = forms[0].select_one("input[name=version]")["value"]
    sent = {"capacity": "4", "csrf_token": token, "version": version}
    ok = client.post("/staff/calendar/capacity", data=sent, headers=BROWSER)
    assert ok.status_code == 303
    assert date(2026, 11, 25)  # the clock is fixed
