"""Text that staff read as typed: no control characters, no characters that turn the writing direction
round (a name could otherwise show on the staff board as something else), one plain email address."""

import pytest
from bs4 import BeautifulSoup

from app.security.text_rules import unfit_characters
from tests.helpers import BROWSER, JSON
from tests.helpers import checkout_fields as checkout_form

BIDI_CONTROLS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI_CONTROLS += ["\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize("mark", BIDI_CONTROLS)
def test_every_direction_control_is_unfit(mark):
    assert unfit_characters(f"Ada{mark}gpj.exe") == "characters that change the writing direction"
    assert unfit_characters(f"line one\n{mark}line two", line_breaks=True) is not None


def test_plain_text_in_any_script_is_fit():
    assert unfit_characters("Zoë Müller-Łukasz, 李雷, محمد, שלום") is None
    assert unfit_characters("two\nlines", line_breaks=True) is None
    assert unfit_characters("two\nlines") == "control characters"


def api_order(client, products, customer=None, note=None):
    body = {"items": [{"id": products["Baguette"], "quantity": 1}]}
    body |= {"customer": customer} if customer else {}
    body |= {"note": note} if note else {}
    return client.post("/orders", json=body, headers=JSON)


def test_a_name_that_turns_the_text_round_is_refused(client, products):
    response = api_order(client, products, {"name": "Ada \u202egnp.exe", "email": "ada@example.com"})
    assert response.status_code == 422
    assert "writing direction" in response.get_json()["details"]["customer.name"]


def test_a_note_with_an_isolate_is_refused(client, products):
    response = api_order(client, products, {"name": "Ada", "email": "ada@example.com"}, note="Ring \u2067twice\u2069")
    assert response.status_code == 422
    assert "writing direction" in response.get_json()["details"]["note"]


def checkout_fields(client, products, **typed):
    fields = checkout_form(client, products["Baguette"])
    return fields | {"name": "Ada", "contact": "ada@example.com", "note": ""} | typed


@pytest.mark.parametrize(
    "typed, field",
    [
        ({"name": "Ada\u200f"}, "name"),
        ({"note": "\u202dleave at the door"}, "note"),
        ({"contact": "postmaster,root,victim@example.com"}, "contact"),
        ({"contact": "<ada@example.com>"}, "contact"),
    ],
)
def test_the_checkout_says_so_at_the_field(client, products, typed, field):
    response = client.post("/orders", data=checkout_fields(client, products, **typed), headers=BROWSER)
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one(f"#{field}-error").get_text(strip=True)


def test_the_checkout_keeps_an_address_as_one_mailbox(app, client, products):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Order

    response = client.post(
        "/orders", data=checkout_fields(client, products, contact="Ada.Lovelace@Example.COM"), headers=BROWSER
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Order.customer_email)) == "ada.lovelace@example.com"
        assert db.session.scalar(select(Order.customer_contact)) == "Ada.Lovelace@Example.COM"


def test_a_closure_note_customers_see_is_checked_too(staff_client):
    data = {"first_day": "2026-12-24", "note": "Merry \u202eChristmas"}
    response = staff_client.post("/staff/calendar/closures", data=data, headers=BROWSER)
    assert response.status_code == 422
    assert "writing direction" in BeautifulSoup(response.data, "html.parser").select_one("#note-error").get_text()


def test_a_category_name_is_checked_in_the_same_place(staff_client):
    response = staff_client.post("/staff/categories", data={"name": "Bre\u2066ad"}, headers=BROWSER)
    assert response.status_code == 422
    assert "writing direction" in BeautifulSoup(response.data, "html.parser").get_text()
