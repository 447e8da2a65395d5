"""HTML rendered once and served to every visitor, with the per-visitor parts punched in.

While `rendering_for_everyone()` is active, templates get a placeholder instead of the
visitor's CSRF token and no flashed messages, so nothing of one session is cached for all.
`personalise()` puts the current visitor's token into such HTML.
"""
from contextlib import contextmanager

from flask import g, get_flashed_messages
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

TOKEN_SLOT = "__csrf_token_slot__"


@contextmanager
def rendering_for_everyone():
    """Render HTML that may be cached and shown to any visitor."""
    g.rendering_for_everyone = True
    try:
        yield
    finally:
        g.rendering_for_everyone = False


def _shared():
    return g.get("rendering_for_everyone", False)


def csrf_token():
    """The visitor's CSRF token, or a slot for it in HTML rendered for everyone."""
    return TOKEN_SLOT if _shared() else generate_csrf()


def flashed_messages(**kwargs):
    """This visitor's flashed messages; none in HTML rendered for everyone."""
    return [] if _shared() else get_flashed_messages(**kwargs)


def personalise(html):
    """Shared HTML with this visitor's CSRF token in its slots."""
    return Markup(html.replace(TOKEN_SLOT, generate_csrf()))


def register_shared_html_globals(app):
    app.jinja_env.globals.update(csrf_token=csrf_token, get_flashed_messages=flashed_messages)
