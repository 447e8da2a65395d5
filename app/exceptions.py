"""The refusals of the bakery's rules: raised by services, turned into answers only by app/web/errors.py.

Services serve the web, the CLI and the worker alike, so they never speak HTTP: they
raise one of these, each with a message for people and optional details by field.
"""

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class DomainError(Exception):
    """A request the bakery's rules refuse; `message` is shown to people, `details` by field."""

    def __init__(self, message, details=None):
        super().__init__(message)
        self.message = message
        self.details = details


class Malformed(DomainError):
    """The input is not of the expected shape at all (not an object, not a number, …)."""


class NotFound(DomainError):
    """The thing asked for does not exist (or cannot be seen by this caller)."""


class Conflict(DomainError):
    """The request is sound but the current state forbids it (sold out, wrong status, taken)."""


class Invalid(DomainError):
    """The input breaks a rule (too many, too long, not a valid price); details say where."""


class Stale(Conflict):
    """An edit made from an older version of what it changes; `current` is what is there now."""

    def __init__(self, message, current=None):
        super().__init__(message)
        self.current = current


# "The database is down": unreachable, a dropped connection, or no free connection in the pool
# within pool_timeout. The web answers a 503; the order pipeline waits and counts nothing.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
