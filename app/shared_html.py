"""HTML rendered once and served to every visitor, with the per-visitor parts punched in.

While `rendering_for_everyone()` is active, templates get slots instead of the visitor's
CSRF token and cart count, and no flashed messages, so nothing of one session is cached for
all. `personalise()` fills the slots for the current visitor.
"""
from contextlib import contextmanager

from flask import g, get_flashed_messages
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

TOKEN_SLOT = "__csrf_token_slot__"
COUNT_SLOT = "__cart_count_slot__"
COUNT_LABEL_SLOT = "__cart_count_label_slot__"


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


def cart_count():
    """How many items this visitor's cart holds, or a slot for it."""
    return COUNT_SLOT if _shared() else item_count()


def cart_count_label():
    """"item" or "items" for the cart badge, or a slot for it."""
    return COUNT_LABEL_SLOT if _shared() else _label(item_count())


def item_count():
    # Imported here: the cart reads the catalogue, whose service imports this module.
    from .cart.service import item_count as count_items

    return count_items()


def _label(count):
    return "item" if count == 1 else "items"


def personalise(html):
    """Shared HTML with this visitor's CSRF token and cart count in its slots."""
    count = item_count()
    return Markup(
        html.replace(TOKEN_SLOT, generate_csrf())
        .replace(COUNT_SLOT, str(count))
        .replace(COUNT_LABEL_SLOT, _label(count))
    )


def register_shared_html_globals(app):
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        get_flashed_messages=flashed_messages,
        cart_count=cart_count,
        cart_count_label=cart_count_label,
    )
