"""The catalogue cache: a per-process copy in front of the shared Flask-Caching tier.

Why two tiers: a Redis round trip through its client is dear next to the whole Flask request
(docs/performance.md, "Limits of the machine", has the figures), so the hot catalogue is served
from a copy in each process.
The copies stay correct because every change publishes an invalidation on Redis pub/sub
that each process's listener applies. Where no invalidation can be heard — the embedded
default (no Redis: other gunicorn workers and `flask product-update` are other processes),
or Redis down — a copy is used only while a cheap stamp of the products table is unchanged,
checked on every request. Shared entries are keyed by a version number that every
invalidation increments, so a rebuild racing with a change can never store old data under
the new version.

Redis is never a hard dependency: any error opens a short circuit breaker and the
catalogue is built from the database until Redis answers again.
"""

import logging
import threading
import time

import redis

from ..infra.backoff import Backoff
from ..infra.cache_errors import REDIS_ERRORS

LOGGER = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
ENTRY_FORMAT = 3  # bump when the shape of a cached value changes, so old entries are never read
CHANNEL_SUFFIX = "catalog:invalidate"
SHARED_TTL = 3600
LOCK_TTL = 5
LOCAL_MAX_AGE = 60.0  # a lost message can leave a copy stale for at most this long
WAIT_FOR_BUILDER = 1.0
STARTUP_WAIT = 0.25
LISTENER_SILENCE = 3.0  # no pong for this long: treat Redis as hung
RECONNECT_BASE, RECONNECT_CAP = 0.5, 10.0  # the listener's back-off after losing Redis


class Breaker:
    """Skip a failing dependency for `cooldown` seconds after an error, instead of waiting on it."""

    def __init__(self, cooldown=5.0):
        self.cooldown = cooldown
        self._open_until = 0.0

    @property
    def closed(self):
        return time.monotonic() >= self._open_until

    def trip(self, error):
        if self.closed:
            LOGGER.warning("cache unavailable, using the database for %.0fs: %s", self.cooldown, error)
        self._open_until = time.monotonic() + self.cooldown


class CatalogCache:
    """get(name, build) → the cached value, built at most once per change across the fleet."""

    def __init__(self, shared, redis_url=None, key_prefix="", local_max_age=LOCAL_MAX_AGE):
        self.shared = shared  # the Flask-Caching backend (RedisCache or SimpleCache)
        self.redis_url = redis_url
        self.channel = f"{key_prefix}{CHANNEL_SUFFIX}"
        self.local_max_age = local_max_age
        self.breaker = Breaker()
        self._local = {}
        self._generation = 0  # bumped by every invalidation seen by this process
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._stamped = {}  # name -> (stamp, value), used while no invalidations can be heard
        # Set while this process hears other processes' invalidations: never without Redis.
        self._listening = threading.Event()
        self._listener = None
        self._reconnect = Backoff(RECONNECT_BASE, RECONNECT_CAP)
        self._redis = None

    # -- reading ----------------------------------------------------------------------

    def get(self, name, build, stamp=None):
        """The value for `name`, from this process, the shared tier, or `build()`.

        `stamp()` is a cheap fingerprint of the source data: while no invalidations can be
        heard (no Redis, or Redis down), a copy is used only if its stamp is still current.
        """
        self._ensure_listener()
        if not self._listening.is_set():
            if stamp is None:
                return self._from_shared(name, build) or build()
            return self._get_stamped(name, build, stamp)
        value = self._fresh_local(name)
        if value is not None:
            return value
        with self._building:  # one thread per process builds; the others then find its copy
            value = self._fresh_local(name)
            if value is None:
                generation = self._generation
                value = self._from_shared(name, build) or build()
                self._keep_locally(name, value, generation)
            return value

    def _get_stamped(self, name, build, stamp):
        current = stamp()  # read before building: a change in between only costs a rebuild
        entry = self._stamped.get(name)
        if entry is not None and entry[0] == current:
            return entry[1]
        with self._building:  # after a change, one thread rebuilds and the others wait for it
            entry = self._stamped.get(name)
            if entry is not None and entry[0] == current:
                return entry[1]
            value = build()
            self._stamped[name] = (current, value)
            return value

    def _fresh_local(self, name):
        entry = self._local.get(name)
        if entry is not None and self._listening.is_set() and time.monotonic() - entry[0] < self.local_max_age:
            return entry[1]
        return None

    def _keep_locally(self, name, value, generation):
        with self._lock:
            # An invalidation that arrived while we built means `value` may be old: don't keep it.
            if generation == self._generation:
                self._local[name] = (time.monotonic(), value)

    def _from_shared(self, name, build):
        """Read or build through the shared tier; None when it is unavailable."""
        if not self.redis_url or not self.breaker.closed:
            return None
        try:
            version = self.shared.get(VERSION_KEY) or 0
            key = f"catalog:f{ENTRY_FORMAT}:{name}:v{version}"
            value = self.shared.get(key)
            if value is not None:
                return value
            if self.shared.add(f"{key}:lock", 1, timeout=LOCK_TTL):
                value = build()
                self.shared.set(key, value, timeout=SHARED_TTL)
                return value
            return self._wait_for_builder(key) or build()
        except REDIS_ERRORS as error:
            self.breaker.trip(error)
            return None

    def _wait_for_builder(self, key):
        """Another process holds the build lock: wait briefly for its result (no stampede)."""
        deadline = time.monotonic() + WAIT_FOR_BUILDER
        while time.monotonic() < deadline:
            time.sleep(0.02)
            value = self.shared.get(key)
            if value is not None:
                return value
        return None

    @property
    def generation(self):
        """How many invalidations this process has seen: a memo of catalogue-related data keys on it."""
        return self._generation

    # -- invalidating -----------------------------------------------------------------

    def invalidate(self):
        """Forget every catalogue entry, here and in every other process."""
        self._forget_local()
        if not self.redis_url:
            return
        try:
            self.shared.inc(VERSION_KEY)
            self._client().publish(self.channel, "1")
        except REDIS_ERRORS as error:
            # Other processes cannot hear us; their listeners drop their copies when they
            # lose Redis too, and shared entries expire.
            self.breaker.trip(error)

    def _forget_local(self):
        with self._lock:
            self._generation += 1
            self._local.clear()
            self._stamped.clear()

    # -- listening for other processes' invalidations ----------------------------------

    def _ensure_listener(self):
        if not self.redis_url or (self._listener is not None and self._listener.is_alive()):
            return
        with self._lock:
            started = self._listener is None or not self._listener.is_alive()
            if started:
                self._listener = threading.Thread(target=self._listen, name="catalog-invalidations", daemon=True)
                self._listener.start()
        if started:
            # Give a new listener a moment to subscribe, so the first requests keep copies.
            self._listening.wait(STARTUP_WAIT)

    def _listen(self):
        """Listen for the life of the process (a daemon thread); reconnect with back-off."""
        while True:
            try:
                self._listen_once()
            except REDIS_ERRORS as error:
                LOGGER.warning("catalog invalidation listener lost Redis: %s", error)
            finally:
                self._listening.clear()
                self._forget_local()
            time.sleep(self._reconnect.next())

    def _listen_once(self):
        """Subscribe, then apply messages; ping every second so a hung Redis is noticed."""
        pubsub = self._client().pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.channel)
            self._forget_local()  # anything kept before we listened may have missed a message
            self._listening.set()
            self._reconnect.reset()  # connected: the next loss waits the shortest delay again
            last_pong = time.monotonic()
            while True:
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    pubsub.ping()
                elif message["type"] == "pong":
                    last_pong = time.monotonic()
                else:
                    self._forget_local()
                if time.monotonic() - last_pong > LISTENER_SILENCE:
                    raise redis.ConnectionError("no answer to ping")
        finally:
            pubsub.close()

    def _client(self):
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.redis_url)  # the URL carries the timeouts
        return self._redis
