"""Staff keep the whole catalogue in the browser: the product form, pictures, retiring and categories."""

import io
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import select

from app.catalog.categories import list_categories
from app.catalog.pictures import MAX_BYTES
from app.extensions import db
from app.models import Category, Product
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, bake, post_order, sent_by
from tests.picture_tools import GPS_IFD, SVG, jpeg_with_gps, one_colour_png, picture_bytes, png_bomb

STAFF = {"username": "ana", "password": "secret-bread"}


@pytest.fixture
def uploads(tmp_path):
    return tmp_path / "uploads"


@pytest.fixture
def app(make_app, uploads):
    return make_app(UPLOAD_FOLDER=str(uploads))


@pytest.fixture
def staff_client(app, client):
    with app.app_context():
        create_staff(**STAFF)
    assert client.post("/staff/login", data=STAFF, headers=BROWSER).status_code == 303
    return client


@pytest.fixture
def csrf_client(make_app, uploads):
    """A client of an app that checks CSRF tokens, as production does, logged in through the real form."""
    app = make_app(UPLOAD_FOLDER=str(uploads), WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_staff(**STAFF)
    client = app.test_client()
    login = soup_of(client.get("/staff/login", headers=BROWSER)).select_one("#login-form")
    assert client.post(login["action"], data={**fields_of(login), **STAFF}, headers=BROWSER).status_code == 303
    return client


def soup_of(response):
    return BeautifulSoup(response.data, "html.parser")


def fields_of(form):
    """What a browser sends for `form`: {name: [values]} of its inputs, ticked boxes, selected options, text areas."""
    return sent_by(form.select("input[name], select[name], textarea[name]"))


def category_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Category.id).where(Category.name == name))


def product_named(app, name):
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.name == name))
        return product and {
            **product.to_dict(),
            "price": str(product.price),
            "stock": product.stock,
            "active": product.active,
        }


def catalogue(client):
    response = client.get("/products", headers=JSON)
    assert response.status_code == 200
    return {p["name"]: p for p in response.get_json()}


def new_product_form(client, **changes):
    """The /staff/products/new form as served, filled in with `changes` (lists for checkbox groups)."""
    page = client.get("/staff/products/new", headers=BROWSER)
    assert page.status_code == 200
    form = soup_of(page).select_one("form#product-form")
    return form["action"], {**fields_of(form), **changes}


def valid(app, **changes):
    return {
        "name": "Spelt Bun",
        "description": "Wholegrain spelt, a little honey.",
        "price": "2.40",
        "stock": "12",
        "category": str(category_id(app, "Breads")),
        "active": ["0", "1"],
        "allergens": ["gluten"],
        "may_contain": ["sesame"],
        "dietary": ["vegetarian"],
        **changes,
    }


def upload(data, name="photo.jpg", kind="image/jpeg"):
    return (io.BytesIO(data), name, kind)


def error_at(soup, field):
    message = soup.select_one(f"#{field}-error")
    return message.get_text(strip=True) if message else None


# The list


def test_the_list_shows_every_product_with_picture_category_allergens_in_words_and_edit_links(
    staff_client, products, add_product
):
    retired = add_product(name="Old Bun", active=False)
    soup = soup_of(staff_client.get("/staff/products", headers=BROWSER))
    assert soup.select_one("a#new-product")["href"] == "/staff/products/new"
    croissant = soup.select_one(f"#product-{products['Butter Croissant']}")
    assert croissant.select_one(".product-cell-picture img")["src"] == "/static/products/butter-croissant.svg"
    assert croissant.select_one(".product-category").get_text(strip=True) == "Viennoiserie"
    assert "Contains: Cereals containing gluten, Eggs, Milk" in croissant.select_one(".product-allergens").get_text()
    assert "May contain: Tree nuts" in croissant.select_one(".product-allergens").get_text()
    assert croissant.select_one("a.product-edit")["href"] == f"/staff/products/{products['Butter Croissant']}/edit"
    assert "not on sale" in soup.select_one(f"#product-{retired}").get_text()
    assert "No category" in soup.select_one(f"#product-{retired} .product-category").get_text()


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/staff/products/new"),
        ("post", "/staff/products/new"),
        ("get", "/staff/products/1/edit"),
        ("post", "/staff/products/1/edit"),
        ("post", "/staff/products/1/retire"),
        ("get", "/staff/categories"),
        ("post", "/staff/categories"),
        ("post", "/staff/categories/1"),
        ("post", "/staff/categories/1/move"),
    ],
)
def test_the_new_pages_are_for_staff_only(client, method, path):
    assert getattr(client, method)(path, headers=JSON).status_code == 401
    response = getattr(client, method)(path, headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/login")


# The form, with CSRF on, as a browser without JavaScript uses it


def test_the_new_product_form_has_every_field(csrf_client, products):
    soup = soup_of(csrf_client.get("/staff/products/new", headers=BROWSER))
    form = soup.select_one("form#product-form")
    assert form["enctype"] == "multipart/form-data" and form["method"] == "post"
    assert form.select_one("input[name=csrf_token]")["value"]
    for name in ("name", "price", "stock"):
        assert soup.select_one(f"label[for={name}]") and form.select_one(f"input#{name}[name={name}]")
    assert form.select_one("textarea#description[name=description]")
    assert [o.get_text() for o in form.select("select#category option")] == [
        "Choose a category…",
        "Breads",
        "Viennoiserie",
        "Cakes & tarts",
    ]
    assert form.select_one("input#active[type=checkbox][name=active]").has_attr("checked")
    assert form.select_one("input#picture[type=file][name=picture]")["accept"] == "image/jpeg,image/png,image/webp"
    contains = form.select("#allergens-field label.tick")
    assert len(contains) == 14 and contains[0].get_text(strip=True) == "Cereals containing gluten"
    assert len(form.select("#may_contain-field input[type=checkbox][name=may_contain]")) == 14
    assert [t.get_text(strip=True) for t in form.select("#dietary-field label.tick")] == ["Vegan", "Vegetarian"]


def test_staff_create_a_product_with_picture_and_allergens_and_customers_see_it(csrf_client, app, products, uploads):
    catalogue(csrf_client)  # the cache holds the catalogue from before
    action, data = new_product_form(csrf_client, **valid(app), picture=upload(picture_bytes("JPEG")))
    response = csrf_client.post(action, data=data, headers=BROWSER, content_type="multipart/form-data")
    assert response.status_code == 303
    created = product_named(app, "Spelt Bun")
    assert response.headers["Location"] == f"/staff/products?saved={created['id']}#product-{created['id']}"
    bun = catalogue(csrf_client)["Spelt Bun"]
    assert (bun["price"], bun["category"], bun["allergens"], bun["may_contain"], bun["dietary"]) == (
        2.40,
        "Breads",
        ["gluten"],
        ["sesame"],
        ["vegetarian"],
    )
    assert bun["image"].startswith("/uploads/products/") and bun["image"].endswith("-400.webp")
    picture = csrf_client.get(bun["image"])
    assert picture.status_code == 200 and picture.mimetype == "image/webp"
    assert {"public", "immutable", "max-age=31536000"} <= {
        d.strip() for d in picture.headers["Cache-Control"].split(",")
    }
    row = soup_of(csrf_client.get(response.headers["Location"], headers=BROWSER)).select_one(f"#product-{bun['id']}")
    assert row.select_one(".saved") and row.select_one("img")["src"] == bun["image"]


def test_staff_edit_every_field_and_the_picture_stays_when_none_is_chosen(csrf_client, app, products):
    product_id = products["Baguette"]
    page = soup_of(csrf_client.get(f"/staff/products/{product_id}/edit", headers=BROWSER))
    form = page.select_one("form#product-form")
    data = fields_of(form)
    assert data["name"] == ["Baguette"] and data["price"] == ["2.90"] and data["allergens"] == ["gluten"]
    assert data["category"] == [str(category_id(app, "Breads"))] and data["dietary"] == ["vegan", "vegetarian"]
    data.update(
        name="Baguette Tradition",
        description="Long ferment.",
        price="6,90",
        stock="7",
        category=str(category_id(app, "Viennoiserie")),
        allergens=["gluten"],
        may_contain=["sesame", "soy"],
        dietary=["vegetarian"],
        active=["0"],
    )
    response = csrf_client.post(
        form["action"],
        data={**data, "picture": upload(b"", name="")},
        headers=BROWSER,
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    edited = product_named(app, "Baguette Tradition")
    assert (edited["price"], edited["stock"], edited["category"], edited["may_contain"], edited["dietary"]) == (
        "6.90",
        7,
        "Viennoiserie",
        ["soy", "sesame"],
        ["vegetarian"],
    )
    assert edited["description"] == "Long ferment." and edited["active"] is False
    assert edited["image"] == "/static/products/baguette.svg"


def test_a_post_without_the_csrf_token_is_refused(csrf_client, app, products):
    response = csrf_client.post("/staff/products/new", data=valid(app), headers=BROWSER)
    assert response.status_code == 400
    assert product_named(app, "Spelt Bun") is None


# Every rule, at its field, with what was typed kept

FIELD_ERRORS = [
    ("name", "", "Give the product a name"),
    ("name", "x" * 121, "at most 120 characters"),
    ("name", "bAgUeTtE", "already a product called"),
    ("name", "Bun\x1b[31m", "control characters"),
    ("description", "d" * 1001, "at most 1000 characters"),
    ("price", "-1", "zero or more"),
    ("price", "3.505", "at most two decimals"),
    ("price", "abc", "A price like"),
    ("price", "", "A price like"),
    ("price", "9" * 40, "A price like"),
    ("stock", "²", "whole number"),
    ("stock", "-1", "whole number"),
    ("stock", "1.5", "whole number"),
    ("stock", "100001", "whole number"),
    ("stock", "9" * 40, "whole number"),
    ("category", "", "Choose a category"),
    ("category", "424242", "Choose a category"),
    ("category", "9" * 40, "Choose a category"),
]


@pytest.mark.parametrize("field, value, message", FIELD_ERRORS)
def test_each_invalid_field_is_refused_at_the_field_with_the_value_kept(
    staff_client, app, products, field, value, message
):
    response = staff_client.post("/staff/products/new", data=valid(app, **{field: value}), headers=BROWSER)
    assert response.status_code == 422
    soup = soup_of(response)
    assert message in error_at(soup, field)
    assert soup.select_one(f"#{field}")["aria-invalid"] == "true"
    kept = soup.select_one(f"#{field}")
    if kept.name == "textarea":
        assert kept.get_text() == value.replace("\x00", "\ufffd") or kept.get_text() == value
    elif kept.name == "input":
        assert kept["value"] in (value, value.replace("\x00", "\ufffd"))
    assert soup.select_one("input[name=name]")["value"] in (valid(app)["name"], value, value.replace("\x00", "\ufffd"))
    assert soup.select_one("input[name=allergens][value=gluten]").has_attr("checked")  # the ticks are kept too
    assert product_named(app, "Spelt Bun") is None


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"allergens": ["gluten", "milk"], "may_contain": ["milk"]}, "may_contain", "Milk is ticked as both"),
        ({"dietary": ["vegan"]}, "dietary", "vegetarian too"),
        ({"dietary": ["vegan", "vegetarian"], "allergens": ["gluten", "eggs"]}, "dietary", "can't contain eggs"),
        ({"allergens": ["gluten", "chocolate"]}, "allergens", "Not one of the choices"),
        ({"may_contain": ["x" * 5000]}, "may_contain", "Not one of the choices"),
        ({"dietary": ["keto"]}, "dietary", "Not one of the choices"),
    ],
)
def test_allergen_and_dietary_rules_are_refused_rather_than_guessed(
    staff_client, app, products, changes, field, message
):
    response = staff_client.post("/staff/products/new", data=valid(app, **changes), headers=BROWSER)
    assert response.status_code == 422
    soup = soup_of(response)
    assert message in error_at(soup, field)
    for group in ("allergens", "may_contain", "dietary"):
        ticked = [box["value"] for box in soup.select(f"input[name={group}][checked]")]
        assert ticked == [
            code for code in valid(app, **changes)[group] if soup.select_one(f"input[name={group}][value='{code}']")
        ]


def test_a_vegan_product_without_animal_allergens_is_fine(staff_client, app, products):
    response = staff_client.post(
        "/staff/products/new",
        headers=BROWSER,
        data=valid(app, dietary=["vegan", "vegetarian"], allergens=["gluten", "soy"]),
    )
    assert response.status_code == 303
    assert product_named(app, "Spelt Bun")["dietary"] == ["vegan", "vegetarian"]


def test_a_price_with_a_comma_is_accepted(staff_client, app, products):
    assert staff_client.post("/staff/products/new", data=valid(app, price="6,90"), headers=BROWSER).status_code == 303
    assert product_named(app, "Spelt Bun")["price"] == "6.90"


def test_a_name_taken_in_a_race_is_a_field_message_not_a_500(staff_client, app, products, monkeypatch):
    from app.catalog import editing

    monkeypatch.setattr(editing, "_name_taken", lambda name, product: False)  # the check saw nothing yet
    response = staff_client.post("/staff/products/new", data=valid(app, name="Baguette"), headers=BROWSER)
    assert response.status_code == 422
    assert "already a product called" in error_at(soup_of(response), "name")


def test_an_edit_refused_changes_nothing(staff_client, app, products):
    product_id = products["Lemon Tart"]
    response = staff_client.post(
        f"/staff/products/{product_id}/edit",
        headers=BROWSER,
        data=valid(app, name="Lemon Tart", price="4.5", allergens=["eggs"], may_contain=["eggs"]),
    )
    assert response.status_code == 422
    tart = product_named(app, "Lemon Tart")
    assert (tart["price"], tart["allergens"]) == ("4.20", ["gluten", "eggs", "milk"])
    assert soup_of(response).select_one("h1").get_text() == "Edit Lemon Tart"


def test_editing_an_unknown_product_is_a_404(staff_client):
    assert staff_client.get("/staff/products/424242/edit", headers=BROWSER).status_code == 404
    assert staff_client.get("/staff/products/99999999999999999999/edit", headers=BROWSER).status_code == 404


# htmx and JSON callers


def test_htmx_gets_the_form_fragment_at_422_and_a_redirect_after_saving(staff_client, app, products):
    refused = staff_client.post("/staff/products/new", data=valid(app, price="x"), headers=HTMX)
    assert refused.status_code == 422
    soup = soup_of(refused)
    assert soup.select_one("#product-editor form#product-form") and not soup.select_one("html")
    assert error_at(soup, "price")
    saved = staff_client.post("/staff/products/new", data=valid(app), headers=HTMX)
    assert saved.headers["HX-Redirect"].startswith("/staff/products?saved=")


def test_json_callers_create_and_edit_and_get_details_at_422(staff_client, app, products):
    body = {
        "name": "Rye Crispbread",
        "price": 3.1,
        "stock": 20,
        "category": "Breads",
        "allergens": ["gluten"],
        "may_contain": ["sesame"],
        "dietary": ["vegan", "vegetarian"],
    }
    created = staff_client.post("/staff/products/new", json=body, headers=JSON)
    assert created.status_code == 201
    product = created.get_json()
    assert (product["category"], product["allergens"], product["active"]) == ("Breads", ["gluten"], True)
    assert created.headers["Location"].startswith("/staff/products")
    edited = staff_client.post(
        f"/staff/products/{product['id']}/edit", json={**body, "allergens": ["gluten", "milk"]}, headers=JSON
    )
    assert edited.status_code == 422
    assert edited.get_json() == {
        "error": "Please check the highlighted fields.",
        "details": {"dietary": "A vegan product can't contain milk: untick vegan or the allergen."},
    }
    weird = staff_client.post(
        "/staff/products/new", json={"name": ["x"], "price": {"a": 1}, "allergens": "milk"}, headers=JSON
    )
    assert weird.status_code == 422 and set(weird.get_json()["details"]) >= {"name", "price", "stock", "category"}


# Pictures through the real form


@pytest.mark.parametrize("fmt, kind", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_a_real_picture_of_each_format_is_stored_and_served(staff_client, app, products, fmt, kind):
    data = valid(app, picture=upload(picture_bytes(fmt), name=f"bun.{fmt.lower()}", kind=kind))
    assert staff_client.post("/staff/products/new", data=data, headers=BROWSER).status_code == 303
    image = product_named(app, "Spelt Bun")["image"]
    served = staff_client.get(image)
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert "immutable" in served.headers["Cache-Control"]
    with Image.open(io.BytesIO(served.data)) as stored:
        assert stored.format == "WEBP" and stored.size == (400, 300)


@pytest.mark.parametrize(
    "data, name, kind, message",
    [
        (b"Just some words, not a picture.", "notes.jpg", "image/jpeg", "not a JPEG, PNG or WebP"),
        (SVG, "logo.svg", "image/svg+xml", "not a JPEG, PNG or WebP"),
        (
            picture_bytes("PNG", size=(400, 300)) + b"\0" * (6 * 1024 * 1024 - 2000),
            "big.png",
            "image/png",
            "at most 5 MB",
        ),
        (png_bomb(20000, 20000), "bomb.png", "image/png", "megapixels"),
    ],
)
def test_anything_but_a_real_picture_gets_a_message_at_the_picture_field(
    staff_client, app, products, uploads, data, name, kind, message
):
    if "5 MB" in message:
        assert len(data) > MAX_BYTES
    response = staff_client.post(
        "/staff/products/new", data=valid(app, picture=upload(data, name, kind)), headers=BROWSER
    )
    assert response.status_code == 422
    soup = soup_of(response)
    assert message in error_at(soup, "picture")
    assert soup.select_one("input[name=name]")["value"] == "Spelt Bun"  # everything else kept
    assert product_named(app, "Spelt Bun") is None
    assert not (uploads / "products").exists() or not any((uploads / "products").iterdir())


def test_a_picture_of_too_many_pixels_is_refused_at_the_field_and_nothing_stored(staff_client, app, products, uploads):
    png = one_colour_png(7070, 7070)  # 50 megapixels in about 200 KB
    response = staff_client.post(
        "/staff/products/new", data=valid(app, picture=upload(png, "big.png", "image/png")), headers=BROWSER
    )
    assert response.status_code == 422
    assert "7070×7070 pixels" in error_at(soup_of(response), "picture")
    assert "at most 25 megapixels" in error_at(soup_of(response), "picture")
    response = staff_client.post(
        "/staff/products/new", data=valid(app, picture=upload(png, "big.png", "image/png")), headers=JSON
    )
    assert response.status_code == 422
    assert "7070×7070 pixels" in response.get_json()["details"]["picture"]
    assert product_named(app, "Spelt Bun") is None
    assert not (uploads / "products").exists() or not any((uploads / "products").iterdir())


def test_the_pixel_budget_is_a_setting(make_app, uploads, products):
    app = make_app(UPLOAD_FOLDER=str(uploads), PICTURE_MAX_PIXELS=1_000_000)
    with app.app_context():
        create_staff(**STAFF)
    client = app.test_client()
    assert client.post("/staff/login", data=STAFF, headers=BROWSER).status_code == 303
    data = valid(app, picture=upload(picture_bytes("PNG", size=(1600, 1200)), "p.png", "image/png"))
    response = client.post("/staff/products/new", data=data, headers=BROWSER)
    assert response.status_code == 422
    assert "at most 1 megapixels" in error_at(soup_of(response), "picture")


def test_a_12_megapixel_phone_photo_is_accepted_through_the_form(staff_client, app, products, uploads):
    data = valid(app, picture=upload(picture_bytes("JPEG", size=(4000, 3000))))
    assert staff_client.post("/staff/products/new", data=data, headers=BROWSER).status_code == 303
    assert product_named(app, "Spelt Bun")["image"].startswith("/uploads/products/")


def test_location_data_in_a_photo_never_reaches_the_stored_files(staff_client, app, products, uploads):
    photo = jpeg_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)
    data = valid(app, picture=upload(photo))
    assert staff_client.post("/staff/products/new", data=data, headers=BROWSER).status_code == 303
    stored = sorted((uploads / "products").iterdir())
    assert len(stored) == 4
    for path in stored:
        raw = path.read_bytes()
        with Image.open(io.BytesIO(raw)) as picture:
            assert not picture.getexif() and "exif" not in picture.info
        assert b"PhoneMaker" not in raw and b"Exif" not in raw
    served = staff_client.get(product_named(app, "Spelt Bun")["image"])
    assert b"Exif" not in served.data


def test_a_picture_uploaded_with_a_mistake_elsewhere_is_kept_for_the_next_try(staff_client, app, products):
    response = staff_client.post(
        "/staff/products/new",
        headers=BROWSER,
        data=valid(app, price="x", picture=upload(picture_bytes("PNG"), "p.png", "image/png")),
    )
    assert response.status_code == 422
    form = soup_of(response).select_one("form#product-form")
    kept = form.select_one("input[name=picture_url]")["value"]
    assert kept.startswith("/uploads/products/") and form.select_one("img.picture-preview")["src"] == kept
    retry = fields_of(form)
    retry["price"] = ["2.40"]
    assert staff_client.post(form["action"], data=retry, headers=BROWSER).status_code == 303
    assert product_named(app, "Spelt Bun")["image"] == kept


def test_a_picture_url_that_was_not_stored_here_is_ignored(staff_client, app, products):
    data = valid(app, picture_url="https://evil.example/x.webp")
    assert staff_client.post("/staff/products/new", data=data, headers=BROWSER).status_code == 303
    assert product_named(app, "Spelt Bun")["image"] == ""


def test_a_body_far_over_the_limit_is_a_clean_413(staff_client, app, products):
    data = valid(app, picture=upload(b"\0" * (50 * 1024 * 1024), "huge.jpg"))
    response = staff_client.post("/staff/products/new", data=data, headers=BROWSER)
    assert response.status_code == 413
    assert soup_of(response).select_one(".error-page .error-code").get_text() == "413"
    data = valid(app, picture=upload(b"\0" * (50 * 1024 * 1024), "huge.jpg"))
    assert staff_client.post("/staff/products/new", data=data, headers=JSON).get_json()["error"]


def test_other_routes_keep_the_small_body_limit(client, products):
    response = client.post(
        "/cart/items", data={"product_id": "1", "quantity": "1", "x": "y" * (2 * 1024 * 1024)}, headers=BROWSER
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/uploads/../instance/secret_key",
        "/uploads/products/../../secret_key",
        "/uploads/products/notahash.webp",
        "/uploads/other/aaaaaaaaaaaaaaaaaaaa-400.webp",
        f"/uploads/products/{'a' * 20}-400.webp",
    ],
)
def test_uploads_serves_only_stored_picture_names(client, path):
    assert client.get(path).status_code == 404


# Retiring


def test_retiring_hides_the_product_from_the_shop_and_past_orders_keep_it(staff_client, app, products):
    product_id = products["Lemon Tart"]
    order = post_order(staff_client, [{"id": product_id, "quantity": 1}]).get_json()
    catalogue(staff_client)
    form = soup_of(staff_client.get(f"/staff/products/{product_id}/edit", headers=BROWSER)).select_one(
        "form.retire-form"
    )
    response = staff_client.post(form["action"], data=fields_of(form), headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/products?saved=")
    assert "Lemon Tart" not in catalogue(staff_client)
    assert staff_client.get(f"/products/{product_id}", headers=JSON).status_code == 404
    assert (
        "not on sale"
        in soup_of(staff_client.get("/staff/products", headers=BROWSER)).select_one(f"#product-{product_id}").get_text()
    )
    items = staff_client.get(f"/orders/{order['order_id']}", headers=JSON).get_json()["items"]
    assert [{k: item[k] for k in ("id", "name", "quantity", "unit_price")} for item in items] == [
        {"id": product_id, "name": "Lemon Tart", "quantity": 1, "unit_price": 4.20}
    ]


def test_retiring_answers_json_callers_with_the_product(staff_client, products):
    response = staff_client.post(f"/staff/products/{products['Baguette']}/retire", headers=JSON)
    assert response.status_code == 200 and response.get_json()["active"] is False


# Customers see every change on their next request


def test_an_allergen_change_alone_shows_in_the_next_catalogue_json(staff_client, app, products):
    product_id = products["Sourdough Loaf"]
    assert catalogue(staff_client)["Sourdough Loaf"]["may_contain"] == []
    form = soup_of(staff_client.get(f"/staff/products/{product_id}/edit", headers=BROWSER)).select_one(
        "form#product-form"
    )
    data = {**fields_of(form), "may_contain": ["sesame"]}
    assert staff_client.post(form["action"], data=data, headers=BROWSER).status_code == 303
    assert catalogue(staff_client)["Sourdough Loaf"]["may_contain"] == ["sesame"]
    assert staff_client.get(f"/products/{product_id}", headers=JSON).get_json()["may_contain"] == ["sesame"]


def test_a_new_picture_shows_in_the_next_catalogue_json(staff_client, app, products):
    product_id = products["Baguette"]
    before = catalogue(staff_client)["Baguette"]["image"]
    form = soup_of(staff_client.get(f"/staff/products/{product_id}/edit", headers=BROWSER)).select_one(
        "form#product-form"
    )
    data = {**fields_of(form), "picture": upload(picture_bytes("PNG", color=(1, 2, 3)), "b.png", "image/png")}
    assert staff_client.post(form["action"], data=data, headers=BROWSER).status_code == 303
    after = catalogue(staff_client)["Baguette"]["image"]
    assert after != before and after.startswith("/uploads/products/")


def test_a_category_rename_shows_in_the_next_catalogue_json(staff_client, app, products):
    assert catalogue(staff_client)["Baguette"]["category"] == "Breads"
    breads = category_id(app, "Breads")
    response = staff_client.post(f"/staff/categories/{breads}", data={"name": "Loaves"}, headers=BROWSER)
    assert response.status_code == 303
    assert catalogue(staff_client)["Baguette"]["category"] == "Loaves"


# Categories


def test_categories_are_listed_in_order_with_forms_to_rename_move_and_add(staff_client, app, products):
    soup = soup_of(staff_client.get("/staff/categories", headers=BROWSER))
    rows = soup.select(".category-list li.category-row")
    assert [row.select_one("input[name=name]")["value"] for row in rows] == ["Breads", "Viennoiserie", "Cakes & tarts"]
    assert rows[0].select_one("button[id^=move-up]").has_attr("disabled")
    assert rows[-1].select_one("button[id^=move-down]").has_attr("disabled")
    assert soup.select_one("form#category-add input[name=name]")
    assert soup.select_one(".staff-nav a[aria-current=page]").get_text() == "Categories"


def test_staff_add_a_category_with_csrf_on_and_it_goes_last(csrf_client, products):
    form = soup_of(csrf_client.get("/staff/categories", headers=BROWSER)).select_one("form#category-add")
    response = csrf_client.post(form["action"], data={**fields_of(form), "name": "  Seasonal  "}, headers=BROWSER)
    assert response.status_code == 303
    names = [
        r.select_one("input[name=name]")["value"]
        for r in soup_of(csrf_client.get(response.headers["Location"], headers=BROWSER)).select(".category-row")
    ]
    assert names == ["Breads", "Viennoiserie", "Cakes & tarts", "Seasonal"]
    options = soup_of(csrf_client.get("/staff/products/new", headers=BROWSER)).select("select#category option")
    assert options[-1].get_text() == "Seasonal"


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Give the category a name"),
        ("   ", "Give the category a name"),
        ("x" * 61, "at most 60 characters"),
        ("breads", "already a category called"),
    ],
)
def test_a_bad_category_name_is_refused_at_the_field_with_the_value_kept(staff_client, app, products, name, message):
    response = staff_client.post("/staff/categories", data={"name": name}, headers=BROWSER)
    assert response.status_code == 422
    soup = soup_of(response)
    assert message in soup.select_one("#new-category-error").get_text()
    assert soup.select_one("#new-category")["value"] in (name, name.replace("\x00", "\ufffd"))
    with app.app_context():
        assert len(list_categories()) == 3


def test_a_rename_to_a_taken_name_is_refused_at_that_row(staff_client, app, products):
    cakes = category_id(app, "Cakes & tarts")
    response = staff_client.post(f"/staff/categories/{cakes}", data={"name": "VIENNOISERIE"}, headers=HTMX)
    assert response.status_code == 422
    row = soup_of(response).select_one(f"#category-{cakes}")
    assert "already a category called" in row.select_one(f"#category-error-{cakes}").get_text()
    assert row.select_one("input[name=name]")["value"] == "VIENNOISERIE"


def test_moving_a_category_up_and_down_changes_the_order(staff_client, app, products):
    cakes = category_id(app, "Cakes & tarts")
    response = staff_client.post(f"/staff/categories/{cakes}/move", data={"direction": "up"}, headers=HTMX)
    assert response.status_code == 200
    assert [r.select_one("input[name=name]")["value"] for r in soup_of(response).select(".category-row")] == [
        "Breads",
        "Cakes & tarts",
        "Viennoiserie",
    ]
    staff_client.post(f"/staff/categories/{cakes}/move", data={"direction": "up"}, headers=BROWSER)
    staff_client.post(f"/staff/categories/{cakes}/move", data={"direction": "up"}, headers=BROWSER)  # already first
    listed = staff_client.get("/staff/categories", headers=JSON).get_json()
    assert [c["name"] for c in listed] == ["Cakes & tarts", "Breads", "Viennoiserie"]
    bad = staff_client.post(f"/staff/categories/{cakes}/move", data={"direction": "sideways"}, headers=JSON)
    assert bad.status_code == 422


def test_json_callers_add_and_rename_categories(staff_client, products):
    added = staff_client.post("/staff/categories", json={"name": "Seasonal"}, headers=JSON)
    assert added.status_code == 201 and added.get_json()["name"] == "Seasonal"
    renamed = staff_client.post(f"/staff/categories/{added.get_json()['id']}", json={"name": "Festive"}, headers=JSON)
    assert renamed.get_json()["name"] == "Festive"
    refused = staff_client.post("/staff/categories", json={"name": "festive"}, headers=JSON)
    assert refused.status_code == 422 and "name" in refused.get_json()["details"]
    assert staff_client.post("/staff/categories/424242", json={"name": "X"}, headers=JSON).status_code == 404


def test_a_bakery_starting_empty_sets_up_its_catalogue_in_the_browser(staff_client, app):
    soup = soup_of(staff_client.get("/staff/products/new", headers=BROWSER))
    assert soup.select_one("a[href='/staff/categories']")  # no categories yet: the form says where to add one
    assert staff_client.post("/staff/categories", data={"name": "Breads"}, headers=BROWSER).status_code == 303
    assert staff_client.post("/staff/products/new", data=valid(app), headers=BROWSER).status_code == 303
    assert list(catalogue(staff_client)) == ["Spelt Bun"]


WEEK = {f"amount_{day}": "24" for day in range(5)} | {"amount_5": "48", "amount_6": ""}


def test_staff_make_a_product_baked_daily_with_weekday_amounts_and_a_lead_time(staff_client, app, products):
    response = staff_client.post(
        "/staff/products/new", data=valid(app, kind="baked", lead_hours="48", **WEEK), headers=BROWSER
    )
    assert response.status_code == 303
    bun = staff_client.get("/staff/products", headers=JSON).get_json()[-1]
    assert (bun["name"], bun["kind"], bun["lead_hours"]) == ("Spelt Bun", "baked", 48)
    assert bun["weekday_amounts"] == [24, 24, 24, 24, 24, 48, None]
    form = soup_of(staff_client.get(f"/staff/products/{bun['id']}/edit", headers=BROWSER)).select_one(
        "form#product-form"
    )
    assert form.select_one("input[name=kind][value=baked]").has_attr("checked")
    assert form.select_one("#amount_5")["value"] == "48" and form.select_one("#amount_6")["value"] == ""
    assert form.select_one("#lead_hours")["value"] == "48"
    assert form.select_one("#amounts-field legend").get_text(strip=True).startswith("Baked each day")
    # Stocked: the amounts sent are ignored (both groups are on the page without JavaScript).
    edited = staff_client.post(
        f"/staff/products/{bun['id']}/edit",
        data=valid(app, kind="stocked", amount_0="lots", lead_hours="", version=bun["version"]),
        headers=BROWSER,
    )
    assert edited.status_code == 303
    bun = staff_client.get("/staff/products", headers=JSON).get_json()[-1]
    assert (bun["kind"], bun["lead_hours"]) == ("stocked", None)
    refused = staff_client.post(
        f"/staff/products/{bun['id']}/edit",
        data=valid(app, kind="baked", amount_2="lots", lead_hours="-1", version=bun["version"]),
        headers=BROWSER,
    )
    assert refused.status_code == 422
    page = soup_of(refused)
    assert "none baked that day" in page.select_one("#amount_2-error").get_text()
    assert page.select_one("#amount_2")["aria-invalid"] == "true"
    assert page.select_one("#lead_hours")["aria-invalid"] == "true"
    odd = staff_client.post(
        f"/staff/products/{bun['id']}/edit", data=valid(app, kind="frozen", version=bun["version"]), headers=BROWSER
    )
    assert odd.status_code == 422
    assert "baked daily or stocked" in soup_of(odd).select_one("#kind-error").get_text()


def test_the_products_table_says_how_each_product_is_counted(staff_client, app, products, monkeypatch):
    monkeypatch.setattr("app.bakery_calendar.service.now", lambda: datetime(2026, 11, 30, 8, 0))  # a Monday
    bake(app, products["Baguette"], {0: 24, 5: 48})
    page = soup_of(staff_client.get("/staff/products", headers=BROWSER))
    assert "Baked daily: Mon 24, Sat 48" in page.select_one(f"#product-{products['Baguette']} .product-kind").get_text()
    assert page.select_one(f"#product-{products['Lemon Tart']} .product-kind").get_text(strip=True) == "Stocked"
    listed = {p["id"]: p for p in staff_client.get("/staff/products", headers=JSON).get_json()}
    baguette = listed[products["Baguette"]]
    assert baguette["kind"] == "baked" and baguette["weekday_amounts"] == [24, None, None, None, None, 48, None]
    assert baguette["available"] == 24  # what is left for the day the shop takes orders for: Monday
