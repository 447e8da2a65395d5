"""The catalogue page for a chosen pickup day: its form, its wording, its links, its fragment and bad days."""

from datetime import date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from tests.helpers import BROWSER, HTMX, JSON, bake

# A Wednesday morning in the shop's time zone: open Mon–Fri and Saturday, closed on Sundays; 14 days ahead.
NOW = datetime(2026, 11, 25, 10, 0)
THURSDAY, FRIDAY, SUNDAY = "2026-11-26", "2026-11-27", "2026-11-29"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: NOW)


def page(client, query="", headers=BROWSER, status=200):
    response = client.get(f"/{query}", headers=headers)
    assert response.status_code == status
    return BeautifulSoup(response.data, "html.parser")


def card(soup, product_id):
    return soup.select_one(f"#product-{product_id}")


@pytest.fixture
def baguette(app, products):
    """The Baguette baked three a day, but none on Thursdays."""
    return bake(app, products["Baguette"], {0: 3, 1: 3, 2: 3, 4: 3, 5: 3})


def test_a_baked_product_is_worded_for_the_day_shown(client, products, baguette):
    thursday = card(page(client, f"?day={THURSDAY}"), baguette)
    assert thursday.select_one(".sold-out").get_text(strip=True) == "Sold out for Thursday — available Friday"
    assert thursday.select_one("form.add-to-cart") is None
    assert "Choose Friday as your pickup day" in thursday.select_one(".unavailable").get_text()

    friday = page(client, f"?day={FRIDAY}")
    assert card(friday, baguette).select_one(".low-stock").get_text(strip=True) == "Only 3 left for Friday"
    assert card(friday, baguette).select_one(".sold-out") is None
    # A stocked product keeps its stock's wording, whatever the day.
    assert card(friday, products["Lemon Tart"]).select_one(".low-stock").get_text(strip=True) == "Only 3 left"


def test_sold_out_for_every_day_names_no_day(app, client, products):
    bagel = bake(app, products["Baguette"], {3: 2})  # Thursdays only
    note = card(page(client, f"?day={FRIDAY}"), bagel).select_one(".sold-out").get_text(strip=True)
    assert note == "Sold out for Friday — available Thursday"
    assert card(page(client, "?day=2026-12-04"), bagel).select_one(".sold-out").get_text(strip=True) == (
        "Sold out for Friday"  # the next Thursday is beyond the 14 days one can order for
    )


def test_the_heading_says_the_pickup_day(client, products):
    assert page(client).select_one("h1").get_text(strip=True) == "Ordering for pickup today, Wednesday 25 November"
    assert page(client, f"?day={FRIDAY}").select_one("h1").get_text(strip=True) == (
        "Ordering for pickup on Friday 27 November"
    )


def test_the_day_form_offers_the_days_one_can_order_for(client, products):
    form = page(client, f"?day={FRIDAY}").select_one("form.day-picker")
    assert form["method"] == "get" and form["action"] == "/"
    assert form["hx-get"] == "/" and form["hx-push-url"] == "true" and form["hx-target"] == "#product-list"
    assert form.select_one("button[type=submit]")
    select = form.select_one("select[name=day]")
    assert form.select_one(f"label[for={select['id']}]").get_text(strip=True) == "Pickup day"
    days = [NOW.date() + timedelta(days=n) for n in range(15)]
    assert [o["value"] for o in select.select("option")] == [d.isoformat() for d in days if d.weekday() != 6]
    assert [o["value"] for o in select.select("option[selected]")] == [FRIDAY]
    assert select.select_one("option").get_text(strip=True) == "Wednesday 25 November (today)"


def test_choosing_a_day_keeps_the_filter_and_the_filter_keeps_the_day(client, products):
    soup = page(client, f"?day={FRIDAY}&free_from=milk")
    day_form, filter_form = soup.select_one("form.day-picker"), soup.select_one("form.free-from")
    assert [i["value"] for i in day_form.select("input[type=hidden][name=free_from]")] == ["milk"]
    assert [i["value"] for i in filter_form.select("input[type=hidden][name=day]")] == [FRIDAY]
    assert [box["value"] for box in filter_form.select("input[name=free_from][checked]")] == ["milk"]
    assert filter_form.select_one("a[href]")["href"] == f"/?day={FRIDAY}"  # "Clear the filter" keeps the day


def test_product_links_and_back_links_keep_the_day_and_the_filter(client, products, baguette):
    soup = page(client, f"?day={THURSDAY}&free_from=sesame")
    link = card(soup, baguette).select_one("a.product-link")["href"]
    assert link == f"/products/{baguette}?day={THURSDAY}&free_from=sesame"
    tart = products["Lemon Tart"]
    assert (
        card(soup, tart).select_one("input[name=next]")["value"] == f"/?day={THURSDAY}&free_from=sesame#product-{tart}"
    )

    product_page = page(client, link.removeprefix("/"))
    assert product_page.select_one(".breadcrumb a")["href"] == f"/?day={THURSDAY}&free_from=sesame"
    assert product_page.select_one(".sold-out").get_text(strip=True) == "Sold out for Thursday — available Friday"


def test_htmx_gets_the_list_for_the_new_day_and_the_forms_keep_it(client, products, baguette):
    fragment = page(client, f"?day={FRIDAY}&free_from=milk", headers=HTMX)
    assert fragment.select_one("html") is None and fragment.select_one("form.day-picker") is None
    assert card(fragment.select_one("#product-list"), baguette).select_one(".low-stock").get_text(strip=True) == (
        "Only 3 left for Friday"
    )
    # Out of band: the heading, the filter form's day and the day form's filter.
    heading = fragment.select_one("h1[hx-swap-oob]")
    assert heading["id"] == "catalogue-title" and heading.get_text(strip=True).endswith("Friday 27 November")
    assert fragment.select_one("#filter-kept-day[hx-swap-oob] input[name=day]")["value"] == FRIDAY
    assert fragment.select_one("#day-kept-filter[hx-swap-oob] input[name=free_from]")["value"] == "milk"


def test_the_cache_never_gives_one_day_s_page_for_another(client, products, baguette):
    for _ in range(2):  # the second round comes from the cache
        for day, note in ((THURSDAY, "Sold out for Thursday"), (FRIDAY, "Only 3 left for Friday")):
            soup = page(client, f"?day={day}")
            assert soup.select_one("select[name=day] option[selected]")["value"] == day
            assert card(soup, baguette).select_one(".stock").get_text(strip=True).startswith(note)
            assert soup.select_one("a.product-link")["href"].endswith(f"?day={day}")


# Text that is no date is a mistake in the link: a 422, as a bad filter is, with the page still usable.
# A real date the shop takes no orders for (an old bookmark, a Sunday) is the shop working as it should:
# a 200 with a note, showing the first day one can order for.
@pytest.mark.parametrize(
    "day,status,message",
    [
        ("tomorrow", 422, "“tomorrow” is not a day"),
        ("2026-11-31", 422, "is not a day"),
        (SUNDAY, 200, "We don't take orders for pickup on Sunday 29 November"),
        ("2026-11-24", 200, "We don't take orders for pickup on Tuesday 24 November"),
        ("2027-01-04", 200, "We don't take orders for pickup on Monday 4 January"),
    ],
)
def test_a_bad_day_shows_a_message_and_the_first_day_one_can_order_for(client, products, day, status, message):
    soup = page(client, f"?day={day}&free_from=milk", status=status)
    assert message in soup.select_one(".day-error").get_text()
    assert "the first day you can order for, Wednesday 25 November" in soup.select_one(".day-error").get_text()
    assert soup.select_one("h1").get_text(strip=True).endswith("Wednesday 25 November")
    assert soup.select_one("select[name=day] option[selected]")["value"] == date(2026, 11, 25).isoformat()
    assert soup.select(".product-card")


def test_a_bad_day_in_the_htmx_list_is_a_message_too(client, products):
    fragment = page(client, "?day=nonsense", headers=HTMX, status=422)
    assert "is not a day" in fragment.select_one("#product-list .day-error").get_text()


def test_the_json_api_still_refuses_a_bad_day(client, products):
    assert client.get("/products?day=tomorrow", headers=JSON).status_code == 422
    assert client.get(f"/products?day={SUNDAY}", headers=JSON).status_code == 200  # within the horizon, as before
