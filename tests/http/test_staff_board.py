"""The staff's day on the board: a day at a time, finding any order, pickups and no-shows at the counter,
the new-orders badge, and the back-office layout around it all."""

import json
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, Order, Product
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, wait_for_status

WEDNESDAY = datetime(2026, 11, 25, 10, 0)  # default hours: Mon–Fri 07:00–18:30, Sat 08:00–14:00
clock = {"now": WEDNESDAY}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    clock["now"] = WEDNESDAY
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: clock["now"])


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def place(client, items, pickup_at=None, customer=None, note=None, status="Processing"):
    """An order through POST /orders (the kitchen queue takes it to Processing); its public id."""
    body = {"items": items}
    body |= {"pickup_at": pickup_at} if pickup_at else {}
    body |= {"customer": customer} if customer else {}
    body |= {"note": note} if note else {}
    response = client.post("/orders", data=json.dumps(body), headers={"Content-Type": "application/json", **JSON})
    assert response.status_code == 201, response.get_json()
    order_id = response.get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    return order_id


def move(client, order_id, status, headers=BROWSER, **fields):
    return client.post(f"/staff/orders/{order_id}/status", data={"status": status, **fields}, headers=headers)


def status_of(app, order_id):
    with app.app_context():
        return db.session.scalar(select(Order.status).where(Order.public_id == order_id))


def set_order(app, order_id, **values):
    with app.app_context():
        db.session.execute(update(Order).where(Order.public_id == order_id).values(**values))
        db.session.commit()


def code_of(client, order_id):
    return client.get(f"/orders/{order_id}", headers=JSON).get_json()["code"]


def to_bake(soup):
    return {
        li.select_one(".to-bake-name").get_text(): int(li.select_one(".to-bake-qty").get_text())
        for li in soup.select(".to-bake-list li")
    }


# A day on the board


@pytest.mark.parametrize(
    "now, day",
    [
        (datetime(2026, 11, 25, 5, 30), "2026-11-25"),  # before opening: today
        (datetime(2026, 11, 25, 18, 29), "2026-11-25"),  # just before closing: still today
        (datetime(2026, 11, 25, 18, 30), "2026-11-26"),  # closed: the next opening day
        (datetime(2026, 11, 28, 20, 0), "2026-11-30"),  # Saturday evening: Sunday is closed, so Monday
    ],
)
def test_without_a_date_the_board_shows_today_until_closing_then_the_next_opening_day(staff_client, now, day):
    clock["now"] = now
    assert staff_client.get("/staff/orders", headers=JSON).get_json()["date"] == day
    soup = soup_of(staff_client.get("/staff/orders", headers=BROWSER))
    assert soup.select_one("#board")["data-date"] == day
    assert soup.select_one("#board-date")["value"] == day


def test_orders_for_two_days_show_on_their_own_day_only(staff_client, products):
    baguette, croissant = products["Baguette"], products["Butter Croissant"]
    today = place(staff_client, [{"id": baguette, "quantity": 2}], "2026-11-25T12:00")
    also_today = place(staff_client, [{"id": croissant, "quantity": 1}], "2026-11-25T11:00")
    tomorrow = place(staff_client, [{"id": baguette, "quantity": 5}], "2026-11-26T08:00")

    wednesday = soup_of(staff_client.get("/staff/orders?date=2026-11-25", headers=BROWSER))
    thursday = soup_of(staff_client.get("/staff/orders?date=2026-11-26", headers=BROWSER))
    # By pickup time, in the column they are in now.
    assert [c["data-order-id"] for c in wednesday.select("#column-todo .order-card")] == [also_today, today]
    assert [c["data-order-id"] for c in thursday.select("#column-todo .order-card")] == [tomorrow]
    assert to_bake(wednesday) == {"Baguette": 2, "Butter Croissant": 1}
    assert to_bake(thursday) == {"Baguette": 5}
    body = staff_client.get("/staff/orders?date=2026-11-26", headers=JSON).get_json()
    assert set(body) == {"date", "todo", "ready", "done", "to_bake"}
    assert [o["order_id"] for o in body["todo"]] == [tomorrow] and body["ready"] == body["done"] == []
    friday = soup_of(staff_client.get("/staff/orders?date=2026-11-27", headers=BROWSER))
    assert not friday.select(".order-card") and not to_bake(friday)


def a_day_in_every_status(client, app, products):
    """One order per status for today (Wednesday), each at its own pickup time: {status: order id}.

    Croissants in powers of two (cancelled and no-show aside), so a sum shows which orders it counted.
    """
    croissant, sourdough = products["Butter Croissant"], products["Sourdough Loaf"]
    croissants = {"Pending": 1, "Processing": 2, "Ready": 4, "Completed": 8, "Cancelled": 5, "No-show": 6}
    moves = {
        "Ready": ["Ready"],
        "Completed": ["Ready", "Completed"],
        "Cancelled": ["Cancelled"],
        "No-show": ["No-show"],
    }
    placed = {}
    for minutes, (status, quantity) in enumerate(croissants.items()):
        pickup = f"2026-11-25T{11 + minutes // 2}:{30 * (minutes % 2):02d}"
        placed[status] = place(
            client, [{"id": croissant, "quantity": quantity}, {"id": sourdough, "quantity": 1}], pickup
        )
        for step in moves.get(status, []):
            assert move(client, placed[status], step, headers=JSON).status_code == 200
    set_order(app, placed["Pending"], status="Pending")  # as if the kitchen queue had not reached it yet
    assert {status_of(app, order_id) for order_id in placed.values()} == set(croissants)
    return placed


def bake_list_figures(soup):
    return {
        row.select_one(".bake-product").get_text(): int(row.select_one(".bake-qty").get_text())
        for row in soup.select("#bake-list .bake-table tbody tr")
    }


def test_the_board_s_to_bake_box_shows_the_bake_list_s_figures(staff_client, app, products):
    placed = a_day_in_every_status(staff_client, app, products)
    board = soup_of(staff_client.get("/staff/orders?date=2026-11-25", headers=BROWSER))
    bake_list = soup_of(staff_client.get(board.select_one("a.bake-list-link")["href"], headers=BROWSER))
    # Pending, Processing, Ready and Collected count; Cancelled and No-show do not.
    assert to_bake(board) == bake_list_figures(bake_list) == {"Butter Croissant": 15, "Sourdough Loaf": 4}
    assert "4 orders · 19 to bake" in bake_list.select_one(".sheet-meta").get_text()
    board_json = staff_client.get("/staff/orders?date=2026-11-25", headers=JSON).get_json()
    bake_json = staff_client.get("/staff/bake-list?date=2026-11-25", headers=JSON).get_json()
    assert board_json["to_bake"] == bake_json
    assert {line["product"]: line["quantity"] for line in bake_json["lines"]} == to_bake(board)
    # Handing an order over changes neither: the day's baking stays the same all day long.
    assert move(staff_client, placed["Ready"], "Completed", headers=JSON).status_code == 200
    board = soup_of(staff_client.get("/staff/orders?date=2026-11-25", headers=BROWSER))
    bake_list = soup_of(staff_client.get("/staff/bake-list?date=2026-11-25", headers=BROWSER))
    assert to_bake(board) == bake_list_figures(bake_list) == {"Butter Croissant": 15, "Sourdough Loaf": 4}


def test_a_card_shows_code_pickup_items_with_allergens_note_total_and_contact(staff_client, products):
    order_id = place(
        staff_client,
        [{"id": products["Baguette"], "quantity": 2}],
        "2026-11-25T12:30",
        customer={"name": "Mia", "email": "mia@example.com"},
        note="No paper bag <please>",
    )
    card = soup_of(staff_client.get("/staff/orders", headers=BROWSER)).select_one(f"#order-{order_id}")
    assert card.select_one(".order-card-code").get_text() == code_of(staff_client, order_id)
    assert card.select_one(".order-card-pickup time").get_text() == "Today 12:30"
    item = card.select_one(".order-card-items li")
    assert item.select_one(".item-name").get_text() == "Baguette" and item.select_one(".item-qty").get_text() == "2 ×"
    assert item.select_one(".allergens").get_text(" ", strip=True) == "Contains: Cereals containing gluten"
    assert card.select_one(".order-card-note").get_text() == "Note: No paper bag <please>"
    assert card.select_one(".order-card-total strong").get_text() == "€5.80"  # 2 × €2.90
    assert card.select_one(".order-customer-name").get_text() == "Mia"
    assert card.select_one(".order-customer-contact").get_text() == "mia@example.com"


def test_the_day_switcher_links_the_days_around_and_works_with_and_without_htmx(staff_client):
    soup = soup_of(staff_client.get("/staff/orders?date=2026-12-24", headers=BROWSER))
    switcher = soup.select_one("nav.day-switcher")
    assert switcher.select_one("a[rel=prev]")["href"] == "/staff/orders?date=2026-12-23"
    assert switcher.select_one("a[rel=next]")["href"] == "/staff/orders?date=2026-12-25"
    today = switcher.find("a", string="Today")
    assert today["href"] == "/staff/orders?date=2026-11-25" and today["hx-push-url"] == "true"
    form = switcher.select_one("form.day-form")
    assert (form["method"], form["action"], form["hx-target"]) == ("get", "/staff/orders", "#board")
    assert form.select_one("input[type=date][name=date]")["value"] == "2026-12-24"
    assert soup.select_one("h2.board-day").get_text(strip=True) == "Thursday 24 December"
    # The bake and pick lists of the day shown.
    assert soup.select_one("a.bake-list-link")["href"] == "/staff/bake-list?date=2026-12-24"
    assert soup.select_one("a.pick-list-link")["href"] == "/staff/pick-list?date=2026-12-24"

    fragment = soup_of(staff_client.get("/staff/orders?date=2026-12-23", headers=HTMX))
    assert not fragment.select_one("html") and fragment.select_one("#board")["data-date"] == "2026-12-23"
    assert fragment.find("title", recursive=False).get_text() == "Orders – Crumb & Co. Bakery"


@pytest.mark.parametrize("bad", ["tomorrow", "2026-02-30", "2026-1-5", "2026-12-01%01", "9" * 300])
def test_a_bad_date_is_shown_at_the_date_field(staff_client, bad):
    response = staff_client.get(f"/staff/orders?date={bad}", headers=BROWSER)
    assert response.status_code == 422
    soup = soup_of(response)
    assert "like 2026-12-24" in soup.select_one("#board-date-error").get_text()
    assert soup.select_one("#board-date")["aria-invalid"] == "true"
    assert soup.select_one("#board")["data-date"] == "2026-11-25"  # the default day's orders meanwhile
    answer = staff_client.get(f"/staff/orders?date={bad}", headers=JSON)
    assert answer.status_code == 422 and answer.get_json()["details"] == {"date": "not a date (YYYY-MM-DD)"}


def test_the_board_mentions_orders_of_earlier_days_still_waiting(staff_client, app, products):
    order_id = place(staff_client, [{"id": products["Baguette"], "quantity": 1}], "2026-11-25T11:00")
    move(staff_client, order_id, "Ready")
    clock["now"] = datetime(2026, 11, 26, 9, 0)
    soup = soup_of(staff_client.get("/staff/orders", headers=BROWSER))
    notice = soup.select_one(".board-left-over")
    assert notice.get_text(" ", strip=True).startswith("1 order from earlier days is still waiting")
    assert notice.select_one("a")["href"] == "/staff/orders/search?status=open&to=2026-11-25"


# Pickup at the counter


def _ready(client, products, pickup="2026-11-25T12:00", **customer):
    order_id = place(client, [{"id": products["Baguette"], "quantity": 2}], pickup, customer=customer or None)
    assert move(client, order_id, "Ready").status_code == 303
    return order_id


def test_collected_without_javascript_asks_on_a_page_of_its_own_first(staff_client, app, products):
    order_id = _ready(staff_client, products, name="Mia", email="mia@example.com")
    board = soup_of(staff_client.get("/staff/orders", headers=BROWSER))
    collect = board.select_one(f"#order-{order_id} form:has(button[data-status=Completed])")
    assert collect["hx-confirm"].startswith(f"Hand over order {code_of(staff_client, order_id)} to Mia?")
    fields = {i["name"]: i["value"] for i in collect.select("input")}

    asked = staff_client.post(collect["action"], data=fields, headers=BROWSER)
    assert asked.status_code == 200 and status_of(app, order_id) == "Ready"
    page = soup_of(asked)
    assert page.select_one("h1").get_text(" ", strip=True) == f"Hand over order {code_of(staff_client, order_id)} ?"
    confirm = page.select_one("form.confirm-actions")
    back = page.find("a", string="No, back to the board")
    assert back["href"] == f"/staff/orders?date=2026-11-25#order-{order_id}"

    done = staff_client.post(
        confirm["action"], data={i["name"]: i["value"] for i in confirm.select("input")}, headers=BROWSER
    )
    assert done.status_code == 303 and status_of(app, order_id) == "Completed"
    assert done.headers["Location"] == f"/staff/orders?date=2026-11-25#order-{order_id}"


def test_collected_with_htmx_needs_no_second_step(staff_client, app, products):
    order_id = _ready(staff_client, products)
    response = move(staff_client, order_id, "Completed", HTMX, **{"from": "Ready"})
    assert response.status_code == 200
    assert soup_of(response).select_one(f"#column-done #order-{order_id}")
    assert status_of(app, order_id) == "Completed"


def _notices(app, order_id):
    with app.app_context():
        return db.session.scalars(
            select(Notification.kind).join(Order).where(Order.public_id == order_id).order_by(Notification.id)
        ).all()


def test_reopen_puts_a_collected_order_back_to_ready_without_a_second_email(staff_client, app, products):
    order_id = _ready(staff_client, products, name="Mia", email="mia@example.com")
    move(staff_client, order_id, "Completed", HTMX)
    notices = _notices(app, order_id)
    card = soup_of(staff_client.get("/staff/orders", headers=BROWSER)).select_one(f"#column-done #order-{order_id}")
    reopen = card.select_one("form:has(button[data-status=Ready])")
    assert reopen.select_one("button").get_text() == "Reopen"
    response = staff_client.post(
        reopen["action"], data={i["name"]: i["value"] for i in reopen.select("input")}, headers=BROWSER
    )
    assert response.status_code == 303 and status_of(app, order_id) == "Ready"
    assert _notices(app, order_id) == notices


def test_a_move_made_on_a_stale_board_is_refused(staff_client, app, products):
    order_id = _ready(staff_client, products)
    move(staff_client, order_id, "Completed", HTMX)
    # Another screen still shows it as Processing: its "Mark ready" must not reopen the order.
    response = move(staff_client, order_id, "Ready", BROWSER, **{"from": "Processing", "date": "2026-11-25"})
    assert response.status_code == 409
    assert soup_of(response).select_one(".board-error").get_text() == "An order that is Completed cannot become Ready"
    assert status_of(app, order_id) == "Completed"
    assert move(staff_client, order_id, "Ready", JSON, **{"from": "Bogus"}).status_code == 422


def test_no_show_from_ready_or_processing_keeps_the_stock_and_sends_nothing(staff_client, app, products, stock_of):
    before = stock_of(products["Baguette"])
    ready = _ready(staff_client, products, name="Mia", email="mia@example.com")
    processing = place(staff_client, [{"id": products["Baguette"], "quantity": 1}], "2026-11-25T13:00")
    card = soup_of(staff_client.get("/staff/orders", headers=BROWSER)).select_one(f"#order-{ready}")
    assert card.select_one("form:has(button[data-status=No-show])")["hx-confirm"].startswith("Mark order")
    notices = _notices(app, ready)
    assert move(staff_client, ready, "No-show", HTMX, **{"from": "Ready"}).status_code == 200
    assert move(staff_client, processing, "No-show", JSON).get_json()["status"] == "No-show"
    assert status_of(app, ready) == status_of(app, processing) == "No-show"
    assert stock_of(products["Baguette"]) == before - 3
    assert _notices(app, ready) == notices
    card = soup_of(staff_client.get("/staff/orders", headers=BROWSER)).select_one(f"#column-done #order-{ready}")
    assert card.select_one(".order-card-status").get_text() == "No-show"
    customer_page = soup_of(staff_client.get(f"/orders/{ready}", headers=BROWSER))
    assert "not collected on its pickup day" in customer_page.get_text()
    # A customer who turns up after all: back to Ready.
    assert move(staff_client, ready, "Ready", JSON).get_json()["status"] == "Ready"


def test_no_show_is_refused_before_the_pickup_day_and_from_other_statuses(staff_client, app, products):
    tomorrow = _ready(staff_client, products, pickup="2026-11-26T09:00")
    board = soup_of(staff_client.get("/staff/orders?date=2026-11-26", headers=BROWSER))
    assert not board.select_one(f"#order-{tomorrow} button[data-status=No-show]")
    response = move(staff_client, tomorrow, "No-show", JSON)
    assert response.status_code == 409 and "before its day" in response.get_json()["error"]
    assert status_of(app, tomorrow) == "Ready"

    collected = _ready(staff_client, products)
    move(staff_client, collected, "Completed", HTMX)
    cancelled = place(staff_client, [{"id": products["Baguette"], "quantity": 1}], "2026-11-25T12:00")
    move(staff_client, cancelled, "Cancelled", HTMX)
    pending = place(staff_client, [{"id": products["Baguette"], "quantity": 1}], "2026-11-25T12:00")
    set_order(app, pending, status="Pending")
    for order_id, status in ((collected, "Completed"), (cancelled, "Cancelled"), (pending, "Pending")):
        response = move(staff_client, order_id, "No-show", BROWSER, date="2026-11-25")
        assert response.status_code == 409, status
        assert (
            soup_of(response).select_one(".board-error").get_text()
            == f"An order that is {status} cannot become No-show"
        )
        assert status_of(app, order_id) == status


def test_mark_no_shows_marks_the_open_orders_of_past_days_only(staff_client, app, products, runner):
    clock["now"] = datetime(2026, 11, 23, 7, 0)  # Monday morning: the orders are placed ahead
    monday = _ready(staff_client, products, pickup="2026-11-23T09:00")
    tuesday = place(staff_client, [{"id": products["Baguette"], "quantity": 1}], "2026-11-24T09:00")
    collected = _ready(staff_client, products, pickup="2026-11-24T10:00")
    move(staff_client, collected, "Completed", HTMX)
    today = _ready(staff_client, products)
    clock["now"] = WEDNESDAY  # now Monday and Tuesday have passed

    result = runner.invoke(args=["mark-no-shows", "--date", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Marked 1 orders as No-show: {code_of(staff_client, tuesday)}"
    assert status_of(app, monday) == "Ready"
    result = runner.invoke(args=["mark-no-shows"])
    assert result.exit_code == 0 and "Marked 1 orders" in result.output
    assert (status_of(app, monday), status_of(app, collected), status_of(app, today)) == (
        "No-show",
        "Completed",
        "Ready",
    )

    for bad in ("2026-11-25", "2026-12-01", "yesterday"):
        refused = runner.invoke(args=["mark-no-shows", "--date", bad])
        assert refused.exit_code != 0 and status_of(app, today) == "Ready"


# Finding an order


def _add_order(app, products, **values):
    """An order row as the past left it (no need for the queue): for the search and the history."""
    with app.app_context():
        product = db.session.get(Product, products["Baguette"])
        order = Order(total=product.price, status=values.pop("status", "Completed"), **values)
        db.session.add(order)
        db.session.commit()
        return order.public_id, order.code


@pytest.fixture
def known_orders(app, products):
    mia = _add_order(
        app,
        products,
        customer_name="Mia Wagner",
        customer_contact="mia@example.com",
        customer_email="mia@example.com",
        pickup_at=datetime(2026, 11, 20, 9),
        status="Completed",
    )
    tom = _add_order(
        app,
        products,
        customer_name="Tom 100% Rye",
        customer_contact="+49 30 1234567",
        customer_phone="+49 30 1234567",
        pickup_at=datetime(2026, 11, 24, 9),
        status="No-show",
    )
    ada = _add_order(app, products, customer_name="Ada_L", pickup_at=datetime(2026, 11, 25, 8), status="Ready")
    return {"mia": mia, "tom": tom, "ada": ada}


def found(client, **args):
    response = client.get("/staff/orders/search", query_string=args, headers=JSON)
    assert response.status_code == 200, response.get_json()
    return sorted(o["order_id"] for o in response.get_json()["orders"])


def test_search_finds_an_order_by_each_field(staff_client, known_orders):
    mia, tom, ada = (known_orders[k][0] for k in ("mia", "tom", "ada"))
    code = known_orders["tom"][1]
    assert found(staff_client, q="wagner") == [mia]
    assert found(staff_client, q="MIA@EXAMPLE") == [mia]
    assert found(staff_client, q="1234567") == [tom]
    # A phone number is found however it is written: spaces, dashes, a trunk 0 or 0049.
    for written in ("030 1234567", "030-123 45 67", "0049 30 1234567", "(030) 123-4567", "+4930/1234567"):
        assert found(staff_client, q=written) == [tom], written
    assert found(staff_client, q="030 7654321") == []
    assert found(staff_client, q=code.lower()) == [tom]
    assert found(staff_client, q=code.replace("0", "O").replace("1", "I")) == [tom]
    assert found(staff_client, q=mia) == [mia]
    # LIKE's wildcards are taken literally.
    assert found(staff_client, q="100%") == [tom]
    assert found(staff_client, q="%") == [tom]
    assert found(staff_client, q="_") == [ada]
    assert found(staff_client, q="nobody") == []


def test_search_filters_by_status_and_days(staff_client, known_orders):
    mia, tom, ada = (known_orders[k][0] for k in ("mia", "tom", "ada"))
    assert found(staff_client, status="finished") == sorted([mia, tom])
    assert found(staff_client, status="no-show") == [tom]
    assert found(staff_client, status="open") == [ada]
    assert found(staff_client, **{"from": "2026-11-21"}) == sorted([tom, ada])
    assert found(staff_client, **{"from": "2026-11-20", "to": "2026-11-24"}) == sorted([mia, tom])
    assert found(staff_client, to="2026-11-19") == []


def test_search_page_shows_results_with_a_link_to_their_day(staff_client, known_orders):
    mia, code = known_orders["mia"]
    soup = soup_of(staff_client.get("/staff/orders/search?q=Wagner", headers=BROWSER))
    row = soup.select_one(f"tr#result-{mia}")
    assert row.select_one("a.result-code").get_text() == code
    assert row.select_one("a.result-code")["href"] == f"/staff/orders?date=2026-11-20#order-{mia}"
    assert row.select_one(".result-status").get_text() == "Completed"
    assert soup.select_one(".search-count").get_text() == "1 order"
    assert soup.select_one("#search-q")["value"] == "Wagner"
    fragment = soup_of(staff_client.get("/staff/orders/search?q=Wagner", headers=HTMX))
    assert fragment.select_one("#search") and not fragment.select_one("html")


def test_the_history_pages_through_every_finished_order(staff_client, app, products):
    ids = [_add_order(app, products, customer_name=f"C{n}", pickup_at=datetime(2026, 11, 2, 9))[0] for n in range(30)]
    first = staff_client.get("/staff/orders/search?status=finished", headers=JSON).get_json()
    assert (first["total"], first["pages"], first["page"], len(first["orders"])) == (30, 2, 1, 25)
    second = staff_client.get("/staff/orders/search?status=finished&page=2", headers=JSON).get_json()
    seen = [o["order_id"] for o in first["orders"] + second["orders"]]
    assert seen == ids[::-1]  # newest first, each once
    soup = soup_of(staff_client.get("/staff/orders/search?status=finished", headers=BROWSER))
    assert soup.select_one(".pagination a[rel=next]")["href"] == "/staff/orders/search?status=finished&page=2"


@pytest.mark.parametrize(
    "args, field",
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "soon"}, "to"),
        ({"from": "2026-11-25", "to": "2026-11-24"}, "to"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x01b"}, "q"),
        ({"status": "eaten"}, "status"),
        ({"page": "0"}, "page"),
        ({"page": "99999999999999999999"}, "page"),
    ],
)
def test_a_bad_search_is_shown_at_its_field(staff_client, args, field):
    response = staff_client.get("/staff/orders/search", query_string=args, headers=BROWSER)
    assert response.status_code == 422
    soup = soup_of(response)
    assert soup.select_one(f"#search-{field}-error").get_text()
    if field != "page":
        assert soup.select_one(f"#search-{field}")["aria-invalid"] == "true"
    answer = staff_client.get("/staff/orders/search", query_string=args, headers=JSON)
    assert answer.status_code == 422 and field in answer.get_json()["details"]


# New orders are noticed


def test_the_badge_and_title_count_orders_that_arrived_since_the_board_was_last_seen(staff_client, products):
    staff_client.get("/staff/orders", headers=BROWSER)
    empty = soup_of(staff_client.get("/staff/orders/new", headers=HTMX))
    assert empty.find("title").get_text() == "Orders – Crumb & Co. Bakery" and not empty.select_one(".new-orders-badge")
    for _ in range(3):
        place(staff_client, [{"id": products["Baguette"], "quantity": 1}])

    polled = staff_client.get("/staff/orders/new", headers=HTMX)
    fragment = soup_of(polled)
    assert fragment.find("title", recursive=False).get_text() == "(3) Orders – Crumb & Co. Bakery"
    assert fragment.select_one("#new-orders")["hx-trigger"] == "every 15s"
    assert fragment.select_one(".new-orders-badge").get_text(" ", strip=True) == "3 new orders – show"
    assert len(polled.data) < 1000  # the old whole-board refresh was 866 KB after a burst
    assert staff_client.get("/staff/orders/new", headers=JSON).get_json() == {"new_orders": 3}

    page = soup_of(staff_client.get("/staff/orders", headers=BROWSER))
    assert page.select_one("title").get_text() == "Orders – Crumb & Co. Bakery"
    assert staff_client.get("/staff/orders/new", headers=JSON).get_json() == {"new_orders": 0}
    assert staff_client.get("/staff/orders/new", headers=BROWSER).status_code == 303


def test_each_staff_member_has_their_own_count(app, staff_client, products):
    staff_client.get("/staff/orders", headers=BROWSER)
    with app.app_context():
        create_staff("ben", "crusty-rye-loaf")
    other = app.test_client()
    other.post("/staff/login", data={"username": "ben", "password": "crusty-rye-loaf"})
    other.get("/staff/orders", headers=BROWSER)
    place(staff_client, [{"id": products["Baguette"], "quantity": 1}])
    staff_client.get("/staff/orders", headers=BROWSER)
    assert staff_client.get("/staff/orders/new", headers=JSON).get_json() == {"new_orders": 0}
    assert other.get("/staff/orders/new", headers=JSON).get_json() == {"new_orders": 1}


# The back office's own layout


@pytest.mark.parametrize(
    "path",
    [
        "/staff/orders",
        "/staff/orders/search",
        "/staff/products",
        "/staff/products/new",
        "/staff/categories",
        "/staff/calendar",
        "/staff/bake-list",
        "/staff/pick-list",
        "/staff/reports",
        "/staff/accounts",
        "/staff/account",
        "/staff/api-keys",
        "/staff/counter",
        "/staff/resources",
    ],
)
def test_staff_pages_have_the_back_office_header_and_footer(staff_client, path):
    soup = soup_of(staff_client.get(path, headers=BROWSER))
    header = soup.select_one("header.staff-header")
    assert not soup.select_one("#cart-badge") and not soup.select_one(".nav-bakes")
    menu = [a.get_text() for a in header.select("nav.staff-nav .staff-menu a")]
    # The first account is an owner: the owner pages are in its menu too.
    assert menu == [
        "Orders",
        "Bake list",
        "Pick list",
        "Counter",
        "Reports",
        "Products",
        "Ovens",
        "Categories",
        "Calendar",
        "Accounts",
        "API keys",
    ]
    assert header.select_one(".staff-who").get_text(" ", strip=True) == "Logged in as ana"
    assert header.select_one("form.staff-logout button").get_text() == "Log out"
    assert len(header.select("a[aria-current=page]")) == 1
    assert soup.select_one("footer.staff-footer") and not soup.select_one("footer .footer-staff")


def test_the_login_page_has_the_back_office_header_without_the_menu(client):
    soup = soup_of(client.get("/staff/login", headers=BROWSER))
    assert soup.select_one("header.staff-header .brand-tag").get_text() == "Back office"
    assert not soup.select_one(".staff-nav") and not soup.select_one("#cart-badge")
