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
    """Whether this request's view has no limit switched on (`limited`: endpoint -> settings of its limits).

    Flask-Limiter checks every request (a before_request hook) and resolves the limits of its
    view even when there are none, a good share of a cached GET /products (docs/performance.md,
    "Why the speed-ups exist").
    """

    def no_limits_apply():
        settings = limited.get(request.endpoint)
        return settings is None or not any(current_app.config[name] for name in settings)

    return no_limits_apply


# The app-wide hook lists Flask-Limiter adds to: its check, its header injection, its clean-up.
HOOK_LISTS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def _hook_counts(app):
    return {name: len(getattr(app, name).get(None, ())) for name in HOOK_LISTS}


def _only_where_limits_apply(app, counts_before, no_limits_apply):
    """Run the hooks the limiter just added only for requests whose view has a limit switched on.

    For any other request they do nothing a caller can see (no limit is checked, so there are
    no X-RateLimit headers and no deductions), yet they cost a good share of a cached GET /products:
    the limiter resolves exemptions and meta limits, and builds its per-request context, anyway.
    """
    for name, before in counts_before.items():
        hooks = getattr(app, name)[None]
        passes_through = name == "after_request_funcs"
        hooks[before:] = [_when_limited(hook, no_limits_apply, passes_through) for hook in hooks[before:]]


def _when_limited(hook, no_limits_apply, passes_through):
    if passes_through:  # an after_request hook hands the response on

        def after_request(response):
            return response if no_limits_apply() else hook(response)

        return after_request

    def before_or_teardown(*args):
        return None if no_limits_apply() else hook(*args)

    return before_or_teardown


def init_rate_limits(app):
    """Give each view marked above its limits; the limiter's hooks run only where one is switched on.

    One Limiter per app, bound after the blueprints: Flask-Limiter keeps its storage, key prefix and
    settings on the Limiter object, and every app (tests make many) has its own.
    """
    limiter = Limiter(key_func=client_address)
    marked = {endpoint: view for endpoint, view in app.view_functions.items() if hasattr(view, "rate_limits")}
    limited = {endpoint: view.rate_limits[1] for endpoint, view in marked.items()}
    no_limits_apply = _no_limits_apply_with(limited)
    hooks_before = _hook_counts(app)
    limiter.init_app(app)
    _only_where_limits_apply(app, hooks_before, no_limits_apply)
    limiter.request_filter(no_limits_apply)  # the decorated views call the limiter themselves
    for endpoint, view in marked.items():
        limits, _settings = view.rate_limits
        for limit in limits(limiter):
            view = limit(view)
        app.view_functions[endpoint] = view
    app.extensions["rate_limiter"] = limiter
