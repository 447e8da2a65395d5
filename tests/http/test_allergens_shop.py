"""Customers see allergens before they order and at handover, and can filter the shop "free from" some."""

import io

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from app.catalog.pictures import store_picture
from app.extensions import db
from app.models import Product
from tests.helpers import BROWSER, HTMX, JSON, post_order, wait_for_status


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def card_names(page):
    return {tag.get_text(strip=True) for tag in page.select(".product-card .product-name")}


def names_in(response):
    return {item["name"] for item in response.get_json()}


def allergens_of(products_json):
    return {item["name"]: set(item["allergens"]) | set(item["may_contain"]) for item in products_json}


@pytest.mark.parametrize("query", ["free_from=milk,nuts", "free_from=milk&free_from=nuts", "free_from=MILK,+nuts,"])
def test_free_from_leaves_out_what_contains_or_may_contain_them(client, products, query):
    response = client.get(f"/products?{query}", headers=JSON)
    assert response.status_code == 200
    everything = allergens_of(client.get("/products", headers=JSON).get_json())
    expected = {name for name, codes in everything.items() if not codes & {"milk", "nuts"}}
    assert names_in(response) == expected
    assert expected and expected != set(everything)  # the filter really filters the demo catalogue
    assert "Butter Croissant" not in expected  # milk
    assert "Sourdough Loaf" in expected


def test_free_from_traces_counts_too(client, products):
    assert "Rye Bread" not in names_in(client.get("/products?free_from=sesame", headers=JSON))  # may contain sesame
    assert "Rye Bread" in names_in(client.get("/products?free_from=milk", headers=JSON))


@pytest.mark.parametrize("query", ["free_from=chocolate", "free_from=milk,chocolate", "free_from=" + "x" * 5000])
def test_an_unknown_allergen_code_is_a_422_for_json(client, products, query):
    response = client.get(f"/products?{query}", headers=JSON)
    assert response.status_code == 422
    body = response.get_json()
    assert "Unknown allergen code" in body["error"] and "free_from" in body["details"]
    assert len(body["error"]) < 600


def test_an_unknown_allergen_code_is_a_message_on_the_page(client, products):
    response = client.get("/?free_from=chocolate", headers=BROWSER)
    assert response.status_code == 422
    page = soup(response)
    assert "Unknown allergen code: chocolate" in page.select_one(".filter-error").get_text()
    assert card_names(page) == set(products)  # the whole shop, not an empty page


def test_the_filter_is_a_plain_form_whose_choice_is_in_the_url(client, products):
    page = soup(client.get("/?free_from=milk&free_from=eggs", headers=BROWSER))
    form = page.select_one("form.free-from")
    assert form["method"] == "get" and form["action"] == "/"
    assert form["hx-push-url"] == "true" and form["hx-target"] == "#product-list"
    checked = {box["value"] for box in form.select("input[name=free_from][checked]")}
    assert checked == {"milk", "eggs"}
    assert len(form.select("input[name=free_from]")) == 14
    assert form.select_one("details").has_attr("open")
    assert "Butter Croissant" not in card_names(page) and "Baguette" in card_names(page)
    summary = page.select_one(".filter-summary").get_text(" ", strip=True)
    assert summary.startswith("Showing bakes free from Eggs, Milk")


def test_htmx_gets_only_the_filtered_list(client, products):
    fragment = soup(client.get("/?free_from=gluten", headers=HTMX))
    assert fragment.select_one("html") is None and fragment.select_one("form.free-from") is None
    assert fragment.select_one("#product-list")
    assert card_names(fragment) == set()  # every demo bake has gluten
    assert "are free from all of those" in fragment.select_one(".empty").get_text()


def test_the_unfiltered_page_comes_from_the_cache_and_shows_no_filter_state(client, products):
    page = soup(client.get("/", headers=BROWSER))
    assert not page.select("form.free-from input[checked]")
    assert not page.select_one("form.free-from details").has_attr("open")
    assert page.select_one(".filter-summary") is None


def test_every_card_and_product_page_names_the_allergens_in_words(client, products):
    page = soup(client.get("/", headers=BROWSER))
    card = page.select_one(f"#product-{products['Almond Croissant']}")
    assert (
        card.select_one(".allergens").get_text(" ", strip=True)
        == "Contains: Cereals containing gluten, Eggs, Milk, Tree nuts"
    )
    assert card.select_one(".dietary").get_text(strip=True) == "Vegetarian"
    detail = soup(client.get(f"/products/{products['Rye Bread']}", headers=BROWSER))
    assert detail.select_one(".allergens").get_text(" ", strip=True) == "Contains: Cereals containing gluten"
    assert detail.select_one(".may-contain").get_text(" ", strip=True) == "May contain: Sesame"
    assert detail.select_one(".dietary").get_text(strip=True) == "Vegan"
    assert detail.select_one(".product-category").get_text(strip=True) == "Breads"


def test_a_product_with_nothing_declared_says_so(client, add_product):
    add_product(name="Plain Water Roll")
    card = soup(client.get("/", headers=BROWSER)).select_one(".product-card")
    assert card.select_one(".allergens").get_text(strip=True) == "No allergens declared"
    assert card.select_one(".may-contain") is None
    assert [h.get_text() for h in soup(client.get("/", headers=BROWSER)).select(".shelf-name")] == ["More bakes"]


def test_cart_and_checkout_show_the_allergens_of_each_line(client, products):
    client.post("/cart/items", data={"product_id": products["Butter Croissant"], "quantity": 2}, headers=BROWSER)
    cart = soup(client.get("/cart", headers=BROWSER))
    assert (
        cart.select_one(".cart-line .allergens").get_text(" ", strip=True)
        == "Contains: Cereals containing gluten, Eggs, Milk"
    )
    checkout = soup(client.get("/checkout", headers=BROWSER))
    assert (
        checkout.select_one(".summary-lines .allergens").get_text(" ", strip=True)
        == "Contains: Cereals containing gluten, Eggs, Milk"
    )


def test_an_allergen_change_shows_on_the_next_request_in_json_and_page(app, client, products):
    client.get("/", headers=BROWSER)
    client.get("/products", headers=JSON)  # both cached now
    with app.app_context():
        baguette = db.session.get(Product, products["Baguette"])
        baguette.set_allergens(contains=["gluten", "sesame"])
        db.session.commit()
    item = next(p for p in client.get("/products", headers=JSON).get_json() if p["name"] == "Baguette")
    assert item["allergens"] == ["gluten", "sesame"]
    card = soup(client.get("/", headers=BROWSER)).select_one(f"#product-{products['Baguette']}")
    assert card.select_one(".allergens").get_text(" ", strip=True) == "Contains: Cereals containing gluten, Sesame"
    assert "Baguette" not in names_in(client.get("/products?free_from=sesame", headers=JSON))


def test_the_order_page_and_its_json_carry_the_allergens_for_handover(client, products):
    response = post_order(client, [{"id": products["Lemon Tart"], "quantity": 1}])
    order_id = response.get_json()["order_id"]
    assert wait_for_status(client, order_id, "Processing") == "Processing"
    item = client.get(f"/orders/{order_id}", headers=JSON).get_json()["items"][0]
    assert item["allergens"] == ["gluten", "eggs", "milk"]
    page = soup(client.get(f"/orders/{order_id}", headers=BROWSER))
    assert (
        page.select_one(".order-items .allergens").get_text(" ", strip=True)
        == "Contains: Cereals containing gluten, Eggs, Milk"
    )


def jpeg(color):
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_uploaded_picture_is_offered_at_every_size_and_a_new_one_is_seen_at_once(app, client, products, tmp_path):
    def picture_on(page, product_id):
        return page.select_one(f"#product-{product_id} img")

    client.get("/", headers=BROWSER)  # cached with the demo picture
    with app.app_context():
        product = db.session.get(Product, products["Baguette"])
        product.image = store_picture(jpeg((180, 120, 60)), tmp_path)
        db.session.commit()
        first = product.image
    img = picture_on(soup(client.get("/", headers=BROWSER)), products["Baguette"])
    assert img["src"] == first
    widths = [entry.split()[1] for entry in img["srcset"].split(", ")]
    assert widths == ["200w", "400w", "800w", "1200w"] and img["sizes"]
    with app.app_context():
        product = db.session.get(Product, products["Baguette"])
        product.image = store_picture(jpeg((60, 120, 180)), tmp_path)
        db.session.commit()
        second = product.image
    assert second != first
    assert picture_on(soup(client.get("/", headers=BROWSER)), products["Baguette"])["src"] == second
    assert (
        next(p for p in client.get("/products", headers=JSON).get_json() if p["name"] == "Baguette")["image"] == second
    )
    demo = picture_on(soup(client.get("/", headers=BROWSER)), products["Rye Bread"])
    assert demo["src"].endswith(".svg") and not demo.has_attr("srcset")
