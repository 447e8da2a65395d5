"""The rules of a line's options (app/catalog/options.py), without a database: what each type takes,
defaults, the unit price (never below 0), the extra notice and the allergens a choice adds."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.catalog.options import _priced, choose, extra_lead_hours


def choice(choice_id, name, delta="0", default=False, lead=0, allergens=(), counts_as=1):
    return SimpleNamespace(
        id=choice_id,
        name=name,
        price_delta=Decimal(delta),
        is_default=default,
        extra_lead_hours=lead,
        allergens=list(allergens),
        may_contain=[],
        counts_as=counts_as,
    )


def option(option_id, name, kind, choices=(), required=False, max_length=None):
    return SimpleNamespace(
        id=option_id, name=name, type=kind, required=required, max_length=max_length, active_choices=list(choices)
    )


SIZE = option(1, "Size", "one", [choice(11, "6″", default=True), choice(12, "10″", "16", lead=24, counts_as=2)], True)
TOPPING = option(2, "Topping", "any", [choice(21, "Walnuts", "0.60", allergens=["nuts"]), choice(22, "Honey", "-40")])
SLICED = option(3, "Sliced", "yes_no")
TEXT = option(4, "Inscription", "text", max_length=10)
CAKE = [SIZE, TOPPING, SLICED, TEXT]


def price(sent, base="28.00"):
    answer, problems = choose(CAKE, sent)
    assert problems == []
    return _priced(1, 1, Decimal(base), answer)


def test_nothing_sent_takes_the_one_of_default_only():
    line = price({})
    assert [(c.option_name, c.choice_name) for c in line.chosen] == [("Size", "6″")]
    assert (line.unit_price, line.extra_lead_hours, line.counts_as) == (Decimal("28.00"), 0, 1)


def test_choices_add_their_price_notice_allergens_and_what_they_count_as():
    line = price({"1": 12, "2": [21], "3": True, "4": "Mia"})
    assert line.unit_price == Decimal("44.60")
    assert (line.extra_lead_hours, line.allergens, line.counts_as) == (24, ("nuts",), 2)
    assert [(c.choice_name, c.text) for c in line.chosen] == [
        ("10″", None),
        ("Walnuts", None),
        ("Yes", None),
        (None, "Mia"),
    ]
    assert extra_lead_hours([line, price({})]) == {1: 24}


def test_a_price_never_goes_below_zero():
    assert price({"2": [22]}).unit_price == Decimal("0.00")


def test_a_text_is_kept_as_typed_and_blank_is_none():
    assert price({"4": " Mia  "}).chosen[-1].text == " Mia  "
    assert len(price({"4": "   "}).chosen) == 1


@pytest.mark.parametrize(
    "sent, option_id, words",
    [
        ({"1": [11, 12]}, 1, "only one"),
        ({"1": [11]}, 1, "not a list"),
        ({"1": True}, 1, "choice id"),
        ({"1": 21}, 1, "no such choice"),
        ({"2": 21}, 2, "list of choice ids"),
        ({"2": [21, 21]}, 2, "at most once"),
        ({"3": 1}, 3, "true or false"),
        ({"4": "x" * 11}, 4, "at most 10"),
        ({"4": "a\u2066b"}, 4, "writing direction"),
        ({"4": "a\nb"}, 4, "control"),
        ({"4": ["Mia"]}, 4, "text"),
        ({"9": 1}, 9, "no such option"),
        ({"x": 1}, "x", "no such option"),
        ({"01": 1}, "01", "no such option"),
    ],
)
def test_what_each_type_refuses(sent, option_id, words):
    _answer, problems = choose(CAKE, sent)
    assert [p["option_id"] for p in problems] == [option_id]
    assert words in problems[0]["error"]


def test_a_required_option_without_a_default_must_be_sent_and_a_product_without_options_takes_none():
    no_default = option(5, "Filling", "one", [choice(51, "Lemon")], required=True)
    assert choose([no_default], {})[1] == [{"option_id": 5, "error": "required: choose one"}]
    assert choose([], {"5": 51})[1] == [{"option_id": 5, "error": "this product has no options"}]
    assert choose([], {})[1] == []
