"""The speed-ups that lean on library internals (app/speedups.py): one setting, the same answers either way.

CI runs the whole suite with SPEEDUPS on and off; these tests pin the setting itself and
what each speed-up must keep, side by side in one run.
"""

import uuid

import pytest
from flask import Flask

from app import speedups
from app.config import load_config
from tests.helpers import JSON, post_order


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
