"""HTML rendered once and served to every visitor, with the per-visitor parts punched in.

What a page shows of one visitor (CSRF token, cart count, flashed messages) reaches the
templates as one explicit value, `visitor`. HTML cached for everyone is rendered with
`EVERYONE`, whose parts are slots, and `personalise()` fills the slots with the values a
view passes in. A template rendered for one request gets `SessionVisitor()` by default,
which reads the session only when the template uses it.
"""

import re
from functools import lru_cache

from flask import get_flashed_messages
from markupsafe import Markup, escape

from ..cart.service import item_count
from ..security.csrf import csrf_token

# A placeholder, not a secret
TOKEN_SLOT = "__csrf_token_slot__"  # nosec B105
COUNT_SLOT = "__cart_count_slot__"
COUNT_LABEL_SLOT = "__cart_count_label_slot__"


def _label(count):
    return "item" if count == 1 else "items"


class Visitor:
    """One visitor's parts of a page, given as values: CSRF token, cart count, flashed messages."""

    def __init__(self, csrf_token, cart_count, messages=(), cart_count_label=None):
        self.csrf_token = csrf_token
        self.cart_count = cart_count
        self.cart_count_label = cart_count_label or _label(cart_count)
        self.messages = list(messages)  # (category, message) pairs, as flashed

    def messages_in(self, category):
        """The flashed messages of one category (e.g. "added-3" for product 3's card)."""
        return [message for kind, message in self.messages if kind == category]


# The visitor of HTML shared by everyone: slots that personalise() fills, and no messages.
EVERYONE = Visitor(TOKEN_SLOT, COUNT_SLOT, cart_count_label=COUNT_LABEL_SLOT)


def this_visitor():
    """The current request's visitor, read from their session (views call it, shared renderings never)."""
    return Visitor(csrf_token(), item_count(), get_flashed_messages(with_categories=True))


class SessionVisitor:
    """The default `visitor` of templates rendered for one request: reads the session when used."""

    @property
    def csrf_token(self):
        return csrf_token()

    @property
    def cart_count(self):
        return item_count()

    @property
    def cart_count_label(self):
        return _label(item_count())

    def messages_in(self, category):
        return get_flashed_messages(category_filter=[category])


def personalise(html, visitor):
    """Shared HTML with `visitor`'s CSRF token and cart count in its slots."""
    values = {
        TOKEN_SLOT: visitor.csrf_token,
        COUNT_SLOT: str(visitor.cart_count),
        COUNT_LABEL_SLOT: visitor.cart_count_label,
    }
    if isinstance(html, Markup):  # Markup.replace() escaped what it put in: so do we
        values = {slot: escape(value) for slot, value in values.items()}
    # The page split at its slots once (odd parts are slots): joining the parts with the
    # visitor's values is one pass, where three replace() calls walked the whole page each.
    parts = _split_at_slots(html)
    # Escaped HTML with generated tokens and numbers in its slots
    return Markup(  # nosec B704
        "".join(values[part] if index % 2 else part for index, part in enumerate(parts))
    )


SLOTS = re.compile("(" + "|".join(re.escape(slot) for slot in (TOKEN_SLOT, COUNT_SLOT, COUNT_LABEL_SLOT)) + ")")


@lru_cache(maxsize=16)
def _split_at_slots(html):
    """(text, slot, text, slot, …, text): the few shared pages and grids, each split once."""
    return tuple(SLOTS.split(str(html)))


def register_visitor(app):
    """Templates get `visitor` for the current request unless the caller passes its own."""
    app.context_processor(lambda: {"visitor": SessionVisitor()})
