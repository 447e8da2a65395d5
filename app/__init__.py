"""The app factory: configuration, extensions, blueprints, request hooks, error handlers, commands."""

import logging
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import speedups
from .catalog.cache import CatalogCache
from .catalog.invalidation import watch_product_changes
from .config import load_config
from .extensions import cache, db, migrate
from .infra.order_queue import create_order_queue
from .notifications.sender import create_notification_sender
from .security.csrf import protect_forms, register_csrf
from .security.guess_limits import init_guess_limits
from .security.headers import security_headers_hook
from .security.private_files import keep_private
from .security.rate_limits import init_rate_limits
from .staff.auth import init_login
from .web.converters import register_converters
from .web.cookie_session import CookieSessionInterface
from .web.errors import register_errorhandlers
from .web.json_provider import BakeryJSONProvider
from .web.request_guard import guard_request
from .web.templating import register_template_globals


def create_app(overrides=None):
    """Build the app; `overrides` replace settings (tests use this)."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = BakeryJSONProvider(app)
    app.session_interface = CookieSessionInterface()
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path, overrides=overrides))
    if app.config["SPEEDUPS"]:
        speedups.install(app)  # the speed-ups that lean on library internals (app/speedups.py)
    keep_private(app.instance_path, app.config["SQLALCHEMY_DATABASE_URI"])
    configure_logging(app)
    if proxies := app.config["TRUSTED_PROXIES"]:  # believe X-Forwarded-For/-Proto only from that many proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_request_hooks(app)
    init_guess_limits(app, app.extensions["rate_limiter"].storage)  # password guesses: the same counts
    register_template_globals(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_request_hooks(app):
    """What runs around every view, in the order it runs.

    Before the view, top to bottom: the input guard, the CSRF check, the rate limit check.
    After it, bottom to top (Flask runs after_request and teardown hooks last registered first):
    the security headers, the X-RateLimit headers, the remember-me cookie; then the limiter's clean-up.
    """
    app.before_request(guard_request)  # first: unrouted and oversized requests answered unread, before CSRF
    register_csrf(app)  # Flask-WTF; its own before_request check is off (WTF_CSRF_CHECK_DEFAULT)
    app.before_request(protect_forms)  # forms and htmx writes need a CSRF token; JSON API calls don't
    init_login(app)  # Flask-Login: an after_request hook refreshing its remember-me cookie
    # Flask-Limiter: a before_request check, X-RateLimit headers after, its clean-up at teardown, each
    # only for views with a limit switched on; it wraps the limited views, so after the blueprints.
    init_rate_limits(app)
    app.after_request(security_headers_hook(app.config["HTTPS"]))  # the first after_request hook to run


def configure_logging(app):
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s %(message)s")


def register_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    cache.init_app(app)
    app.extensions["catalog_cache"] = CatalogCache(
        app.extensions["cache"][cache],
        redis_url=app.config.get("CACHE_REDIS_URL") if app.config["CACHE_TYPE"] == "RedisCache" else None,
        key_prefix=app.config.get("CACHE_KEY_PREFIX", ""),
    )
    watch_product_changes()
    app.extensions["order_queue"] = create_order_queue(app)
    app.extensions["notification_sender"] = create_notification_sender(app)


def register_blueprints(app):
    from .bakery_calendar.views import bp as calendar_bp
    from .cart.views import bp as cart_bp
    from .catalog.views import bp as catalog_bp
    from .orders.views import bp as orders_bp
    from .staff import bp as staff_bp
    from .web.health import bp as health_bp
    from .web.openapi import bp as openapi_bp
    from .web.uploads import bp as uploads_bp

    for blueprint in (catalog_bp, cart_bp, orders_bp, calendar_bp, staff_bp, health_bp, openapi_bp, uploads_bp):
        app.register_blueprint(blueprint)


def register_commands(app):
    from .commands import (
        create_staff_command,
        dead_letters_command,
        mark_no_shows_command,
        order_status_command,
        product_update_command,
        seed_command,
    )

    for command in (
        seed_command,
        order_status_command,
        product_update_command,
        dead_letters_command,
        create_staff_command,
        mark_no_shows_command,
    ):
        app.cli.add_command(command)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: write-ahead log so readers never wait for the writer; enforce foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
