"""Who is logged in as staff, and the decorator that keeps everyone else out."""

import functools

from flask import g, render_template, request, session, url_for

from ..errors import ApiError
from ..negotiation import hx_redirect, is_htmx, safe_local_path, see_other, wants_json
from .service import get_staff

SESSION_KEY = "staff_id"


def log_in(user):
    """Start a fresh session for `user`: clearing first means a planted session id is worthless."""
    session.clear()
    session[SESSION_KEY] = user.id


def log_out():
    session.clear()


def current_staff():
    """The logged-in staff user, or None; looked up once per request."""
    if "staff" not in g:
        g.staff = get_staff(session.get(SESSION_KEY))
    return g.staff


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


def _path_of(url):
    """The path (and query) of a URL on this site, or None."""
    if not url:
        return None
    if url.startswith("/"):
        return url
    prefix = request.host_url
    return "/" + url[len(prefix) :] if url.startswith(prefix) else None
