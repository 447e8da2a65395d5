"""Abuse limits (Flask-Limiter): orders per client or per API key, order pages per client.

Counts live in the app's Redis under their own prefix (in memory on the embedded default),
so every process agrees. If that storage is down these limits let requests through and
log it (RATELIMIT_SWALLOW_ERRORS): a broken limiter must never stop the shop taking orders.
Each limit reads its setting when it is checked; an empty setting switches it off.
A view gets its limits from a decorator at its route: `@rate_limits.orders`, `@rate_limits.order_pages`.
Password guesses (staff logins) are limited in app/security/guess_limits.py, in the same storage.
"""

from flask import current_app, request
from flask_limiter import Limiter

from .. import speedups
from ..api_keys.bearer import current_api_key


def client_address():
    """The client as the limiter sees it: the peer address, or X-Forwarded-For from trusted proxies (ProxyFix)."""
    return request.remote_addr or "unknown"


def _setting(name):
    return lambda: current_app.config[name]


def _off(name):
    return lambda: not current_app.config[name]


def _api_key_id():
    key = current_api_key()
    return f"api-key:{key.id}" if key else ""


def _order_limits(limiter):
    """Per address for everyone without an API key; per key, with its own limit, for those with one."""
    return [
        limiter.limit(
            _setting("ORDER_RATE_LIMIT"),
            exempt_when=lambda: not current_app.config["ORDER_RATE_LIMIT"] or current_api_key() is not None,
            error_message="Too many orders from here in a short time. Please wait a little, or call the bakery.",
        ),
        limiter.limit(
            _setting("API_KEY_RATE_LIMIT"),
            key_func=_api_key_id,
            exempt_when=lambda: not current_app.config["API_KEY_RATE_LIMIT"] or current_api_key() is None,
            error_message="This API key has placed too many orders in a short time. Please wait a little.",
        ),
    ]


def _order_page_limits(limiter):
    """Per address, one allowance for an order's pages and its status polls together."""
    return [
        limiter.shared_limit(
            _setting("ORDER_PAGE_RATE_LIMIT"),
            scope="order-pages",
            exempt_when=_off("ORDER_PAGE_RATE_LIMIT"),
            error_message="Too many requests for order pages from here. Please wait a little.",
        )
    ]


def _limited_by(limits, settings):
    """A decorator for a view: this app's limiter gives it `limits` (init_rate_limits); `settings` switch them on."""

    def mark(view):
        view.rate_limits = (limits, settings)
        return view

    return mark


# The limits, put on their views at the route (app/orders/views.py); the checkout form posts to orders too.
orders = _limited_by(_order_limits, ("ORDER_RATE_LIMIT", "API_KEY_RATE_LIMIT"))
order_pages = _limited_by(_order_page_limits, ("ORDER_PAGE_RATE_LIMIT",))


def _no_limits_apply_with(limited):
    """Whether this request's view has no limit switched on (`limited`: endpoint -> settings of its limits)."""

    def no_limits_apply():
        settings = limited.get(request.endpoint)
        return settings is None or not any(current_app.config[name] for name in settings)

    return no_limits_apply


def init_rate_limits(app):
    """Give each view marked above its limits; requests to other views are not checked.

    One Limiter per app, bound after the blueprints: Flask-Limiter keeps its storage, key prefix and
    settings on the Limiter object, and every app (tests make many) has its own. With SPEEDUPS on,
    its hooks run only where a limit is switched on (app/speedups.py).
    """
    limiter = Limiter(key_func=client_address)
    marked = {endpoint: view for endpoint, view in app.view_functions.items() if hasattr(view, "rate_limits")}
    limited = {endpoint: view.rate_limits[1] for endpoint, view in marked.items()}
    no_limits_apply = _no_limits_apply_with(limited)
    limiter.init_app(app)
    limiter.request_filter(no_limits_apply)  # the decorated views call the limiter themselves
    if app.config["SPEEDUPS"]:
        speedups.limit_hooks_to_limited_views(app, limiter, no_limits_apply)
    for endpoint, view in marked.items():
        limits, _settings = view.rate_limits
        for limit in limits(limiter):
            view = limit(view)
        app.view_functions[endpoint] = view
    app.extensions["rate_limiter"] = limiter
