"""Capped exponential back-off, for reconnect loops that must never spin."""


class Backoff:
    """Delays of base, 2·base, 4·base, … up to `cap` seconds; reset() after a success."""

    def __init__(self, base=0.5, cap=5.0):
        self.base = base
        self.cap = cap
        self._failures = 0

    def next(self):
        """The delay before the next try; each call doubles it, up to the cap."""
        delay = min(self.cap, self.base * (2 ** self._failures))
        self._failures += 1
        return delay

    def reset(self):
        """Forget earlier failures: the next delay is `base` again."""
        self._failures = 0
