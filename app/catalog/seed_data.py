"""Demo catalogue for a new bakery: real items, prices, an original picture, a category and allergens each;
breads and pastries baked daily (an amount per opening weekday, so many to a tray of the one deck oven),
cakes and tarts stocked, and a birthday cake made to order with a size, a filling and an inscription."""

from decimal import Decimal

from sqlalchemy import func, select

from ..bakery_calendar.service import weekly_hours
from ..extensions import db
from ..models import (
    BAKED,
    ONE_OF,
    TEXT,
    YES_NO,
    Category,
    ChoiceAllergen,
    OptionChoice,
    Product,
    ProductOption,
    ProductResourceUse,
    Resource,
)

DEMO_CATEGORIES = ["Breads", "Viennoiserie", "Cakes & tarts"]

DEMO_PRODUCTS = [
    (
        "Butter Croissant",
        "2.80",
        40,
        "butter-croissant",
        "Flaky, golden and made with French butter, laminated over three days.",
    ),
    ("Pain au Chocolat", "3.20", 30, "pain-au-chocolat", "Croissant dough rolled around two batons of dark chocolate."),
    (
        "Sourdough Loaf",
        "6.50",
        12,
        "sourdough-loaf",
        "Naturally leavened, 36-hour fermentation, a crackling dark crust.",
    ),
    ("Baguette", "2.90", 25, "baguette", "Crisp crust, open crumb; baked every two hours."),
    ("Cinnamon Roll", "3.50", 20, "cinnamon-roll", "Soft brioche swirl with cinnamon sugar and a vanilla glaze."),
    (
        "Blueberry Muffin",
        "3.00",
        18,
        "blueberry-muffin",
        "Buttermilk muffin packed with blueberries and a crumble top.",
    ),
    ("Rye Bread", "5.80", 8, "rye-bread", "Dense, dark Nordic rye with sunflower seeds and malt."),
    (
        "Almond Croissant",
        "3.60",
        15,
        "almond-croissant",
        "Twice-baked croissant filled with almond cream, topped with flaked almonds.",
    ),
    ("Apple Turnover", "3.20", 16, "apple-turnover", "Puff pastry folded over cinnamon-spiced apples."),
    ("Lemon Tart", "4.20", 3, "lemon-tart", "Sweet shortcrust with a sharp lemon curd; a slice for one."),
    (
        "Birthday Cake",
        "28.00",
        0,
        "birthday-cake",
        "Sponge layered with the filling you choose, a name piped on top; made to order.",
    ),
]

# name: (category, contains, may contain, dietary). Conservative: butter means milk, an egg
# wash means eggs, barley malt means gluten; dark chocolate carries soya lecithin, and a kitchen
# that flakes almonds and bakes seeded loaves cannot promise the rest are free of them.
DEMO_DETAILS = {
    "Butter Croissant": ("Viennoiserie", ["gluten", "eggs", "milk"], ["nuts"], ["vegetarian"]),
    "Pain au Chocolat": ("Viennoiserie", ["gluten", "eggs", "soy", "milk"], ["nuts"], ["vegetarian"]),
    "Sourdough Loaf": ("Breads", ["gluten"], [], ["vegan", "vegetarian"]),
    "Baguette": ("Breads", ["gluten"], [], ["vegan", "vegetarian"]),
    "Cinnamon Roll": ("Viennoiserie", ["gluten", "eggs", "milk"], ["nuts"], ["vegetarian"]),
    "Blueberry Muffin": ("Cakes & tarts", ["gluten", "eggs", "milk"], ["nuts"], ["vegetarian"]),
    "Rye Bread": ("Breads", ["gluten"], ["sesame"], ["vegan", "vegetarian"]),
    "Almond Croissant": ("Viennoiserie", ["gluten", "eggs", "milk", "nuts"], [], ["vegetarian"]),
    "Apple Turnover": ("Viennoiserie", ["gluten", "eggs", "milk"], ["nuts"], ["vegetarian"]),
    "Lemon Tart": ("Cakes & tarts", ["gluten", "eggs", "milk"], ["nuts"], ["vegetarian"]),
    "Birthday Cake": ("Cakes & tarts", ["gluten", "eggs", "milk"], ["nuts"], ["vegetarian"]),
}

# Made to order (baked when ordered, one to a tray of the oven), with this much notice in hours.
DEMO_TO_ORDER = {"Birthday Cake": 48}

# name: [(option, type, required, max length, [(choice, price change, default, extra lead hours, allergens)])].
DEMO_OPTIONS = {
    "Birthday Cake": [
        (
            "Size",
            ONE_OF,
            True,
            None,
            [("6″", "0.00", True, 0, []), ("8″", "8.00", False, 0, []), ("10″", "16.00", False, 24, [])],
        ),
        (
            "Filling",
            ONE_OF,
            False,
            None,
            [
                ("Chocolate", "0.00", True, 0, ["soy"]),
                ("Lemon", "0.00", False, 0, []),
                ("Raspberry", "0.00", False, 0, []),
            ],
        ),
        ("Inscription", TEXT, False, 30, []),
    ],
    "Sourdough Loaf": [("Sliced", YES_NO, False, None, [])],
}


# Baked daily: (Monday to Friday, Saturday); none on the days the bakery is closed. The rest keep a few days: stocked.
SATURDAY = 5
DEMO_BAKED = {
    "Butter Croissant": (24, 48),
    "Pain au Chocolat": (24, 48),
    "Sourdough Loaf": (12, 24),
    "Baguette": (24, 48),
    "Cinnamon Roll": (18, 36),
    "Rye Bread": (8, 16),
    "Almond Croissant": (12, 24),
    "Apple Turnover": (12, 24),
}


# Days of notice: a 36-hour dough is started the day before.
DEMO_LEAD_DAYS = {"Sourdough Loaf": 1}


# The demo's one oven, and how many of each baked product one of its trays takes.
DEMO_OVEN = ("Deck oven", "trays", 40)
DEMO_PER_TRAY = {
    "Butter Croissant": 12,
    "Pain au Chocolat": 12,
    "Sourdough Loaf": 6,
    "Baguette": 8,
    "Cinnamon Roll": 12,
    "Rye Bread": 6,
    "Almond Croissant": 12,
    "Apple Turnover": 12,
}


def demo_amounts(name, open_weekdays):
    """{weekday: amount} for a baked demo product on the bakery's opening weekdays; None for a stocked one."""
    if name not in DEMO_BAKED:
        return None
    weekday, saturday = DEMO_BAKED[name]
    return {day: saturday if day == SATURDAY else weekday for day in open_weekdays}


def demo_options(name):
    """The demo product's options (ProductOption rows with their choices, not yet added)."""
    options = []
    for position, (option_name, kind, required, max_length, choices) in enumerate(DEMO_OPTIONS.get(name, [])):
        option = ProductOption(name=option_name, type=kind, required=required, max_length=max_length, position=position)
        for order, (choice_name, delta, default, extra, allergens) in enumerate(choices):
            choice = OptionChoice(
                name=choice_name, price_delta=Decimal(delta), is_default=default, extra_lead_hours=extra, position=order
            )
            choice.allergen_rows.extend(ChoiceAllergen(code=code) for code in allergens)
            option.choices.append(choice)
        options.append(option)
    return options


def demo_products():
    """The demo catalogue as dicts ready for Product(**row) (without category and allergens)."""
    return [
        {
            "name": name,
            "price": Decimal(price),
            "stock": stock,
            "image": f"/static/products/{slug}.svg",
            "description": description,
        }
        for name, price, stock, slug, description in DEMO_PRODUCTS
    ]


def load_demo():
    """Add the demo categories and whatever demo products are missing; commit.

    Demo products from before categories existed (no category yet) get their category and
    allergens; anything staff made or have since edited is left alone. Returns
    (products added, products already there, products filled in).
    """
    categories = _demo_categories()
    oven = _demo_oven()
    existing = {p.name: p for p in db.session.scalars(select(Product))}
    open_weekdays = [day for day, hours in enumerate(weekly_hours()) if hours]
    added, filled = [], 0
    for row in demo_products():
        product = existing.get(row["name"])
        if product is None:
            product = Product(**row, lead_days=DEMO_LEAD_DAYS.get(row["name"]))
            amounts = demo_amounts(row["name"], open_weekdays)
            if amounts is not None:
                product.kind = BAKED
                product.set_weekday_amounts(amounts)
                product.batch_size = DEMO_PER_TRAY[row["name"]]
            elif row["name"] in DEMO_TO_ORDER:
                product.kind, product.to_order, product.lead_hours = BAKED, True, DEMO_TO_ORDER[row["name"]]
            if product.kind == BAKED and oven is not None:
                product.resource_uses.append(ProductResourceUse(resource=oven, per_batch=1))
            product.option_rows.extend(demo_options(row["name"]))
            added.append(product)
        elif product.category_id is not None or product.allergen_rows:
            continue
        else:
            filled += 1
        category, contains, may_contain, dietary = DEMO_DETAILS[row["name"]]
        product.category = categories[category]
        product.set_allergens(contains, may_contain)
        product.vegan, product.vegetarian = "vegan" in dietary, "vegetarian" in dietary
    db.session.add_all(added)
    db.session.commit()
    return len(added), len(existing), filled


def _demo_oven():
    """The demo oven (made for a bakery that has no resources yet); None when staff have made their own."""
    name, unit, per_day = DEMO_OVEN
    found = db.session.scalar(select(Resource).where(Resource.name == name))
    if found is not None or db.session.scalar(select(func.count(Resource.id))):
        return found
    oven = Resource(name=name, unit=unit, per_day=per_day)
    db.session.add(oven)
    return oven


def _demo_categories():
    """{name: Category} for the demo categories, adding the missing ones after any staff made."""
    found = {c.name.lower(): c for c in db.session.scalars(select(Category))}
    last = db.session.scalar(select(func.max(Category.position))) or 0
    categories = {}
    for name in DEMO_CATEGORIES:
        category = found.get(name.lower())
        if category is None:
            last += 1
            category = Category(name=name, position=last)
            db.session.add(category)
        categories[name] = category
    return categories
