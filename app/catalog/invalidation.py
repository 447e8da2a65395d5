"""Forget cached catalogue data whenever a committed transaction changed what customers see.

ORM changes to products, their allergens, options and categories are noticed automatically; bulk SQL
updates (stock reservations) call mark_catalog_changed() themselves when they change availability
or the "only N left" hint.
"""

from itertools import chain

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import Category, ChoiceAllergen, OptionChoice, Product, ProductAllergen, ProductOption

# Everything a product card or the catalogue JSON shows comes from these tables.
WATCHED = (Product, ProductAllergen, Category, ProductOption, OptionChoice, ChoiceAllergen)
FLAG = "catalog_changed"


def mark_catalog_changed(session):
    """Make the commit of `session`'s transaction invalidate the catalogue cache."""
    session.info[FLAG] = True


def _note_product_changes(session, _flush_context, _instances):
    if any(isinstance(obj, WATCHED) for obj in chain(session.new, session.dirty, session.deleted)):
        mark_catalog_changed(session)


def _invalidate_after_commit(session):
    if session.info.pop(FLAG, False):
        current_app.extensions["catalog_cache"].invalidate()


def _forget_after_rollback(session):
    session.info.pop(FLAG, None)


def watch_product_changes():
    """Install the session hooks once per interpreter (they look up the app at run time)."""
    if not event.contains(Session, "before_flush", _note_product_changes):
        event.listen(Session, "before_flush", _note_product_changes)
        event.listen(Session, "after_commit", _invalidate_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)
