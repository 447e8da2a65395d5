"""The session cookie (app/web/cookie_session.py): Flask's own format, cheaper without a cookie."""

from tests.helpers import JSON


def add_to_cart(client, product_id, quantity=2):
    return client.post("/cart/items", data={"product_id": product_id, "quantity": quantity}, headers=JSON)


def cart_lines(client):
    return {line["id"]: line["quantity"] for line in client.get("/cart", headers=JSON).get_json()["items"]}


def test_a_visitor_without_a_cookie_gets_none_and_the_answer_varies_on_cookies(client, products):
    response = client.get("/products", headers=JSON)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" in [part.strip() for part in response.headers["Vary"].split(",")]


def test_a_cart_lives_in_the_signed_cookie_from_request_to_request(client, products):
    assert add_to_cart(client, products["Baguette"]).status_code in (200, 201)
    assert client.get_cookie("session") is not None
    assert cart_lines(client) == {products["Baguette"]: 2}


def test_a_tampered_cookie_is_an_empty_session_not_an_error(client, products):
    add_to_cart(client, products["Baguette"])
    value = client.get_cookie("session").value
    client.set_cookie("session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    response = client.get("/cart", headers=JSON)
    assert response.status_code == 200
    assert response.get_json()["items"] == []


def test_a_new_secret_key_keeps_carts_signed_with_the_old_one_in_the_fallbacks(app, client, products):
    add_to_cart(client, products["Baguette"])
    old = app.secret_key
    app.config.update(SECRET_KEY="a-brand-new-key", SECRET_KEY_FALLBACKS=[old])
    assert cart_lines(client) == {products["Baguette"]: 2}
    app.config.update(SECRET_KEY_FALLBACKS=[])
    assert cart_lines(client) == {}
