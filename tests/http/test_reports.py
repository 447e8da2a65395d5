"""The day summary (/staff/reports) and its CSV exports, over orders with known outcomes.

Revenue and items sold count collected (Completed) orders only; every order counts on its day.
"""

import threading
from datetime import datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import COMPLETED, NO_SHOW, ORDER_STATUSES, Order, OrderItem
from tests.helpers import BROWSER, HTMX, JSON
from tests.http import test_staff_lists
from tests.http.test_staff_lists import FRIDAY, THURSDAY, move, order, parse_csv, soup_of

# The same fixed clock and logged-in staff client as the lists' tests.
clock, staff_client = test_staff_lists.clock, test_staff_lists.staff_client

RANGE = {"from": THURSDAY, "to": FRIDAY}


@pytest.fixture
def sales(app, staff_client, products):
    """Thursday: one collected, one cancelled, one open and one old order without a pickup time
    (collected, placed 00:30 local time on Thursday); Friday: one collected."""
    croissant, sourdough, baguette = products["Butter Croissant"], products["Sourdough Loaf"], products["Baguette"]
    collected = order(
        staff_client, [{"id": croissant, "quantity": 2}, {"id": sourdough, "quantity": 1}], f"{THURSDAY}T07:00"
    )
    cancelled = order(staff_client, [{"id": croissant, "quantity": 3}], f"{THURSDAY}T08:00")
    order(staff_client, [{"id": baguette, "quantity": 1}], f"{THURSDAY}T09:00")
    friday = order(staff_client, [{"id": croissant, "quantity": 4}], f"{FRIDAY}T08:00")
    move(staff_client, collected, "Ready", "Completed")
    move(staff_client, cancelled, "Cancelled")
    move(staff_client, friday, "Ready", "Completed")
    with app.app_context():
        old = Order(code="OLD001", status=COMPLETED, total=Decimal("5.00"), created_at=datetime(2026, 11, 25, 23, 30))
        old.items.append(
            OrderItem(product_id=baguette, product_name="Baguette", unit_price=Decimal("2.50"), quantity=2)
        )
        db.session.add(old)
        db.session.commit()


def report(client, **params):
    response = client.get("/staff/reports", query_string=params, headers=JSON)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_reports_count_orders_items_revenue_and_cancellations_per_day(staff_client, sales):
    data = report(staff_client, **RANGE)
    assert data["from"] == THURSDAY and data["to"] == FRIDAY
    days = {d["day"]: d for d in data["days"]}
    assert days[THURSDAY] == {
        "day": THURSDAY,
        "orders": 4,
        "collected": 2,
        "open": 1,
        "cancelled": 1,
        "no_shows": 0,
        "failed": 0,
        "items": 5,
        "revenue": 17.10,
    }
    assert days[FRIDAY]["orders"] == 1 and days[FRIDAY]["items"] == 4 and days[FRIDAY]["revenue"] == 11.20
    assert data["totals"]["revenue"] == 28.30 and data["totals"]["orders"] == 5 and data["totals"]["cancelled"] == 1
    assert [(p["product"], p["quantity"], p["revenue"], p["orders"]) for p in data["products"]] == [
        ("Butter Croissant", 6, 16.80, 2),
        ("Baguette", 2, 5.00, 1),
        ("Sourdough Loaf", 1, 6.50, 1),
    ]
    assert data["best_sellers"][0]["product"] == "Butter Croissant"
    assert [d["day"] for d in report(staff_client, **{"from": FRIDAY, "to": FRIDAY})["days"]] == [FRIDAY]


def test_the_report_page_shows_the_same_figures(staff_client, sales):
    soup = soup_of(staff_client.get("/staff/reports", query_string=RANGE, headers=BROWSER))
    assert soup.select_one(".total-revenue").get_text() == "€28.30"
    assert soup.select_one(".total-cancelled").get_text() == "1"
    assert soup.select_one(".total-items").get_text() == "9"
    row = soup.select_one(f"tr[data-day='{THURSDAY}']")
    assert [td.get_text() for td in row.select("td")] == ["4", "2", "1", "1", "0", "5", "€17.10"]
    assert soup.select_one(".best-sellers .best-name").get_text() == "Butter Croissant"
    exports = {a.get_text(): a["href"] for a in soup.select(".report-exports a")}
    assert exports["Orders (CSV)"] == f"/staff/reports/orders.csv?from={THURSDAY}&to={FRIDAY}"
    assert "collected orders only" in soup.get_text()
    fragment = soup_of(staff_client.get("/staff/reports", query_string=RANGE, headers=HTMX))
    assert fragment.select_one("html") is None and fragment.select_one("div#report .report-days") is not None


def test_the_order_export_has_one_row_per_order_and_adds_up_to_the_report(staff_client, sales):
    response = staff_client.get("/staff/reports/orders.csv", query_string=RANGE)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f"attachment; filename=orders-{THURSDAY}-to-{FRIDAY}.csv"
    rows = parse_csv(response)
    assert list(rows[0]) == [
        "day",
        "code",
        "order_id",
        "status",
        "pickup_at",
        "placed_at",
        "customer_name",
        "items",
        "total",
    ]
    assert len(rows) == 5
    totals = report(staff_client, **RANGE)["totals"]
    assert sum(Decimal(r["total"]) for r in rows if r["status"] == "Completed") == Decimal(str(totals["revenue"]))
    assert sum(int(r["items"]) for r in rows if r["status"] == "Completed") == totals["items"]
    old = next(r for r in rows if r["code"] == "OLD001")
    assert old["day"] == THURSDAY and old["pickup_at"] == "" and old["total"] == "5.00"


def test_the_line_export_has_one_row_per_order_line(staff_client, sales):
    response = staff_client.get("/staff/reports/lines.csv", query_string=RANGE)
    assert response.headers["Content-Disposition"] == f"attachment; filename=order-lines-{THURSDAY}-to-{FRIDAY}.csv"
    rows = parse_csv(response)
    assert len(rows) == 6
    assert list(rows[0]) == [
        "day",
        "code",
        "order_id",
        "status",
        "pickup_at",
        "product_id",
        "product",
        "quantity",
        "unit_price",
        "line_total",
    ]
    first = rows[0]
    assert (first["product"], first["quantity"], first["unit_price"], first["line_total"]) == (
        "Butter Croissant",
        "2",
        "2.80",
        "5.60",
    )
    paid = sum(Decimal(r["line_total"]) for r in rows if r["status"] == "Completed")
    assert paid == Decimal("28.30")


def test_the_report_defaults_to_this_month_so_far(staff_client, products):
    data = report(staff_client)
    assert (data["from"], data["to"]) == ("2026-11-01", "2026-11-25")
    assert data["days"] == [] and data["totals"]["revenue"] == 0
    soup = soup_of(staff_client.get("/staff/reports", headers=BROWSER))
    assert soup.select_one("#report-from")["value"] == "2026-11-01"
    assert soup.select_one("#report-to")["value"] == "2026-11-25"


@pytest.mark.skipif(NO_SHOW not in ORDER_STATUSES, reason="the No-show status arrives with the board's branch")
def test_no_shows_are_counted(app, staff_client, products):
    placed = order(staff_client, [{"id": products["Baguette"], "quantity": 1}], f"{THURSDAY}T07:00")
    with app.app_context():
        db.session.execute(db.update(Order).where(Order.public_id == placed["order_id"]).values(status=NO_SHOW))
        db.session.commit()
    day = report(staff_client, **RANGE)["days"][0]
    assert day["no_shows"] == 1 and day["open"] == 0 and day["revenue"] == 0


@pytest.mark.parametrize(
    "params,field",
    [
        ({"from": "2026-12-01", "to": "2026-11-01"}, "to"),
        ({"from": "2025-01-01", "to": "2026-11-25"}, "to"),
        ({"from": "soon"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
        ({"from": "2026-11-01\x01"}, "from"),
    ],
)
def test_a_bad_range_is_a_422_with_the_message_at_the_field(staff_client, products, params, field):
    response = staff_client.get("/staff/reports", query_string=params, headers=JSON)
    assert response.status_code == 422
    assert field in response.get_json()["details"]
    page = staff_client.get("/staff/reports", query_string=params, headers=BROWSER)
    assert page.status_code == 422
    soup = soup_of(page)
    assert soup.select_one(f"#report-{field}")["aria-invalid"] == "true"
    assert soup.select_one(f"#report-{field}-error").get_text()
    for export in ("/staff/reports/orders.csv", "/staff/reports/lines.csv"):
        refused = staff_client.get(export, query_string=params, headers=JSON)
        assert refused.status_code == 422 and field in refused.get_json()["details"]


@pytest.mark.parametrize("path", ["/staff/reports", "/staff/reports/orders.csv", "/staff/reports/lines.csv"])
def test_reports_need_a_staff_login(client, products, path):
    assert client.get(path, headers=JSON).status_code == 401
    browser = client.get(path, headers=BROWSER)
    assert browser.status_code == 303 and "/staff/login" in browser.headers["Location"]


def test_the_report_aggregates_in_the_database_whatever_the_number_of_orders(app, staff_client, products):
    from sqlalchemy import event

    from app.reports.summary import report as build_report

    def statements_for_a_report():
        seen, me = [], threading.get_ident()  # not the in-process worker's statements

        def listener(_conn, _cursor, statement, *_):
            if threading.get_ident() == me:
                seen.append(statement)

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                build_report(datetime(2026, 11, 26).date(), datetime(2026, 11, 27).date())
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return seen

    order(staff_client, [{"id": products["Baguette"], "quantity": 1}], f"{THURSDAY}T07:00")
    few = statements_for_a_report()
    for minute in ("07:30", "08:00", "08:30", "09:00", "09:30", "10:00"):
        order(staff_client, [{"id": products["Baguette"], "quantity": 1}], f"{FRIDAY}T{minute}")
    many = statements_for_a_report()
    assert len(many) == len(few) == 3
    assert all("GROUP BY" in statement for statement in many)
