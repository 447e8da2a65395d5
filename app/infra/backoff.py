"""Capped exponential back-off, for reconnect loops that must never spin and for order retries."""


class Backoff:
    """Delays of base, 2·base, 4·base, … up to `cap` seconds; reset() after a success."""

    def __init__(self, base=0.5, cap=5.0):
        self.base = base
        self.cap = cap
        self._failures = 0

    def delay(self, failures):
        """The delay after `failures` earlier failures in a row (0: base), without counting one."""
        return min(self.cap, self.base * (2 ** min(failures, 64)))  # 2**64·base is past any cap

    def next(self):
        """The delay before the next try; each call doubles it, up to the cap."""
        delay = self.delay(self._failures)
        self._failures += 1
        return delay

    def reset(self):
        """Forget earlier failures: the next delay is `base` again."""
        self._failures = 0
