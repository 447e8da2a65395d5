"""What "the database is down" means, for the web (a 503) and the order pipeline (wait, count nothing)."""

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Unreachable, a dropped connection, or no free connection in the pool within pool_timeout.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
