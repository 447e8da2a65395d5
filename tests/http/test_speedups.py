"""The speed-ups that lean on library internals (app/speedups.py): one setting, the same answers either way.

CI runs the whole suite with SPEEDUPS on and off; these tests pin the setting itself and
what each speed-up must keep, side by side in one run.
"""

import uuid

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from app import speedups
from app.config import load_config
from tests.helpers import BROWSER, JSON, post_order


@pytest.mark.parametrize(
    ("setting", "expected"), [(None, True), ("1", True), ("yes", True), (" ON ", True), ("0", False), ("off", False)]
)
def test_the_speedups_are_on_unless_switched_off(tmp_path, setting, expected):
    env = {} if setting is None else {"SPEEDUPS": setting}
    assert load_config(tmp_path, env=env)["SPEEDUPS"] is expected


def test_a_word_that_is_neither_yes_nor_no_stops_the_app_at_start(tmp_path):
    with pytest.raises(ValueError, match="SPEEDUPS must be 1 or 0"):
        load_config(tmp_path, env={"SPEEDUPS": "fast"})


def limiter_hooks(app):
    """The hooks Flask-Limiter added that run as it added them (not wrapped by the speed-up)."""
    limiter = app.extensions["rate_limiter"]
    return [
        hook
        for list_name in speedups.LIMITER_HOOK_LISTS
        for hook in getattr(app, list_name)[None]
        if speedups._belongs_to(hook, limiter)
    ]


@pytest.mark.parametrize("on", [True, False], ids=["speedups", "public-apis"])
def test_limits_count_and_show_the_same_with_and_without_the_speedups(make_app, products, on):
    app = make_app(SPEEDUPS=on, ORDER_RATE_LIMIT="2/minute", RATELIMIT_KEY_PREFIX=f"test-speedups-{uuid.uuid4().hex}")
    client = app.test_client()
    answers = [post_order(client, [{"id": products["Baguette"], "quantity": 1}], headers=JSON) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"
    assert "error" in answers[2].get_json()
    listing = client.get("/products", headers=JSON)
    assert listing.status_code == 200
    assert not [name for name, _ in listing.headers if name.lower().startswith("x-ratelimit")]
    # With the speed-ups, each of the limiter's three hooks is wrapped; without, all run as added.
    assert len(limiter_hooks(app)) == (0 if on else 3)


def test_a_limiter_that_adds_its_hooks_differently_stops_the_app_at_start():
    """After an upgrade that changes how Flask-Limiter hooks in, the app says so instead of misbehaving."""
    with pytest.raises(RuntimeError, match="SPEEDUPS=0"):
        speedups.limit_hooks_to_limited_views(Flask(__name__), object(), lambda: True)


@pytest.mark.parametrize(
    "payload", ["a" * 40, {"csrf_token": "0123456789abcdef" * 3}, {"cart": {"1": 2}} | {"x": "y" * 300}]
)
def test_small_and_large_signed_values_read_both_ways(payload):
    ours = speedups.SmallPayloadSerializer("key", salt="s")
    stock = URLSafeTimedSerializer("key", salt="s")
    assert stock.loads(ours.dumps(payload)) == payload
    assert ours.loads(stock.dumps(payload)) == payload


def test_signatures_are_the_same_as_itsdangerous_makes():
    ours = speedups.SmallPayloadSerializer(["old", "new"], salt="s", signer_kwargs={"key_derivation": "hmac"})
    stock = URLSafeTimedSerializer(["old", "new"], salt="s", signer_kwargs={"key_derivation": "hmac"})
    for _ in range(3):  # the second time from the remembered key
        signed = ours.dumps("0123456789abcdef")
        value, _, signature = signed.rpartition(".")
        assert stock.make_signer().get_signature(value).decode() == signature
    old_only = URLSafeTimedSerializer("old", salt="s", signer_kwargs={"key_derivation": "hmac"})
    assert ours.loads(old_only.dumps("x")) == "x"  # a value signed with a fallback key still reads


def test_only_large_values_are_compressed():
    ours = speedups.SmallPayloadSerializer("key", salt="s")
    assert not ours.dumps("a" * (speedups.COMPRESS_FROM - 10)).startswith(".")
    assert ours.dumps("a" * (speedups.COMPRESS_FROM * 2)).startswith(".")


@pytest.mark.parametrize(("before", "after"), [(True, False), (False, True)], ids=["switched-off", "switched-on"])
def test_switching_the_setting_keeps_every_visitor_s_cart_and_form(make_app, products, before, after):
    """A deploy that switches SPEEDUPS (or a rolling one with both) loses no cart and refuses no form."""
    first = make_app(SPEEDUPS=before, WTF_CSRF_ENABLED=True)
    client = first.test_client()
    form = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser").select_one(
        f"#product-{products['Baguette']} form.add-to-cart"
    )
    data = {field["name"]: field["value"] for field in form.select("input[name]")}
    assert client.post("/cart/items", data=data, headers=BROWSER).status_code == 303
    cookie = client.get_cookie("session").value
    second = make_app(SPEEDUPS=after, WTF_CSRF_ENABLED=True).test_client()
    second.set_cookie("session", cookie)
    assert second.post("/cart/items", data=data, headers=BROWSER).status_code == 303  # the same token
    lines = {line["id"]: line["quantity"] for line in second.get("/cart", headers=JSON).get_json()["items"]}
    assert lines == {products["Baguette"]: 2}


@pytest.mark.parametrize("on", [True, False], ids=["speedups", "public-apis"])
def test_unusual_hooks_and_per_request_callbacks_still_run(make_app, on):
    from flask import after_this_request

    app = make_app(SPEEDUPS=on)
    calls = []

    @app.get("/test-hooks")
    def with_a_callback():
        @after_this_request
        def count(response):  # a new function each request
            calls.append(1)
            return response

        return "ok"

    class Hook:
        __hash__ = None  # unhashable: Flask's own check every time

        def __call__(self, response):
            response.headers["X-Hooked"] = "yes"
            return response

    app.after_request(Hook())
    client = app.test_client()
    for _ in range(3):
        response = client.get("/test-hooks")
        assert response.status_code == 200 and response.data == b"ok"
        assert response.headers["X-Hooked"] == "yes"
    assert len(calls) == 3
