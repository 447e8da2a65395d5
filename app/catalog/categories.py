"""Categories: the shop's shelves, in the order staff choose; the catalogue groups products by them."""
from sqlalchemy import select

from ..extensions import db
from ..models import Category


def list_categories():
    """Every category in the order the catalogue shows them (position, then the oldest first)."""
    return db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
