"""The bake list and the pick list of a day (/staff/bake-list, /staff/pick-list): pages, htmx
fragments, JSON and CSV, over orders placed through POST /orders.

The clock is fixed on Wednesday 25 November 2026 at 10:00 (default hours: Mon–Fri 07:00–18:30,
Sat 08:00–14:00); the orders are for Thursday 26 and Friday 27 November.
"""

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from app.extensions import db
from app.models import Order
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, wait_for_status

NOW = datetime(2026, 11, 25, 10, 0)
THURSDAY, FRIDAY = "2026-11-26", "2026-11-27"
CSV = {"Accept": "text/csv"}


@pytest.fixture
def clock(monkeypatch):
    """The bakery's clock, fixed at NOW; set `clock.now` to move it."""

    class Clock:
        now = NOW

    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: Clock.now)
    return Clock


@pytest.fixture
def staff_client(app, client, clock):
    with app.app_context():
        create_staff("ana", "secret-bread")
    response = client.post("/staff/login", data={"username": "ana", "password": "secret-bread"}, headers=BROWSER)
    assert response.status_code == 303
    return client


def order(client, items, pickup_at, name="Ada Lovelace", contact=None, note=None):
    """Place an order through POST /orders, as an API client would; returns its JSON."""
    customer = {"name": name, **({"email": contact} if contact else {})}
    body = {"items": items, "pickup_at": pickup_at, "customer": customer, **({"note": note} if note else {})}
    response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def move(client, placed, *statuses):
    """Move an order through the staff board's buttons (after the kitchen queue took it)."""
    assert wait_for_status(client, placed["order_id"], "Processing") == "Processing"
    for status in statuses:
        response = client.post(f"/staff/orders/{placed['order_id']}/status", data={"status": status}, headers=JSON)
        assert response.status_code == 200, response.get_json()


@pytest.fixture
def two_days(staff_client, products):
    """Thursday: three orders to bake, one collected, one cancelled; Friday: one order."""
    croissant, sourdough, baguette = products["Butter Croissant"], products["Sourdough Loaf"], products["Baguette"]
    placed = {
        "early": order(
            staff_client,
            [{"id": croissant, "quantity": 2}, {"id": sourdough, "quantity": 1}],
            f"{THURSDAY}T07:00",
            name="Ada Lovelace",
            contact="ada@example.com",
            note="Slice the loaf, please",
        ),
        "later": order(staff_client, [{"id": croissant, "quantity": 3}], f"{THURSDAY}T07:30", name="Grace Hopper"),
        "cancelled": order(staff_client, [{"id": sourdough, "quantity": 5}], f"{THURSDAY}T08:00", name="Cancel Me"),
        "collected": order(
            staff_client,
            [{"id": sourdough, "quantity": 1}, {"id": baguette, "quantity": 2}],
            f"{THURSDAY}T09:00",
            name="Katherine Johnson",
        ),
        "friday": order(staff_client, [{"id": croissant, "quantity": 4}], f"{FRIDAY}T08:00", name="Friday Person"),
    }
    move(staff_client, placed["cancelled"], "Cancelled")
    move(staff_client, placed["collected"], "Ready", "Completed")
    return placed


@pytest.fixture
def every_status(app, staff_client, clock, two_days, products):
    """two_days, with Thursday in every status: `early` back to Pending, `later` Processing, one order Ready,
    one collected, one cancelled and one no-show (the clock moves to Thursday 11:00 for that)."""
    baguette = products["Baguette"]
    placed = {
        **two_days,
        "ready": order(staff_client, [{"id": baguette, "quantity": 1}], f"{THURSDAY}T10:00", name="Rita Ready"),
        "no_show": order(staff_client, [{"id": baguette, "quantity": 1}], f"{THURSDAY}T10:30", name="Abe Absent"),
    }
    move(staff_client, placed["ready"], "Ready")
    clock.now = datetime(2026, 11, 26, 11, 0)
    move(staff_client, placed["no_show"], "No-show")
    with app.app_context():
        db.session.execute(update(Order).where(Order.public_id == placed["early"]["order_id"]).values(status="Pending"))
        db.session.commit()
    return placed


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def parse_csv(response):
    """The rows of a CSV answer as dicts; the file must start with the UTF-8 byte order mark."""
    assert response.data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def bake_lines(client, day, **params):
    response = client.get("/staff/bake-list", query_string={"date": day, **params}, headers=JSON)
    assert response.status_code == 200
    return response.get_json()


def by_product(lines):
    return {line["product"]: (line["quantity"], line["orders"]) for line in lines}


# The bake list


def test_bake_list_sums_each_day_s_own_orders_and_leaves_out_cancelled_ones(staff_client, two_days):
    thursday = bake_lines(staff_client, THURSDAY)
    assert thursday["date"] == THURSDAY and thursday["by"] == "product"
    # The collected order counts (it was baked); the cancelled one's 5 sourdough loaves do not.
    assert by_product(thursday["lines"]) == {"Butter Croissant": (5, 2), "Sourdough Loaf": (2, 2), "Baguette": (2, 1)}
    assert thursday["orders"] == 3 and thursday["total_quantity"] == 9
    friday = bake_lines(staff_client, FRIDAY)
    assert by_product(friday["lines"]) == {"Butter Croissant": (4, 1)}
    assert bake_lines(staff_client, "2026-11-28")["lines"] == []


def test_bake_list_page_groups_products_by_category(staff_client, two_days):
    soup = soup_of(staff_client.get(f"/staff/bake-list?date={THURSDAY}", headers=BROWSER))
    tables = {
        table.caption.get_text(): {
            row.select_one(".bake-product").get_text(): int(row.select_one(".bake-qty").get_text())
            for row in table.select("tbody tr")
        }
        for table in soup.select("#bake-list .bake-table")
    }
    assert tables == {"Breads": {"Baguette": 2, "Sourdough Loaf": 2}, "Viennoiserie": {"Butter Croissant": 5}}
    assert "Thursday 26 November 2026" in soup.select_one("h1").get_text()
    assert "3 orders · 9 to bake" in soup.select_one(".sheet-meta").get_text()


def test_bake_list_by_slot_says_what_must_be_ready_by_when(staff_client, two_days):
    lines = bake_lines(staff_client, THURSDAY, by="slot")["lines"]
    assert [(line["slot"], line["product"], line["quantity"]) for line in lines] == [
        ("07:00", "Sourdough Loaf", 1),
        ("07:00", "Butter Croissant", 2),
        ("07:30", "Butter Croissant", 3),
        ("09:00", "Baguette", 2),
        ("09:00", "Sourdough Loaf", 1),
    ]
    soup = soup_of(staff_client.get(f"/staff/bake-list?date={THURSDAY}&by=slot", headers=BROWSER))
    assert [h.get_text(" ", strip=True) for h in soup.select(".bake-slot")] == [
        "Ready by 07:00",
        "Ready by 07:30",
        "Ready by 09:00",
    ]
    # The day switcher keeps the grouping.
    assert "by=slot" in soup.select_one(".day-next")["href"]


def test_an_empty_day_says_so(staff_client, products):
    soup = soup_of(staff_client.get("/staff/bake-list?date=2026-11-28", headers=BROWSER))
    assert (
        soup.select_one(".sheet-empty").get_text()
        == "Nothing to bake for this day yet: no orders and no planned amounts."
    )
    assert soup.select(".bake-table") == []


@pytest.mark.parametrize("by", ["", "slot"])
def test_bake_list_csv_has_a_header_row_and_the_json_s_figures(staff_client, two_days, by):
    expected = bake_lines(staff_client, THURSDAY, by=by)["lines"]
    for request in (
        {"query_string": {"date": THURSDAY, "by": by, "format": "csv"}},
        {"query_string": {"date": THURSDAY, "by": by}, "headers": CSV},
    ):
        response = staff_client.get("/staff/bake-list", **request)
        assert response.status_code == 200
        assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
        assert response.headers["Content-Disposition"] == f"attachment; filename=bake-list-{THURSDAY}.csv"
        rows = parse_csv(response)
        assert list(rows[0]) == [
            "date",
            *(["slot"] if by else []),
            "category",
            "product_id",
            "product",
            "quantity",
            "orders",
            "ordered",
            "for_counter",
            "batches",
        ]
        assert [
            {
                **line,
                "category": line["category"] or "",
                **{field: str(line[field]) for field in ("product_id", "quantity", "orders", "ordered", "for_counter")},
                "batches": "" if line["batches"] is None else str(line["batches"]),
            }
            for line in expected
        ] == [{k: v for k, v in row.items() if k != "date"} for row in rows]
        assert {row["date"] for row in rows} == {THURSDAY}


def test_without_a_date_the_lists_show_today_until_closing_then_the_next_opening_day(staff_client, clock, products):
    assert bake_lines(staff_client, "")["date"] == "2026-11-25"
    clock.now = datetime(2026, 11, 25, 19, 0)  # after closing: tomorrow's pickups are what to bake
    assert bake_lines(staff_client, "")["date"] == THURSDAY
    response = staff_client.get("/staff/pick-list", headers=JSON)
    assert response.get_json()["date"] == THURSDAY
    clock.now = datetime(2026, 11, 28, 15, 0)  # Saturday after closing; Sunday is closed
    assert bake_lines(staff_client, "")["date"] == "2026-11-30"


def test_the_day_switcher_works_without_javascript(staff_client, products):
    soup = soup_of(staff_client.get(f"/staff/bake-list?date={THURSDAY}", headers=BROWSER))
    switcher = soup.select_one("nav.day-switcher")
    assert switcher.select_one(".day-previous")["href"] == "/staff/bake-list?date=2026-11-25"
    assert switcher.select_one(".day-next")["href"] == f"/staff/bake-list?date={FRIDAY}"
    assert switcher.select_one(".day-today")["href"] == "/staff/bake-list?date=2026-11-25"
    form = switcher.select_one("form.day-form")
    assert form["method"] == "get" and form["action"] == "/staff/bake-list"
    assert form.select_one("input[name=date]")["value"] == THURSDAY
    assert form.select_one("label[for=day-field]") is not None


def test_htmx_gets_the_list_fragment_and_a_history_restore_the_whole_page(staff_client, two_days):
    fragment = soup_of(staff_client.get(f"/staff/bake-list?date={THURSDAY}", headers=HTMX))
    assert fragment.select_one("html") is None and fragment.select_one("nav.staff-nav") is None
    assert fragment.select_one("div#bake-list .bake-table") is not None
    pick = soup_of(staff_client.get(f"/staff/pick-list?date={THURSDAY}", headers=HTMX))
    assert pick.select_one("html") is None and len(pick.select("div#pick-list .pick-order")) == 2
    restore = soup_of(
        staff_client.get(f"/staff/bake-list?date={THURSDAY}", headers={**HTMX, "HX-History-Restore-Request": "true"})
    )
    assert restore.select_one("html") is not None and restore.select_one("nav.staff-nav") is not None
    # The htmx attributes target the fragment they replace.
    assert {a["hx-target"] for a in fragment.select("[hx-get]")} == {"#bake-list"}


def test_the_sheets_print_with_a_print_control_but_no_inline_script(staff_client, two_days):
    for path in (f"/staff/bake-list?date={THURSDAY}", f"/staff/pick-list?date={THURSDAY}"):
        soup = soup_of(staff_client.get(path, headers=BROWSER))
        assert soup.select_one("button[data-print]") is not None
        assert "Ctrl+P" in soup.select_one(".print-hint").get_text()
        assert soup.select_one("script[src$='/static/js/print.js']") is not None
        assert [s for s in soup.select("script") if not s.get("src")] == []
        assert soup.select("[style]") == [] and soup.select("[onclick]") == []
        assert soup.select_one(".sheet-meta time.sheet-made").get_text() == "Wed 25 Nov 10:00"  # what it includes


# The pick list


def test_pick_list_has_one_block_per_order_to_hand_over_in_pickup_order(staff_client, two_days):
    soup = soup_of(staff_client.get(f"/staff/pick-list?date={THURSDAY}", headers=BROWSER))
    blocks = soup.select("#pick-list article.pick-order")
    codes = [two_days[key]["code"] for key in ("early", "later")]
    assert [block["data-code"] for block in blocks] == codes
    first = blocks[0]
    assert first.select_one(".pick-code").get_text(" ", strip=True) == f"order {codes[0]}"
    assert first.select_one(".pick-time").get_text(strip=True) == "07:00"
    assert first.select_one(".pick-name").get_text() == "Ada Lovelace"
    assert first.select_one(".pick-contact").get_text() == "ada@example.com"
    assert first.select_one(".pick-note").get_text(" ", strip=True) == "Note: Slice the loaf, please"
    items = [
        (li.select_one(".item-qty").get_text(strip=True), li.select_one(".item-name").get_text())
        for li in first.select(".pick-item")
    ]
    assert items == [("2 ×", "Butter Croissant"), ("1 ×", "Sourdough Loaf")]
    croissant = first.select(".pick-item")[0]
    assert (
        croissant.select_one(".allergens").get_text(" ", strip=True)
        == "Contains: Cereals containing gluten, Eggs, Milk"
    )
    assert croissant.select_one(".may-contain").get_text(" ", strip=True) == "May contain: Tree nuts"
    assert [b.select_one(".pick-status").get_text() for b in blocks] == ["Processing", "Processing"]
    assert "Cancel Me" not in soup.get_text() and "Katherine Johnson" not in soup.get_text()


def pick_blocks(soup):
    return [
        (block["data-code"], block.select_one(".pick-status").get_text()) for block in soup.select("article.pick-order")
    ]


def test_pick_list_hides_collected_cancelled_and_no_show_orders_until_asked(staff_client, every_status):
    code = {key: placed["code"] for key, placed in every_status.items()}
    page = soup_of(staff_client.get(f"/staff/pick-list?date={THURSDAY}", headers=BROWSER))
    assert pick_blocks(page) == [(code["early"], "Pending"), (code["later"], "Processing"), (code["ready"], "Ready")]
    assert "3 orders to hand over" in page.select_one(".sheet-meta").get_text()
    notice = page.select_one(".pick-showing")
    assert notice.get_text(" ", strip=True) == "3 collected, cancelled or no-show orders hidden. Show them"
    show = notice.select_one("a.pick-show-toggle")
    assert show["href"] == f"/staff/pick-list?date={THURSDAY}&show=all"
    assert (show["hx-get"], show["hx-target"]) == (show["href"], "#pick-list")

    # A plain link: it works without JavaScript, and the whole day is listed with each order's status.
    everything = soup_of(staff_client.get(show["href"], headers=BROWSER))
    assert pick_blocks(everything) == [
        (code["early"], "Pending"),
        (code["later"], "Processing"),
        (code["cancelled"], "Cancelled"),
        (code["collected"], "Completed"),
        (code["ready"], "Ready"),
        (code["no_show"], "No-show"),
    ]
    notice = everything.select_one(".pick-showing")
    assert notice.get_text(" ", strip=True) == "Showing every order of the day. Show only orders to hand over"
    assert notice.select_one("a.pick-show-toggle")["href"] == f"/staff/pick-list?date={THURSDAY}"
    # The day switcher and the CSV download keep to every order.
    assert everything.select_one(".day-next")["href"] == f"/staff/pick-list?date={FRIDAY}&show=all"
    assert everything.select_one(".day-form input[name=show]")["value"] == "all"
    assert "show=all" in everything.select_one(".sheet-tools a[download]")["href"]
    fragment = soup_of(staff_client.get(show["href"], headers=HTMX))
    assert fragment.select_one("html") is None and len(pick_blocks(fragment)) == 6


def test_a_day_with_every_order_handed_over_says_so_and_the_toggle_is_not_printed(staff_client, two_days):
    friday = two_days["friday"]
    move(staff_client, friday, "Ready", "Completed")
    page = soup_of(staff_client.get(f"/staff/pick-list?date={FRIDAY}", headers=BROWSER))
    assert page.select("article.pick-order") == []
    assert page.select_one(".sheet-empty").get_text() == "No orders left to hand over for this day."
    assert page.select_one(".pick-showing").get_text(" ", strip=True) == (
        "1 collected, cancelled or no-show order hidden. Show it"
    )
    css = (Path(__file__).resolve().parents[2] / "app/static/css/bakery.css").read_text()
    assert ".pick-show-toggle" in css[css.index("@media print") :]


@pytest.mark.parametrize(
    "show, shown, hidden",
    [("", ("early", "later"), 2), ("all", ("early", "later", "cancelled", "collected"), 0)],
)
def test_pick_list_json_and_csv_agree(staff_client, two_days, show, shown, hidden):
    data = staff_client.get(f"/staff/pick-list?date={THURSDAY}&show={show}", headers=JSON).get_json()
    assert [o["code"] for o in data["orders"]] == [two_days[k]["code"] for k in shown]
    assert data["hidden"] == hidden and data["show"] == ("all" if show else "to_hand_over")
    first = data["orders"][0]
    assert first["customer_name"] == "Ada Lovelace" and first["note"] == "Slice the loaf, please"
    assert first["pickup_at"] == f"{THURSDAY}T07:00:00+01:00"
    assert first["items"][0]["allergens"] == ["gluten", "eggs", "milk"] and first["items"][0]["may_contain"] == ["nuts"]
    response = staff_client.get(f"/staff/pick-list?date={THURSDAY}&format=csv&show={show}")
    assert response.headers["Content-Disposition"] == f"attachment; filename=pick-list-{THURSDAY}.csv"
    rows = parse_csv(response)
    expected = [
        (o["code"], o["pickup_at"][11:16], o["status"], o["customer_name"], item["name"], str(item["quantity"]))
        for o in data["orders"]
        for item in o["items"]
    ]
    assert [
        (r["code"], r["pickup"], r["status"], r["customer_name"], r["product"], r["quantity"]) for r in rows
    ] == expected
    assert rows[0]["contains"] == "Cereals containing gluten, Eggs, Milk" and rows[0]["may_contain"] == "Tree nuts"
    assert rows[0]["customer_contact"] == "ada@example.com" and rows[0]["note"] == "Slice the loaf, please"


def test_a_formula_in_a_customer_s_text_reaches_the_spreadsheet_as_text(staff_client, products):
    order(
        staff_client,
        [{"id": products["Baguette"], "quantity": 1}],
        f"{THURSDAY}T10:00",
        name="=HYPERLINK(1)",
        note="+1 bag",
    )
    rows = parse_csv(staff_client.get(f"/staff/pick-list?date={THURSDAY}&format=csv"))
    assert rows[0]["customer_name"] == "'=HYPERLINK(1)" and rows[0]["note"] == "'+1 bag"


# Refusals


BAD_DAYS = ["2026-13-01", "yesterday", "2026-11-2", "9999-12-31", "0001-01-01", "2026-11-26\x01", "26.11.2026"]


@pytest.mark.parametrize("path", ["/staff/bake-list", "/staff/pick-list"])
@pytest.mark.parametrize("day", BAD_DAYS)
def test_a_bad_date_is_a_422_with_the_message_at_the_field(staff_client, products, path, day):
    response = staff_client.get(path, query_string={"date": day}, headers=JSON)
    assert response.status_code == 422
    assert "date" in response.get_json()["details"]
    page = staff_client.get(path, query_string={"date": day}, headers=BROWSER)
    assert page.status_code == 422
    soup = soup_of(page)
    assert soup.select_one("#day-field")["aria-invalid"] == "true"
    assert soup.select_one("#day-field-error").get_text()
    fragment = staff_client.get(path, query_string={"date": day}, headers=HTMX)
    assert fragment.status_code == 422 and soup_of(fragment).select_one("#day-field-error") is not None
    assert staff_client.get(path, query_string={"date": day, "format": "csv"}).status_code == 422


@pytest.mark.parametrize(
    "path, params",
    [
        ("/staff/bake-list", {"by": "weekday"}),
        ("/staff/bake-list", {"format": "xlsx"}),
        ("/staff/pick-list", {"show": "everything"}),
    ],
)
def test_an_unknown_grouping_format_or_showing_is_refused(staff_client, products, path, params):
    response = staff_client.get(path, query_string={"date": THURSDAY, **params}, headers=JSON)
    assert response.status_code == 422, response.data
    assert set(response.get_json()["details"]) == set(params)
    page = staff_client.get(path, query_string={"date": THURSDAY, **params}, headers=BROWSER)
    assert page.status_code == 422 and soup_of(page).select_one(".form-alert").get_text(strip=True)


@pytest.mark.parametrize("path", ["/staff/bake-list", "/staff/pick-list", "/staff/bake-list?format=csv"])
def test_the_lists_need_a_staff_login(client, products, path):
    assert client.get(path, headers=JSON).status_code == 401
    browser = client.get(path, headers=BROWSER)
    assert browser.status_code == 303 and "/staff/login" in browser.headers["Location"]
    assert client.get(path, headers=HTMX).status_code == 401
    assert client.get(path, headers=CSV).status_code in (303, 401)
