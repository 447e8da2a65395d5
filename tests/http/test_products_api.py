"""GET /products and /products/<id>: JSON for API clients, HTML for browsers."""

from bs4 import BeautifulSoup

from tests.helpers import BROWSER, JSON


def test_products_json_has_the_promised_fields(client, products):
    response = client.get("/products", headers=JSON)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert len(body) == len(products)
    for product in body:
        assert {"id", "name", "price", "image"} <= product.keys()
    croissant = next(p for p in body if p["name"] == "Butter Croissant")
    assert croissant["price"] == 2.80
    assert isinstance(croissant["price"], float)
    assert croissant["image"] == "/static/products/butter-croissant.svg"


def test_curl_default_accept_gets_json(client, products):
    response = client.get("/products", headers={"Accept": "*/*"})
    assert response.mimetype == "application/json"
    assert len(response.get_json()) == len(products)


def test_no_accept_header_gets_json(client, products):
    response = client.get("/products", headers={})
    assert response.mimetype == "application/json"


def test_browser_gets_an_html_page_listing_products(client, products):
    response = client.get("/products", headers=BROWSER)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    page = BeautifulSoup(response.data, "html.parser")
    names = [tag.get_text(strip=True) for tag in page.select(".product-card .product-name")]
    assert sorted(names) == sorted(products)
    # Grouped on shelves in the staff's order of categories.
    assert [h.get_text(strip=True) for h in page.select(".shelf-name")] == ["Breads", "Viennoiserie", "Cakes & tarts"]
    breads = page.select_one(".shelf").select(".product-name")
    assert {tag.get_text(strip=True) for tag in breads} == {"Sourdough Loaf", "Baguette", "Rye Bread"}
    for img in page.select(".product-card img"):
        assert img["alt"]


def test_inactive_products_are_not_listed(client, add_product):
    add_product(name="Shown Bun")
    add_product(name="Hidden Bun", active=False)
    names = [p["name"] for p in client.get("/products", headers=JSON).get_json()]
    assert names == ["Shown Bun"]


def test_one_product_as_json(client, products):
    product_id = products["Rye Bread"]
    response = client.get(f"/products/{product_id}", headers=JSON)
    assert response.status_code == 200
    assert response.get_json()["name"] == "Rye Bread"
    assert response.get_json()["price"] == 5.80


def test_one_product_as_page(client, products):
    response = client.get(f"/products/{products['Baguette']}", headers=BROWSER)
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one("h1.product-name").get_text(strip=True) == "Baguette"


def test_unknown_product_is_a_json_404(client, products):
    response = client.get("/products/99999", headers=JSON)
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_unknown_product_is_a_readable_page_for_browsers(client):
    response = client.get("/products/99999", headers=BROWSER)
    assert response.status_code == 404
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one(".error-page h1")


def test_product_names_are_escaped_in_pages(client, add_product):
    add_product(name="<script>alert(1)</script> Bun")
    page = BeautifulSoup(client.get("/products", headers=BROWSER).data, "html.parser")
    assert page.select("script:not([src])") == []  # only the htmx file, no script from a name
    assert "<script>alert(1)</script> Bun" in page.select_one(".product-name").get_text()
