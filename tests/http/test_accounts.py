"""Staff accounts done properly: sessions the server can end, timeouts, argon2id, password rules, roles."""

import os
import stat

import pytest
from bs4 import BeautifulSoup
from flask_migrate import upgrade
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import StaffSession, StaffUser
from app.staff.accounts import create_staff
from tests.helpers import BROWSER, HTMX, JSON, Clock

ANA = {"username": "ana", "password": "secret-bread"}
BEN = {"username": "ben", "password": "crusty-rye-loaf"}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(STAFF_CLOCK=clock)


@pytest.fixture
def owner(app):
    with app.app_context():
        create_staff(**ANA)
    return ANA


@pytest.fixture
def helper(app, owner):
    """A second account: plain staff."""
    with app.app_context():
        create_staff(**BEN)
    return BEN


def log_in(app, who):
    client = app.test_client()
    response = client.post("/staff/login", data=who, headers=BROWSER)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def logged_in(client):
    """Whether the client's session still opens the board (for a JSON caller: 200, not 401)."""
    status = client.get("/staff/orders", headers=JSON).status_code
    assert status in (200, 401)
    return status == 200


def copy_of(app, client):
    """Another client holding a copy of `client`'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def user_row(app, username):
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        db.session.expunge(user)
        return user


def sessions_of(app, username):
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        return len(db.session.scalars(select(StaffSession).where(StaffSession.staff_id == user.id)).all())


# Finding 5: logout ends the session on the server


def test_a_copied_cookie_replayed_after_logout_is_not_logged_in(app, owner):
    client = log_in(app, owner)
    thief = copy_of(app, client)
    assert logged_in(thief)  # the copy works while the session lives
    assert client.post("/staff/logout", headers=BROWSER).status_code == 303
    assert not logged_in(thief)
    assert thief.get("/staff/orders", headers=BROWSER).headers["Location"].startswith("/staff/login")
    assert sessions_of(app, "ana") == 0


def test_logging_out_one_browser_leaves_the_others_logged_in(app, owner):
    counter, office = log_in(app, owner), log_in(app, owner)
    counter.post("/staff/logout", headers=BROWSER)
    assert not logged_in(counter) and logged_in(office)


def test_a_password_change_in_another_session_ends_this_one(app, owner):
    phone, laptop = log_in(app, owner), log_in(app, owner)
    response = laptop.post(
        "/staff/account",
        data={
            "current_password": "secret-bread",
            "new_password": "rye-and-honey-2026",
            "new_password_again": "rye-and-honey-2026",
        },
        headers=BROWSER,
    )
    assert response.status_code == 303
    assert not logged_in(phone)
    assert logged_in(laptop)  # the session that changed it stays
    assert app.test_client().post("/staff/login", data=owner, headers=BROWSER).status_code == 422
    log_in(app, {"username": "ana", "password": "rye-and-honey-2026"})


def test_an_owner_disabling_an_account_ends_its_sessions_and_its_logins(app, helper):
    ben = log_in(app, helper)
    thief = copy_of(app, ben)
    owner = log_in(app, ANA)
    ben_id = user_row(app, "ben").id
    response = owner.post(f"/staff/accounts/{ben_id}/active", data={"active": "0"}, headers=BROWSER)
    assert response.status_code == 303
    assert not logged_in(ben) and not logged_in(thief)
    refused = app.test_client().post("/staff/login", data=helper, headers=BROWSER)
    assert refused.status_code == 422
    owner.post(f"/staff/accounts/{ben_id}/active", data={"active": "1"}, headers=BROWSER)
    log_in(app, helper)


def test_a_password_reset_by_an_owner_ends_the_persons_sessions(app, helper):
    ben = log_in(app, helper)
    owner = log_in(app, ANA)
    ben_id = user_row(app, "ben").id
    response = owner.post(f"/staff/accounts/{ben_id}/password", data={"password": "oven-glove-sunrise"}, headers=JSON)
    assert response.status_code == 200 and response.get_json()["username"] == "ben"
    assert not logged_in(ben) and logged_in(owner)
    log_in(app, {"username": "ben", "password": "oven-glove-sunrise"})


# Idle timeout and absolute lifetime, on an adjustable clock


def test_a_session_ends_after_the_idle_minutes_without_a_request(app, owner, clock):
    client = log_in(app, owner)
    clock.advance(minutes=59)
    assert logged_in(client)
    clock.advance(minutes=59)  # each request starts the idle time again
    assert logged_in(client)
    clock.advance(minutes=61)
    assert not logged_in(client)
    assert sessions_of(app, "ana") == 0


def test_the_idle_minutes_are_a_setting(make_app, clock):
    app = make_app(STAFF_CLOCK=clock, STAFF_IDLE_MINUTES=5)
    with app.app_context():
        create_staff(**ANA)
    client = log_in(app, ANA)
    clock.advance(minutes=6)
    assert not logged_in(client)


def test_a_session_ends_twelve_hours_after_login_however_busy(app, owner, clock):
    client = log_in(app, owner)
    for _ in range(14):  # a request every 50 minutes: never idle
        clock.advance(minutes=50)
        assert logged_in(client)
    clock.advance(minutes=21)  # 12 h 1 min after login
    assert not logged_in(client)


def test_the_settings_default_to_an_hour_idle_and_twelve_hours_in_all(app):
    assert (app.config["STAFF_IDLE_MINUTES"], app.config["STAFF_SESSION_HOURS"]) == (60, 12)


# Passwords: argon2id, old hashes upgraded, strength


def test_new_passwords_are_hashed_with_argon2id_at_the_default_cost(make_app):
    app = make_app(PASSWORD_HASH_CHEAP=False)  # the suite uses the cheapest argon2id; this is the real one
    with app.app_context():
        create_staff(**ANA)
    stored = user_row(app, "ana").password_hash
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    log_in(app, ANA)


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256"])
def test_an_old_werkzeug_hash_still_logs_in_and_is_upgraded_to_argon2id(app, method):
    with app.app_context():
        user = StaffUser(username="old", password_hash=generate_password_hash("123456", method=method), role="owner")
        db.session.add(user)
        db.session.commit()
    assert not user_row(app, "old").password_hash.startswith("$argon2")
    wrong = app.test_client().post("/staff/login", data={"username": "old", "password": "1234567"}, headers=BROWSER)
    assert wrong.status_code == 422
    assert not user_row(app, "old").password_hash.startswith("$argon2")  # only a right password upgrades it
    client = log_in(app, {"username": "old", "password": "123456"})
    assert user_row(app, "old").password_hash.startswith("$argon2id$")
    client.post("/staff/logout", headers=BROWSER)
    log_in(app, {"username": "old", "password": "123456"})  # and it still works with the new hash


@pytest.mark.parametrize(
    "password, words",
    [
        ("123456", "at least 12 characters"),
        ("eleven-char", "at least 12 characters"),
        ("123456789012", "too easy to guess"),
        ("password1234", "too easy to guess"),
        ("qwertyuiopas", "too easy to guess"),
        ("ana-ana-ana-ana", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
    ],
)
def test_short_common_or_weak_passwords_are_refused_by_the_command(runner, password, words):
    result = runner.invoke(args=["create-staff", "ana", "--password", password])
    assert result.exit_code == 1
    assert words in result.output


def test_a_weak_password_is_a_message_at_the_field_and_json_gets_an_error(app, owner):
    client = log_in(app, owner)
    page = client.post(
        "/staff/accounts", data={"username": "cleo", "role": "staff", "password": "password1234"}, headers=BROWSER
    )
    assert page.status_code == 422
    problem = soup_of(page).select_one("#new-account #password-error-new")
    assert "too easy to guess" in problem.get_text()
    assert soup_of(page).select_one("#new-username")["value"] == "cleo"  # what was typed stays
    api = client.post("/staff/accounts", json={"username": "cleo", "role": "staff", "password": "short"}, headers=JSON)
    assert api.status_code == 422
    assert "12 characters" in api.get_json()["error"] and "password" in api.get_json()["details"]
    with app.app_context():
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == "cleo")) is None


def test_changing_your_own_password_checks_the_current_one_and_the_repeat(app, owner):
    client = log_in(app, owner)
    page = soup_of(client.get("/staff/account", headers=BROWSER))
    assert page.select_one("#password-form input[name=current_password][type=password]")
    wrong = client.post(
        "/staff/account",
        data={
            "current_password": "nope",
            "new_password": "rye-and-honey-2026",
            "new_password_again": "rye-and-honey-2026",
        },
        headers=BROWSER,
    )
    assert wrong.status_code == 422
    assert "not your current password" in soup_of(wrong).select_one("#current_password-error").get_text()
    mismatch = client.post(
        "/staff/account",
        data={
            "current_password": "secret-bread",
            "new_password": "rye-and-honey-2026",
            "new_password_again": "rye-and-honey",
        },
        headers=HTMX,
    )
    assert mismatch.status_code == 422
    assert "not the same" in soup_of(mismatch).select_one("#new_password_again-error").get_text()
    weak = client.post("/staff/account", json={"current_password": "secret-bread", "new_password": "breadbread12"})
    assert weak.status_code == 422 and "easy to guess" in weak.get_json()["error"]
    log_in(app, owner)  # nothing changed


# Roles


def test_the_first_account_is_an_owner_and_later_ones_staff(app, helper):
    assert (user_row(app, "ana").role, user_row(app, "ben").role) == ("owner", "staff")


@pytest.mark.parametrize("path", ["/staff/accounts", "/staff/calendar"])
def test_staff_get_a_403_on_owner_pages(app, helper, path):
    ben = log_in(app, helper)
    page = ben.get(path, headers=BROWSER)
    assert page.status_code == 403
    assert "Only an owner" in soup_of(page).get_text()
    api = ben.get(path, headers=JSON)
    assert api.status_code == 403 and "owner" in api.get_json()["error"]
    assert (
        ben.post(
            "/staff/accounts", json={"username": "eve", "password": "sneaky-owner-2026", "role": "owner"}
        ).status_code
        == 403
    )
    assert ben.get("/staff/orders", headers=BROWSER).status_code == 200  # orders and products stay theirs
    assert ben.get("/staff/products", headers=BROWSER).status_code == 200


def test_only_owners_see_the_owner_links(app, helper):
    def links(client):
        return {a.get_text() for a in soup_of(client.get("/staff/orders", headers=BROWSER)).select(".staff-nav a")}

    assert {"Accounts", "Calendar", "Your account"} <= links(log_in(app, ANA))
    assert "Accounts" not in links(log_in(app, helper)) and "Your account" in links(log_in(app, helper))


def test_an_owner_adds_an_account_in_the_browser_and_it_can_log_in(app, owner):
    client = log_in(app, owner)
    form = soup_of(client.get("/staff/accounts", headers=BROWSER)).select_one("form#new-account")
    assert {i["name"] for i in form.select("input, select")} >= {"username", "role", "password"}
    response = client.post(
        "/staff/accounts", data={"username": "Cleo", "role": "staff", "password": "poppy-seed-roll"}, headers=BROWSER
    )
    assert response.status_code == 303
    page = soup_of(client.get(response.headers["Location"], headers=BROWSER))
    assert "cleo" in page.select_one(".account-list").get_text()
    assert user_row(app, "cleo").role == "staff"
    log_in(app, {"username": "cleo", "password": "poppy-seed-roll"})
    taken = client.post(
        "/staff/accounts", data={"username": "cleo", "role": "staff", "password": "poppy-seed-roll"}, headers=BROWSER
    )
    assert taken.status_code == 409 and "already" in soup_of(taken).select_one("#username-error-new").get_text()


def test_an_owner_changes_a_role_and_the_new_owner_sees_owner_pages(app, helper):
    owner = log_in(app, ANA)
    ben_id = user_row(app, "ben").id
    assert owner.post(f"/staff/accounts/{ben_id}/role", data={"role": "owner"}, headers=BROWSER).status_code == 303
    assert log_in(app, helper).get("/staff/accounts", headers=BROWSER).status_code == 200
    bad = owner.post(f"/staff/accounts/{ben_id}/role", data={"role": "king"}, headers=JSON)
    assert bad.status_code == 422


def test_the_last_active_owner_can_be_neither_disabled_nor_demoted(app, helper):
    owner = log_in(app, ANA)
    ana_id, ben_id = user_row(app, "ana").id, user_row(app, "ben").id
    demote = owner.post(f"/staff/accounts/{ana_id}/role", data={"role": "staff"}, headers=BROWSER)
    assert demote.status_code == 409 and "last active owner" in soup_of(demote).select_one("[role=alert]").get_text()
    assert owner.post(f"/staff/accounts/{ana_id}/active", json={"active": "0"}).status_code == 409
    assert user_row(app, "ana").role == "owner" and user_row(app, "ana").active
    # With a second owner, the first may step down; a disabled owner does not count.
    owner.post(f"/staff/accounts/{ben_id}/role", data={"role": "owner"}, headers=BROWSER)
    owner.post(f"/staff/accounts/{ben_id}/active", data={"active": "0"}, headers=BROWSER)
    assert owner.post(f"/staff/accounts/{ana_id}/role", json={"role": "staff"}).status_code == 409
    owner.post(f"/staff/accounts/{ben_id}/active", data={"active": "1"}, headers=BROWSER)
    assert owner.post(f"/staff/accounts/{ana_id}/role", json={"role": "staff"}).status_code == 200


def test_nobody_disables_their_own_account(app, helper):
    owner = log_in(app, ANA)
    ana_id, ben_id = user_row(app, "ana").id, user_row(app, "ben").id
    owner.post(f"/staff/accounts/{ben_id}/role", data={"role": "owner"}, headers=BROWSER)
    assert owner.post(f"/staff/accounts/{ana_id}/active", json={"active": "0"}).status_code == 409
    assert logged_in(owner)


@pytest.mark.parametrize("data", [{}, {"active": "maybe"}, {"active": "\x01"}])
def test_odd_input_on_the_account_forms_is_a_4xx(app, helper, data):
    owner = log_in(app, ANA)
    ben_id = user_row(app, "ben").id
    assert owner.post(f"/staff/accounts/{ben_id}/active", json=data).status_code == 422
    assert owner.post(f"/staff/accounts/{ben_id}/role", json=data).status_code == 422
    assert owner.post(f"/staff/accounts/{ben_id}/password", json=data).status_code == 422
    assert owner.post("/staff/accounts/99999999999999/active", json={"active": "0"}).status_code == 404
    assert owner.post("/staff/accounts", json={"username": ["x"], "password": 5, "role": None}).status_code == 422


# The migration keeps an existing bakery in control


def test_the_migration_makes_existing_accounts_owners(make_app, tmp_path):
    old = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "SQLALCHEMY_ENGINE_OPTIONS": {}}
    app = make_app(**old)
    with app.app_context():
        upgrade(revision="b7e5a1c9d3f2-1")  # the schema just before roles existed
        db.session.execute(
            text(
                "INSERT INTO staff_users (username, password_hash, created_at)"
                " VALUES ('ana', 'x', '2026-01-01'), ('ben', 'y', '2026-01-02')"
            )
        )
        db.session.commit()
        upgrade()
        roles = db.session.execute(text("SELECT username, role, active FROM staff_users ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in roles] == [("ana", "owner", 1), ("ben", "owner", 1)]


# Files on the embedded default


def test_the_database_file_and_instance_folder_are_not_readable_by_others(make_app, tmp_path):
    database = tmp_path / "bakery.db"
    database.write_bytes(b"")
    database.chmod(0o644)  # as an older version left it
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    assert stat.S_IMODE(os.stat(database).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(app.instance_path).st_mode) == 0o700
    fresh = tmp_path / "bakery-new.db"
    make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{fresh}")
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o600
    make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'bakery.db'}")
    assert not (tmp_path / "missing").exists()  # no folder made where none was
