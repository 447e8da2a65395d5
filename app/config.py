"""Settings from the environment, with embedded defaults for a single machine."""

import os
import secrets
from datetime import time
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from babel import Locale

from .bakery_calendar.hours import DEFAULT_HOURS, parse_opening_hours
from .form_values import truthy, yes_or_no


def database_url(env=os.environ, instance_path="instance"):
    """PostgreSQL from DATABASE_URL or DB_HOST & co.; otherwise a SQLite file under instance/."""
    if env.get("DATABASE_URL"):
        return with_installed_driver(env["DATABASE_URL"])
    if env.get("DB_HOST"):
        user = quote(env.get("DB_USER", "postgres"), safe="")
        password = env.get("DB_PASSWORD")
        credentials = f"{user}:{quote(password, safe='')}" if password else user
        port = env.get("DB_PORT", "5432")
        name = env.get("DB_NAME", "bakery")
        return f"postgresql+psycopg2://{credentials}@{env['DB_HOST']}:{port}/{name}"
    return f"sqlite:///{Path(instance_path).resolve() / 'bakery.db'}"


def flag(name, value, default):
    """The yes/no setting `name`, set to `value`: `default` when unset; any other word fails at start."""
    value = (value or "").strip()
    if not value:
        return default
    parsed = yes_or_no(value)
    if parsed is None:
        raise ValueError(f"{name} must be 1 or 0 (or yes/no, on/off, true/false), not {value!r}")
    return parsed


def with_installed_driver(url):
    """`postgres://` and `postgresql://` (as hosting platforms write them) use psycopg2, the driver we
    install: SQLAlchemy 2.1 would otherwise pick psycopg 3 and fail to import it."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg2://{rest}"
    return url


def engine_options(url, pool_size=5, max_overflow=5):
    """Short timeouts everywhere: a dead dependency must give an error, never a hang."""
    if url.startswith("sqlite"):
        # SQLite waits for the write lock instead of failing at once. Connections are cheap
        # there, and a request may hold two (its session's and the catalogue stamp's): room for
        # every thread of `make run` without waiting on the pool.
        return {"connect_args": {"timeout": 15}, "pool_size": 20, "max_overflow": 20}
    # No pool_pre_ping: it costs a round trip per request. A connection that died with a
    # database restart fails one request (a 503, see app/web/errors.py) and the pool is renewed.
    return {
        "pool_recycle": 1800,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": 5,
        "connect_args": {"connect_timeout": 3, "options": "-c statement_timeout=10000"},
    }


# A slow or hung Redis must cost a request at most this much, never hang it.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


def redis_url_with_timeouts(url):
    """Put the timeouts into the URL: Flask-Caching ignores CACHE_OPTIONS when given a URL."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for name, seconds in REDIS_TIMEOUTS.items():
        query.setdefault(name, str(seconds))
    return urlunsplit(parts._replace(query=urlencode(query)))


def cache_settings(env=os.environ):
    """Redis when REDIS_URL is set, an in-process cache otherwise."""
    if env.get("REDIS_URL"):
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": env["REDIS_URL"],
            "CACHE_KEY_PREFIX": env.get("CACHE_KEY_PREFIX", "bakery:"),
            "CACHE_DEFAULT_TIMEOUT": 300,
        }
    return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}


def secret_key(given, instance_path="instance"):
    """The key given (environment or overrides); without one, a random key kept in instance/."""
    if given:
        return given
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def clock_time(text, name):
    """A "18:00" setting as a time; empty means none. ValueError naming the setting otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text if len(text) == 5 else f"0{text}")
    except ValueError:
        raise ValueError(f"{name} must be a time like 18:00 (or empty), not {text!r}") from None


def load_config(instance_path, env=os.environ, overrides=None):
    """The whole configuration as a dict, read once when the app is created.

    `overrides` (tests use them) replace settings read from `env` before the derived ones
    (secret key, engine options, Redis timeouts) are computed, so they follow an override.
    """
    config = {
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "SQLALCHEMY_DATABASE_URI": database_url(env, instance_path),
        # PostgreSQL connections each process keeps open, and how many more it may open at peak.
        "DB_POOL_SIZE": int(env.get("DB_POOL_SIZE", "5")),
        "DB_MAX_OVERFLOW": int(env.get("DB_MAX_OVERFLOW", "5")),
        "RABBITMQ_URL": env.get("RABBITMQ_URL") or None,
        "ORDERS_QUEUE": env.get("ORDERS_QUEUE", "orders"),
        # A failing order is tried this many times, then marked Failed and dead-lettered.
        "ORDER_MAX_ATTEMPTS": int(env.get("ORDER_MAX_ATTEMPTS", "5")),
        # Between those tries it waits base, 2·base, 4·base, … seconds, never more than the max.
        "ORDER_RETRY_BASE_SECONDS": float(env.get("ORDER_RETRY_BASE_SECONDS", "2")),
        "ORDER_RETRY_MAX_SECONDS": float(env.get("ORDER_RETRY_MAX_SECONDS", "60")),
        "WORKER_PREFETCH": int(env.get("WORKER_PREFETCH", "32")),
        # A web process's outbox relay that published less than a second ago waits this long
        # after an order before its next pass, so that a busy shop publishes several orders per
        # batch instead of one (each pass costs the same CPU, whatever it carries).
        "OUTBOX_BUSY_LINGER_SECONDS": float(env.get("OUTBOX_BUSY_LINGER_SECONDS", "0.25")),
        # Emails to customers go by SMTP when MAIL_SERVER is set, else they are only logged.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or "25"),
        # STARTTLS after connecting (port 587), or TLS from the start (port 465): never both.
        "MAIL_USE_TLS": truthy(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": truthy(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": env.get("MAIL_FROM") or "orders@bakery.example",  # as in docker-compose.yml and .env.example
        # An email that fails is tried again after base, 2·base, … up to max seconds; after
        # NOTIFY_MAX_ATTEMPTS tries it is marked failed and shown to staff.
        "NOTIFY_MAX_ATTEMPTS": int(env.get("NOTIFY_MAX_ATTEMPTS", "12")),
        "NOTIFY_RETRY_BASE_SECONDS": float(env.get("NOTIFY_RETRY_BASE_SECONDS", "10")),
        "NOTIFY_RETRY_MAX_SECONDS": float(env.get("NOTIFY_RETRY_MAX_SECONDS", "600")),
        # A sender that dies mid-send leaves its claimed emails to be tried again after this.
        "NOTIFY_LEASE_SECONDS": float(env.get("NOTIFY_LEASE_SECONDS", "60")),
        # How often a sender looks for due emails when nobody wakes it.
        "NOTIFY_POLL_SECONDS": float(env.get("NOTIFY_POLL_SECONDS", "2")),
        # No mailbox gets more emails than this in any hour (however its address is spelled): the
        # rest are kept as skipped and shown to staff, so a stranger's address cannot be bombed. 0: off.
        "EMAILS_PER_RECIPIENT_PER_HOUR": int(env.get("EMAILS_PER_RECIPIENT_PER_HOUR", "10")),
        # Links in emails: the shop's address as customers reach it (no trailing slash).
        "BAKERY_PUBLIC_URL": (env.get("BAKERY_PUBLIC_URL") or "http://localhost:5000").rstrip("/"),
        # Customers may cancel online until this many minutes before their pickup.
        "BAKERY_CANCEL_BEFORE_MINUTES": int(env.get("BAKERY_CANCEL_BEFORE_MINUTES", "120")),
        # Request bodies: an order or a form is a few KB. The product form takes more for its
        # picture (app/web/uploads.py); anything over is a 413 before it is read.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH") or 64 * 1024),
        # Uploaded product pictures; in Compose a named volume that nginx serves as /uploads/.
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        # Pixels a product picture may decode to (a JPEG shrinks while decoding); one picture at a time per process.
        "PICTURE_MAX_PIXELS": int(env.get("PICTURE_MAX_PIXELS") or 25_000_000),
        "MAX_ITEM_QUANTITY": int(env.get("MAX_ITEM_QUANTITY", "50")),
        "MAX_ORDER_LINES": int(env.get("MAX_ORDER_LINES", "30")),
        # Caps that fit a bakery: items in one order, and orders one contact may have open at once.
        "MAX_ITEMS_PER_ORDER": int(env.get("MAX_ITEMS_PER_ORDER", "50")),
        "MAX_OPEN_ORDERS_PER_CONTACT": int(env.get("MAX_OPEN_ORDERS_PER_CONTACT", "3")),  # 0: no cap
        # What one client (its address, else each contact it gives) may hold per pickup day (items) and
        # per pickup slot (orders), over orders not cancelled or failed; 0: no cap (app/orders/holds.py).
        "MAX_ITEMS_PER_CLIENT_PER_DAY": int(env.get("MAX_ITEMS_PER_CLIENT_PER_DAY", "100")),
        "MAX_ORDERS_PER_CLIENT_PER_SLOT": int(env.get("MAX_ORDERS_PER_CLIENT_PER_SLOT", "2")),
        # The same for a client with an API key (counted per key): off by default, a partner shop may order a lot.
        "API_KEY_MAX_ITEMS_PER_DAY": int(env.get("API_KEY_MAX_ITEMS_PER_DAY", "0")),
        "API_KEY_MAX_ORDERS_PER_SLOT": int(env.get("API_KEY_MAX_ORDERS_PER_SLOT", "0")),
        # Rate limits (Flask-Limiter syntax, ";" between windows); empty = no limit.
        # Orders per client address; an API key's orders count against its own, higher limit.
        "ORDER_RATE_LIMIT": env.get("ORDER_RATE_LIMIT", "10/minute;60/hour").strip(),
        "API_KEY_RATE_LIMIT": env.get("API_KEY_RATE_LIMIT", "120/minute;2000/hour").strip(),
        # Failed staff logins per username from one address, and per address whatever the username.
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10/15 minutes").strip(),
        "LOGIN_CLIENT_RATE_LIMIT": env.get("LOGIN_CLIENT_RATE_LIMIT", "30/15 minutes").strip(),
        # Failed logins per username whatever the address (password spraying); past it only devices
        # that logged in as that user before (a signed cookie, valid this many days) are checked.
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "20/15 minutes;40/hour;100/day").strip(),
        "LOGIN_KNOWN_DEVICE_DAYS": int(env.get("LOGIN_KNOWN_DEVICE_DAYS") or "90"),
        # Wrong "current password"s on the staff account page, per account.
        "PASSWORD_CHANGE_RATE_LIMIT": env.get("PASSWORD_CHANGE_RATE_LIMIT", "5/15 minutes;20/day").strip(),
        # Order pages and status polls per address: an htmx poll every 2 s is 30 a minute.
        "ORDER_PAGE_RATE_LIMIT": env.get("ORDER_PAGE_RATE_LIMIT", "300/minute").strip(),
        # Empty: the app's Redis when there is one (else in-process memory); a limits storage URI otherwise.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "").strip(),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "bakery-limits"),
        # Proxies in front of the app whose X-Forwarded-For is believed (0: a direct port, none).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES") or "0"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Served over HTTPS (Compose's default): HSTS on every answer, cookies marked Secure.
        # HTTPS=0 for plain local HTTP. SESSION_COOKIE_SECURE=1 is the older name for the cookie half.
        "HTTPS": truthy(env.get("HTTPS")),
        "SESSION_COOKIE_SECURE": truthy(env.get("SESSION_COOKIE_SECURE")),
        # A staff session ends after this many minutes without a request, and this many hours after login.
        "STAFF_IDLE_MINUTES": int(env.get("STAFF_IDLE_MINUTES") or "60"),
        "STAFF_SESSION_HOURS": int(env.get("STAFF_SESSION_HOURS") or "12"),
        "BAKERY_NAME": env.get("BAKERY_NAME", "Crumb & Co. Bakery"),
        "BAKERY_ADDRESS": env.get("BAKERY_ADDRESS", "12 Mill Lane, 10115 Berlin"),
        "BAKERY_PHONE": env.get("BAKERY_PHONE", "+49 30 1234 5678"),
        "BAKERY_TIMEZONE": ZoneInfo(env.get("BAKERY_TIMEZONE", "Europe/Berlin")).key,  # a typo fails at start
        "BAKERY_OPENING_HOURS": parse_opening_hours(env.get("BAKERY_HOURS", DEFAULT_HOURS)),
        # Pickup no sooner than this after ordering, and no further ahead than this.
        "BAKERY_PICKUP_LEAD_MINUTES": int(env.get("BAKERY_PICKUP_LEAD_MINUTES", "30")),
        "BAKERY_PICKUP_DAYS_AHEAD": int(env.get("BAKERY_PICKUP_DAYS_AHEAD", "14")),
        # Pickup slots: their length, and how many orders each takes until staff change it.
        "BAKERY_SLOT_MINUTES": int(env.get("BAKERY_SLOT_MINUTES", "30")),
        "BAKERY_SLOT_CAPACITY": int(env.get("BAKERY_SLOT_CAPACITY", "8")),
        # Pickups on a day must be ordered by this time on the previous opening day (None: no cutoff).
        "BAKERY_ORDER_CUTOFF": clock_time(env.get("BAKERY_ORDER_CUTOFF"), "BAKERY_ORDER_CUTOFF"),
        # The speed-ups that lean on library internals (app/speedups.py); 0 runs on public APIs alone.
        "SPEEDUPS": flag("SPEEDUPS", env.get("SPEEDUPS"), default=True),
        # Dates as customers read them (Babel); an unknown locale fails at start.
        "BAKERY_LOCALE": str(Locale.parse(env.get("BAKERY_LOCALE", "en_GB"))),
        # Forms are protected by Flask-WTF's CSRFProtect, called from app/security/csrf.py.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: no "expired" at checkout
        **cache_settings(env),
        **(overrides or {}),
    }
    config["SECRET_KEY"] = secret_key(config["SECRET_KEY"], instance_path)
    # The CSRF token lives in the session cookie, so these are all the cookies there are.
    config["SESSION_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"] or config["HTTPS"]
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(config["SQLALCHEMY_DATABASE_URI"], config["DB_POOL_SIZE"], config["DB_MAX_OVERFLOW"]),
    )
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise ValueError("Set MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL (TLS from the start), not both")
    if config["CACHE_TYPE"] == "RedisCache":
        config["CACHE_REDIS_URL"] = redis_url_with_timeouts(config["CACHE_REDIS_URL"])
    config.update(rate_limit_settings(config))
    return config


def rate_limit_settings(config):
    """Flask-Limiter's own settings: counts in the app's Redis (own prefix) or in memory; fail open."""
    storage = config["RATELIMIT_STORAGE_URI"]
    if not storage:
        storage = config["CACHE_REDIS_URL"] if config["CACHE_TYPE"] == "RedisCache" else "memory://"
    return {
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_STORAGE_OPTIONS": dict(REDIS_TIMEOUTS) if storage.startswith("redis") else {},
        # A limiter whose storage is down lets requests through (and logs): it must never stop orders.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
    }
