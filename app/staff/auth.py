"""Who is logged in as staff (Flask-Login over server-side sessions), and the decorators that keep others out."""

import functools

from flask import render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from ..extensions import db
from ..web.errors import ApiError
from ..web.negotiation import hx_redirect, is_htmx, safe_local_path, see_other, wants_json
from . import sessions

login_manager = LoginManager()
# Flask-Login keeps the session token in the signed cookie; "strong" would also end the session
# when the address or browser string changes, which a phone on the move does all the time.
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(token):
    """Flask-Login's id is the session token: a session the server ended loads nobody."""
    return sessions.load(token)


def init_login(app):
    # Flask-Login's own context processor loads the user for every template, which reads the
    # session while the shop renders HTML it shares between visitors (app/web/shared_html.py).
    # The proxy instead loads the user only when a template asks (the staff pages do).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})


def log_in(user):
    """Start a fresh session for `user`: clearing first means a planted session is worthless."""
    session.clear()
    sessions.start(user)
    login_user(user)


def log_out():
    """End this session on the server too: a copy of the cookie is worthless from now on."""
    if current_user.is_authenticated:
        sessions.end(current_user.session_token)
        db.session.commit()
    logout_user()
    session.clear()


def current_staff():
    """The logged-in staff user, or None."""
    return current_user if current_user.is_authenticated else None


def safe_next(target):
    """`target` if it is a path on this site, else the order board (no open redirects)."""
    return safe_local_path(target, url_for("staff.orders"))


def staff_required(view):
    """Browsers go to the login page (303, with `next`); JSON and htmx callers get a 401."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_staff() is not None:
            return view(*args, **kwargs)
        if wants_json():
            raise ApiError(401, "Log in as staff first")
        if is_htmx():
            # htmx follows HX-Redirect whatever the status: the whole page goes to the login.
            login = url_for("staff.login", next=safe_next(_path_of(request.headers.get("HX-Current-URL"))))
            return hx_redirect(login, render_template("staff/login_needed.html", login_url=login), status=401)
        target = request.full_path.rstrip("?") if request.method == "GET" else request.referrer
        return see_other(url_for("staff.login", next=safe_next(_path_of(target))))

    return wrapped


def owner_required(view):
    """Like staff_required, and then a 403 (a page, or `{"error"}` for JSON) for anyone but an owner."""

    @staff_required
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_staff().is_owner:
            raise ApiError(403, "Only an owner of the bakery can do this. Ask an owner if you need it done.")
        return view(*args, **kwargs)

    return wrapped


def _path_of(url):
    """The path (and query) of a URL on this site, or None."""
    if not url:
        return None
    if url.startswith("/"):
        return url
    prefix = request.host_url
    return "/" + url[len(prefix) :] if url.startswith(prefix) else None
