"""HTML cached for every visitor never reads a session: each visitor's parts are passed in."""

import pytest
from bs4 import BeautifulSoup
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from app.catalog import pages
from app.web.shared_html import COUNT_SLOT, TOKEN_SLOT
from tests.helpers import BROWSER, HTMX

READS = (
    "__getitem__",
    "get",
    "__contains__",
    "__iter__",
    "__len__",
    "keys",
    "values",
    "items",
    "setdefault",
    "pop",
    "popitem",
    "__setitem__",
    "__delitem__",
    "update",
    "clear",
)


class RecordingSession(SecureCookieSession):
    """A session that notes every look into it (the cookie session only flags some)."""

    log = None


def _recording(name):
    original = getattr(SecureCookieSession, name)

    def method(self, *args, **kwargs):
        if self.log is not None:
            self.log.append((name, args[:1]))
        return original(self, *args, **kwargs)

    return method


for _name in READS:
    setattr(RecordingSession, _name, _recording(_name))


class RecordingSessionInterface(SecureCookieSessionInterface):
    session_class = RecordingSession

    def __init__(self, log):
        self.log = log

    def open_session(self, app, request):
        session = super().open_session(app, request)
        if session is not None:
            session.log = self.log
        return session


@pytest.fixture
def session_reads(app, monkeypatch):
    """Every session access of the test's requests; for each shared rendering, those made while it ran and its HTML."""
    log, during_shared = [], {}
    app.session_interface = RecordingSessionInterface(log)

    def watched(name, render):
        def shared_rendering(*args):
            before = len(log)
            html = render(*args)
            during_shared[name] = (log[before:], html)
            return html

        return shared_rendering

    for name in ("shared_page_html", "shared_grid_html"):
        monkeypatch.setattr(pages, name, watched(name, getattr(pages, name)))
    return log, during_shared


def test_html_cached_for_everyone_never_reads_the_session(app, client, products, session_reads):
    log, during_shared = session_reads
    # A visitor with a cart and a message waiting for a card: both live in the session.
    assert (
        client.post(
            "/cart/items", data={"product_id": products["Baguette"], "quantity": 2}, headers=BROWSER
        ).status_code
        == 303
    )
    client.get("/", headers=BROWSER)  # shows the message, uncached
    added = client.post("/cart/items", data={"product_id": products["Rye Bread"], "quantity": 1}, headers=BROWSER)
    assert added.status_code == 303
    with client.session_transaction() as session:
        assert session["_flashes"]  # flashed again, and not yet shown
    client.get("/", headers=BROWSER)  # the message's page: rendered for this visitor alone
    log.clear()
    page = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser")  # cache miss
    grid = BeautifulSoup(client.get("/", headers=HTMX).data, "html.parser")  # cache miss
    assert set(during_shared) == {"shared_page_html", "shared_grid_html"}, "the shared renderings ran"
    assert {name: reads for name, (reads, _html) in during_shared.items()} == {
        "shared_page_html": [],
        "shared_grid_html": [],
    }
    assert log, "the views read the session (the recorder works)"
    token = page.select_one(".product-card input[name=csrf_token]")["value"]
    # Nothing of this visitor reached the cached HTML by another way (Flask-WTF keeps the token on g).
    shared_page = BeautifulSoup(during_shared["shared_page_html"][1], "html.parser")
    assert {i["value"] for i in shared_page.select("input[name=csrf_token]")} == {TOKEN_SLOT}
    assert shared_page.select_one("#cart-badge .cart-count").get_text() == COUNT_SLOT
    assert {
        i["value"]
        for i in BeautifulSoup(during_shared["shared_grid_html"][1], "html.parser").select("input[name=csrf_token]")
    } == {TOKEN_SLOT}
    # ...and the visitor still sees their own parts.
    assert page.select_one("#cart-badge .cart-count").get_text() == "3"
    assert token in page.body["hx-headers"]
    # Flask-WTF signs the session's one raw token with a timestamp, so two requests a second apart
    # show different strings for the same token: compare what they carry.
    assert {raw_csrf(app, i["value"]) for i in grid.select("input[name=csrf_token]")} == {raw_csrf(app, token)}
    assert "slot" not in page.decode() + grid.decode()


def raw_csrf(app, signed):
    """The session's raw CSRF token inside a signed one (Flask-WTF's own serializer and salt)."""
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").loads(signed)


def test_a_flashed_message_shows_on_its_card_and_only_once(client, products):
    baguette = products["Baguette"]
    client.get("/", headers=BROWSER)  # the page is now cached for everyone
    assert client.post("/cart/items", data={"product_id": baguette, "quantity": 1}, headers=BROWSER).status_code == 303
    page = BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser")
    assert [p.get_text(" ", strip=True) for p in page.select(f"#product-{baguette} .added")] == [
        "✓ Added Baguette. View cart"
    ]
    assert page.select(".added") == page.select(f"#product-{baguette} .added")
    assert BeautifulSoup(client.get("/", headers=BROWSER).data, "html.parser").select(".added") == []
