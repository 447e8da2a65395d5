"""The app's Flask class: Flask, remembering which views and hooks are plain functions."""

import weakref

from flask import Flask


class BakeryFlask(Flask):
    """Flask asks `inspect.iscoroutinefunction` about every view, hook and template context
    processor on every request (the counts are in docs/performance.md, "Why the speed-ups
    exist"). The answer never changes for a function, so it is kept: weakly,
    so that a per-request callback (after_this_request) is forgotten with its request.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_functions = weakref.WeakSet()

    def ensure_sync(self, func):
        try:
            if func in self._plain_functions:
                return func
            wrapped = super().ensure_sync(func)
            if wrapped is func:
                self._plain_functions.add(func)
            return wrapped
        except TypeError:  # unhashable, or takes no weak reference: Flask's own check every time
            return super().ensure_sync(func)
