"""The back office: the staff blueprint `bp` (blueprint.py), with the routes of the view modules imported here.

Each view module adds its routes to `bp` when imported; the factory registers `staff.bp`.
"""

from . import account_views, api_keys, board_views, calendar, catalogue, lists, reports, views
from .blueprint import bp

__all__ = ["account_views", "api_keys", "board_views", "bp", "calendar", "catalogue", "lists", "reports", "views"]
