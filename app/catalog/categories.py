"""Categories: the shop's shelves, in the order staff choose; the catalogue groups products by them. No HTTP here."""

import logging

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..exceptions import Invalid, NotFound
from ..extensions import db
from ..models import Category, Product, is_id, utcnow
from ..security.text_rules import unfit_characters

LOGGER = logging.getLogger(__name__)
MAX_NAME = 60


def list_categories():
    """Every category in the order the catalogue shows them (position, then the oldest first)."""
    return db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()


def get_category(category_id):
    """The category with this id; NotFound otherwise."""
    category = db.session.get(Category, category_id) if is_id(category_id) else None
    if category is None:
        raise NotFound("No category with that id")
    return category


def add_category(name):
    """A new category, placed last; Invalid (at "name") for an empty, long or taken name."""
    name = _checked_name(name)
    last = db.session.scalar(select(func.max(Category.position))) or 0
    category = Category(name=name, position=last + 1)
    db.session.add(category)
    _commit(name)
    LOGGER.info("category added category_id=%s name=%s", category.id, category.name)
    return category


def rename_category(category_id, name):
    """Rename a category; its products show the new name to customers at once."""
    category = get_category(category_id)
    name = _checked_name(name, category)
    if name != category.name:
        category.name = name
        _touch_products(category.id)
        _commit(name)
        LOGGER.info("category renamed category_id=%s name=%s", category.id, category.name)
    return category


def move_category(category_id, direction):
    """Swap a category with its neighbour ("up" or "down"); at either end nothing moves."""
    if direction not in ("up", "down"):
        raise Invalid("Move a category up or down", {"direction": "Choose up or down."})
    category = get_category(category_id)
    ordered = list(list_categories())
    for position, each in enumerate(ordered, start=1):  # tidy positions so a swap always moves one place
        each.position = position
    index = ordered.index(category)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        neighbour = ordered[other]
        category.position, neighbour.position = neighbour.position, category.position
        _touch_products(category.id, neighbour.id)
    db.session.commit()
    return category


def _checked_name(name, category=None):
    name = name.strip() if isinstance(name, str) else ""
    problem = None
    if not name:
        problem = "Give the category a name."
    elif len(name) > MAX_NAME:
        problem = f"A category name can be at most {MAX_NAME} characters ({len(name)} now)."
    elif unfit := unfit_characters(name):
        problem = f"A category name can't contain {unfit}."
    else:
        query = select(Category.id).where(func.lower(Category.name) == name.lower())
        if category is not None:
            query = query.where(Category.id != category.id)
        if db.session.scalar(query.limit(1)) is not None:
            problem = f"There is already a category called “{name}”."
    if problem:
        raise Invalid(problem, {"name": problem})
    return name


def _touch_products(*category_ids):
    """Bump updated_at of the category's products: the catalogue's fingerprint is the products table."""
    db.session.execute(update(Product).where(Product.category_id.in_(category_ids)).values(updated_at=utcnow()))


def _commit(name):
    try:
        db.session.commit()
    except IntegrityError as error:  # the same name added by someone else a moment ago
        db.session.rollback()
        problem = f"There is already a category called “{name}”."
        raise Invalid(problem, {"name": problem}) from error
