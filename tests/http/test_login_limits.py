"""Password guessing: per account across addresses (known devices still log in), bursts, Redis down, password change.

The limits are hit before the password is checked, so a guess past them is never checked.
Each app has a key prefix of its own, so counts never leak between tests on the shared Redis.
"""

import threading
import time
import uuid

import pytest
from bs4 import BeautifulSoup

from app.staff import passwords
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, Clock

ANA_PASSWORD = "secret-bread"
COUNTER = {"REMOTE_ADDR": "192.0.2.50"}  # the bakery's own counter
ATTACKERS = [{"REMOTE_ADDR": f"203.0.113.{n}"} for n in range(1, 21)]


@pytest.fixture
def limited_app(make_app):
    """An app with the shipped default login limits and a key prefix of its own."""

    def factory(**overrides):
        settings = {
            "LOGIN_RATE_LIMIT": "10/15 minutes",
            "LOGIN_CLIENT_RATE_LIMIT": "30/15 minutes",
            "LOGIN_ACCOUNT_RATE_LIMIT": "20/15 minutes;40/hour;100/day",
            "PASSWORD_CHANGE_RATE_LIMIT": "5/15 minutes;20/day",
            "RATELIMIT_KEY_PREFIX": f"test-logins-{uuid.uuid4().hex}",
            **overrides,
        }
        app = make_app(**settings)
        with app.app_context():
            create_staff("ana", ANA_PASSWORD)
        return app

    return factory


@pytest.fixture
def password_checks(monkeypatch):
    """Counts the password checks (argon2 verify calls); each sleeps 50 ms, standing in for a real argon2id check."""
    checks = []
    real_verify = passwords.verify

    def counted(stored_hash, password):
        checks.append(password)
        time.sleep(0.05)
        return real_verify(stored_hash, password)

    monkeypatch.setattr(passwords, "verify", counted)
    return checks


def login(client, environ, password="guess", username="ana", headers=BROWSER):
    return client.post(
        "/staff/login", data={"username": username, "password": password}, headers=headers, environ_base=environ
    )


def logged_in(client, environ):
    return client.get("/staff/orders", headers=BROWSER, environ_base=environ).status_code == 200


def spray(app, guesses_per_address):
    """Wrong passwords for ana from 20 addresses, each from a fresh browser; the status codes."""
    return [
        login(app.test_client(), address, password=f"guess-{n}").status_code
        for n in range(guesses_per_address)
        for address in ATTACKERS
    ]


def test_spraying_one_account_from_twenty_addresses_checks_at_most_the_account_limit(limited_app, password_checks):
    app = limited_app()
    codes = spray(app, guesses_per_address=3)
    assert codes.count(422) == 20
    assert codes.count(429) == 40
    assert len(password_checks) == 20  # past the limit no password is checked
    refused = login(app.test_client(), ATTACKERS[0], headers=JSON)
    assert refused.status_code == 429
    assert "Too many failed logins for this account" in refused.get_json()["error"]
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60


def test_past_the_account_limit_the_right_password_from_an_unknown_device_is_refused(limited_app, password_checks):
    app = limited_app()
    spray(app, guesses_per_address=1)
    checked = len(password_checks)
    stranger = app.test_client()
    wrong, right = login(stranger, COUNTER, password="guess-x"), login(stranger, COUNTER, password=ANA_PASSWORD)
    assert (wrong.status_code, right.status_code) == (429, 429)  # the same answer either way
    assert "Retry-After" in right.headers
    page = BeautifulSoup(right.data, "html.parser")
    assert "Too many failed logins for this account" in page.select_one("#login-error").get_text()
    assert page.select_one("#login-form input[name=username]")["value"] == "ana"
    assert not logged_in(stranger, COUNTER)
    assert len(password_checks) == checked


def test_past_the_account_limit_the_owner_logs_in_from_a_device_that_logged_in_before(limited_app):
    app = limited_app()
    counter = app.test_client()
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 303
    device_cookie = counter.get_cookie("bakery_device", path="/staff/login")
    assert device_cookie is not None and device_cookie.http_only
    counter.post("/staff/logout", headers=BROWSER, environ_base=COUNTER)
    assert spray(app, guesses_per_address=2).count(429) == 20
    assert login(counter, COUNTER, password="typo").status_code == 422  # checked: a known device
    response = login(counter, COUNTER, password=ANA_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/orders"
    assert logged_in(counter, COUNTER)


def test_a_forged_cookie_or_another_accounts_device_is_an_unknown_device(limited_app):
    app = limited_app()
    with app.app_context():
        create_staff("ben", "crusty-rye-loaf")
    counter, bens_phone = app.test_client(), app.test_client()
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 303
    assert login(bens_phone, ATTACKERS[0], username="ben", password="crusty-rye-loaf").status_code == 303
    spray(app, guesses_per_address=1)
    # ben's phone knows ben, not ana: the right password for ana from it is not checked.
    assert login(bens_phone, ATTACKERS[0], password=ANA_PASSWORD).status_code == 429
    edited = counter.get_cookie("bakery_device", path="/staff/login").value[:-3] + "xyz"
    thief = app.test_client()
    thief.set_cookie("bakery_device", edited, path="/staff/login")
    assert login(thief, COUNTER, password=ANA_PASSWORD).status_code == 429


def test_a_stolen_device_cookie_has_its_own_account_limit(limited_app):
    app = limited_app(LOGIN_RATE_LIMIT="", LOGIN_CLIENT_RATE_LIMIT="")
    counter = app.test_client()
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 303
    cookie = counter.get_cookie("bakery_device", path="/staff/login").value
    thief = app.test_client()
    thief.set_cookie("bakery_device", cookie, path="/staff/login")
    codes = [login(thief, ATTACKERS[n % 20], password=f"guess-{n}").status_code for n in range(25)]
    assert codes == [422] * 20 + [429] * 5


def test_a_device_is_known_for_login_known_device_days(limited_app):
    clock = Clock()
    app = limited_app(LOGIN_KNOWN_DEVICE_DAYS=90, STAFF_CLOCK=clock)
    counter = app.test_client()
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 303
    assert counter.get_cookie("bakery_device", path="/staff/login").max_age == 90 * 86400
    counter.post("/staff/logout", headers=BROWSER, environ_base=COUNTER)
    spray(app, guesses_per_address=1)
    clock.advance(days=89)
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 303  # and the cookie starts again
    counter.post("/staff/logout", headers=BROWSER, environ_base=COUNTER)
    clock.advance(days=91)
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 429


def test_a_burst_of_concurrent_guesses_checks_at_most_the_limit(limited_app, password_checks):
    app = limited_app(LOGIN_RATE_LIMIT="10/15 minutes")
    start = threading.Barrier(30)
    codes = []

    def guess(n):
        client = app.test_client()
        start.wait()
        codes.append(login(client, ATTACKERS[0], password=f"guess-{n}").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes) == [422] * 10 + [429] * 20
    assert len(password_checks) == 10


def test_with_the_limiter_storage_down_logins_are_counted_in_the_process(limited_app, password_checks):
    # Port 9 (discard) is closed here: connection refused at once, as when Redis is down.
    app = limited_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    client = app.test_client()
    codes = [login(client, ATTACKERS[0]).status_code for _ in range(12)]
    assert codes == [422] * 10 + [429] * 2
    assert len(password_checks) == 10
    assert spray(app, guesses_per_address=2).count(429) >= 20  # the account limit holds too
    counter = app.test_client()
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 429  # an unknown device


def test_with_the_limiter_storage_down_a_known_device_still_logs_in(limited_app):
    app = limited_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    counter = app.test_client()
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 303
    counter.post("/staff/logout", headers=BROWSER, environ_base=COUNTER)
    spray(app, guesses_per_address=2)
    assert login(counter, COUNTER, password=ANA_PASSWORD).status_code == 303
    assert logged_in(counter, COUNTER)


def test_a_login_limit_that_cannot_be_read_stops_the_app_at_start(make_app):
    with pytest.raises(ValueError):
        make_app(LOGIN_ACCOUNT_RATE_LIMIT="twenty a day")


def test_an_empty_account_limit_switches_it_off(limited_app):
    app = limited_app(LOGIN_ACCOUNT_RATE_LIMIT="")
    assert set(spray(app, guesses_per_address=2)) == {422}


# --- changing your own password ------------------------------------------------------------


def change(client, current, new="rye-and-honey-2026", headers=BROWSER):
    data = {"current_password": current, "new_password": new, "new_password_again": new}
    return client.post("/staff/account", data=data, headers=headers, environ_base=COUNTER)


def test_current_password_guesses_on_the_account_page_are_limited(limited_app, password_checks):
    app = limited_app()
    client = app.test_client()
    assert login(client, COUNTER, password=ANA_PASSWORD).status_code == 303
    checked = len(password_checks)
    assert [change(client, f"guess-{n}").status_code for n in range(5)] == [422] * 5
    refused = change(client, ANA_PASSWORD)  # the right one too: it is not checked any more
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    message = BeautifulSoup(refused.data, "html.parser").select_one("#current_password-error").get_text()
    assert "Too many wrong passwords" in message
    fragment = change(client, ANA_PASSWORD, headers=HTMX)
    assert fragment.status_code == 429
    assert BeautifulSoup(fragment.data, "html.parser").select_one("html") is None
    as_json = change(client, ANA_PASSWORD, headers=JSON)
    assert as_json.status_code == 429 and "Too many wrong passwords" in as_json.get_json()["error"]
    assert len(password_checks) == checked + 5
    assert login(app.test_client(), COUNTER, password=ANA_PASSWORD).status_code == 303  # unchanged


def test_a_right_current_password_does_not_use_up_the_allowance(limited_app):
    app = limited_app(PASSWORD_CHANGE_RATE_LIMIT="2/15 minutes")
    client = app.test_client()
    assert login(client, COUNTER, password=ANA_PASSWORD).status_code == 303
    weak = [change(client, ANA_PASSWORD, new="breadbread12").status_code for _ in range(3)]
    assert weak == [422] * 3  # the current password was right; the new one too easy
    assert change(client, ANA_PASSWORD).status_code == 303
