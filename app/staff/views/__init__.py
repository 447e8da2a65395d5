"""The staff pages and their JSON: each module adds its routes to the staff blueprint (`app.staff.bp`).

login (log in and out), board (the order board), search (finding any order), lists (bake and
pick lists), counter (what is sold, baked more or burnt in the shop), resources (ovens and
their load), reports, products (the products table: quick edits, stock), options (a product's
options and their choices), catalogue (the product form, categories), calendar, accounts, api_keys;
shared: what they share (the form or JSON sent).
"""

from . import (
    accounts,
    api_keys,
    board,
    calendar,
    catalogue,
    counter,
    lists,
    login,
    options,
    products,
    reports,
    resources,
    search,
)

__all__ = [
    "accounts",
    "api_keys",
    "board",
    "calendar",
    "catalogue",
    "counter",
    "lists",
    "login",
    "options",
    "products",
    "reports",
    "resources",
    "search",
]
