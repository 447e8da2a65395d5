"""The audit log: who changed which price, stock or picture, who moved or cancelled which order and why."""

import io

from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Category, StaffUser
from tests.helpers import BROWSER, HTMX, JSON, post_order, wait_for_status


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def entries(app, object_type=None):
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if object_type:
            query = query.where(AuditEntry.object_type == object_type)
        return [(e.staff_username, e.action, e.object_id, e.detail) for e in db.session.scalars(query)]


def history_on_edit_page(client, product_id):
    page = soup_of(client.get(f"/staff/products/{product_id}/edit", headers=BROWSER))
    return [li.get_text(" ", strip=True) for li in page.select(".audit-history .audit-entry")]


def test_a_price_and_stock_change_is_logged_with_who_and_before_and_after(staff_client, app, add_product):
    product_id = add_product(price="3.50", stock=10)
    response = staff_client.post(
        f"/staff/products/{product_id}", data={"price": "3,80", "stock": "8", "version": "1"}, headers=BROWSER
    )
    assert response.status_code == 303
    assert entries(app) == [("ana", "product.update", str(product_id), "price 3.50 → 3.80; stock 10 → 8")]
    [line] = history_on_edit_page(staff_client, product_id)
    assert "ana" in line and "price 3.50 → 3.80" in line and "stock 10 → 8" in line


def test_taking_a_product_off_sale_is_logged_and_a_save_without_change_is_not(staff_client, app, add_product):
    product_id = add_product(price="2.00", stock=5)
    staff_client.post(
        f"/staff/products/{product_id}", data={"price": "2.00", "stock": "5", "version": "1"}, headers=HTMX
    )
    assert entries(app) == []
    staff_client.post(f"/staff/products/{product_id}", data={"active": ["0"], "version": "1"}, headers=JSON)
    assert entries(app) == [("ana", "product.update", str(product_id), "on sale yes → no")]


def test_a_refused_edit_writes_no_entry(staff_client, app, add_product):
    product_id = add_product()
    assert staff_client.post(f"/staff/products/{product_id}", data={"stock": "-1"}, headers=BROWSER).status_code == 422
    assert (
        staff_client.post(f"/staff/products/{product_id}/edit", data={"name": ""}, headers=BROWSER).status_code == 422
    )
    assert entries(app) == []


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 150, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_product_form_logs_creation_then_each_changed_field_and_the_picture(staff_client, app):
    with app.app_context():
        breads = Category(name="Breads")
        db.session.add(breads)
        db.session.commit()
        category = str(breads.id)
    form = {
        "name": "Spelt Bun",
        "description": "Wholegrain spelt.",
        "price": "2.40",
        "stock": "12",
        "category": category,
        "active": ["0", "1"],
        "allergens": ["gluten"],
    }
    created = staff_client.post("/staff/products/new", data=form, headers=JSON)
    assert created.status_code == 201
    product_id = created.get_json()["id"]
    changed = {
        **form,
        "version": "1",
        "price": "2.60",
        "allergens": ["gluten", "sesame"],
        "picture": (io.BytesIO(_jpeg()), "bun.jpg"),
    }
    response = staff_client.post(
        f"/staff/products/{product_id}/edit", data=changed, headers=BROWSER, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    (_, first, _, named), (_, second, _, detail) = entries(app)
    assert (first, named) == ("product.create", "Spelt Bun")
    assert second == "product.update"
    assert "price 2.40 → 2.60" in detail and "allergens gluten → gluten, sesame" in detail
    assert "picture — → " in detail and ".webp" in detail
    staff_client.post(f"/staff/products/{product_id}/retire", headers=BROWSER)
    lines = history_on_edit_page(staff_client, product_id)
    assert len(lines) == 3 and "on sale yes → no" in lines[0]  # newest first


def _processing_order(client, product_id):
    response = post_order(client, [{"id": product_id, "quantity": 2}])
    assert response.status_code == 201
    order_id = response.get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    return order_id


def test_who_cancelled_an_order_and_why_is_on_its_card(staff_client, app, add_product):
    order_id = _processing_order(staff_client, add_product(stock=10))
    card = soup_of(staff_client.get("/staff/orders", headers=BROWSER)).select_one(f"#order-{order_id}")
    assert card.select_one("details.audit-trail") is None  # nobody moved it yet
    response = staff_client.post(
        f"/staff/orders/{order_id}/status",
        data={"status": "Cancelled", "reason": "The oven broke down"},
        headers=BROWSER,
    )
    assert response.status_code == 303
    assert entries(app, "order") == [("ana", "order.status", order_id, "Processing → Cancelled: The oven broke down")]
    card = soup_of(staff_client.get("/staff/orders", headers=BROWSER)).select_one(f"#order-{order_id}")
    trail = card.select_one("details.audit-trail")
    assert trail.select_one("summary").get_text(strip=True) == "Who moved it"
    text = trail.select_one(".audit-entry").get_text(" ", strip=True)
    assert "ana" in text and "Processing → Cancelled: The oven broke down" in text
    fragment = soup_of(staff_client.get("/staff/orders", headers=HTMX))  # the 10 s refresh carries it too
    assert fragment.select_one(f"#order-{order_id} details.audit-trail .audit-entry")


def test_each_move_is_logged_and_a_refused_one_is_not(staff_client, app, add_product):
    order_id = _processing_order(staff_client, add_product(stock=10))
    move = f"/staff/orders/{order_id}/status"
    assert (
        staff_client.post(move, json={"status": "Completed"}).status_code == 409
    )  # Processing → Completed skips Ready
    assert staff_client.post(move, json={"status": "Ready"}).status_code == 200
    assert staff_client.post(move, json={"status": "Completed"}).status_code == 200
    assert [detail for *_, detail in entries(app, "order")] == ["Processing → Ready", "Ready → Completed"]


def test_account_changes_are_logged(staff_client, app):
    staff_client.post("/staff/accounts", json={"username": "ben", "role": "staff", "password": "crusty-rye-loaf"})
    with app.app_context():
        ben_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "ben"))
    staff_client.post(f"/staff/accounts/{ben_id}/role", json={"role": "owner"})
    staff_client.post(f"/staff/accounts/{ben_id}/active", json={"active": "0"})
    staff_client.post(f"/staff/accounts/{ben_id}/password", json={"password": "oven-glove-sunrise"})
    assert [(who, action, detail) for who, action, _, detail in entries(app, "staff")] == [
        ("ana", "account.create", "ben as staff"),
        ("ana", "account.role", "ben: staff → owner"),
        ("ana", "account.disable", "ben"),
        ("ana", "account.password_reset", "ben"),
    ]
