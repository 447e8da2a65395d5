"""Demo products for a new bakery: real items, prices, stock and an original picture each."""
from decimal import Decimal

DEMO_PRODUCTS = [
    ("Butter Croissant", "2.80", 40, "butter-croissant",
     "Flaky, golden and made with French butter, laminated over three days."),
    ("Pain au Chocolat", "3.20", 30, "pain-au-chocolat",
     "Croissant dough rolled around two batons of dark chocolate."),
    ("Sourdough Loaf", "6.50", 12, "sourdough-loaf",
     "Naturally leavened, 36-hour fermentation, a crackling dark crust."),
    ("Baguette", "2.90", 25, "baguette",
     "Crisp crust, open crumb; baked every two hours."),
    ("Cinnamon Roll", "3.50", 20, "cinnamon-roll",
     "Soft brioche swirl with cinnamon sugar and a vanilla glaze."),
    ("Blueberry Muffin", "3.00", 18, "blueberry-muffin",
     "Buttermilk muffin packed with blueberries and a crumble top."),
    ("Rye Bread", "5.80", 8, "rye-bread",
     "Dense, dark Nordic rye with sunflower seeds and malt."),
    ("Almond Croissant", "3.60", 15, "almond-croissant",
     "Twice-baked croissant filled with almond cream, topped with flaked almonds."),
    ("Apple Turnover", "3.20", 16, "apple-turnover",
     "Puff pastry folded over cinnamon-spiced apples."),
    ("Lemon Tart", "4.20", 3, "lemon-tart",
     "Sweet shortcrust with a sharp lemon curd; a slice for one."),
]


def demo_products():
    """The demo catalogue as dicts ready for Product(**row)."""
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
