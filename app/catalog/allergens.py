"""The 14 allergens of EU Regulation 1169/2011 Annex II and the dietary labels, as stable codes."""

# Codes are what JSON, forms and the database carry; labels are what people read. Order is the Annex's.
ALLERGENS = {
    "gluten": "Cereals containing gluten",
    "crustaceans": "Crustaceans",
    "eggs": "Eggs",
    "fish": "Fish",
    "peanuts": "Peanuts",
    "soy": "Soybeans",
    "milk": "Milk",
    "nuts": "Tree nuts",
    "celery": "Celery",
    "mustard": "Mustard",
    "sesame": "Sesame",
    "sulphites": "Sulphur dioxide and sulphites",
    "lupin": "Lupin",
    "molluscs": "Molluscs",
}
DIETARY = {"vegan": "Vegan", "vegetarian": "Vegetarian"}
# Animal products that no vegan product may contain (honey and gelatine are not Annex II allergens).
NOT_VEGAN = ("milk", "eggs", "fish", "crustaceans", "molluscs")


def unknown_codes(codes):
    """The codes in `codes` that are not allergen codes, in the order given, without repeats."""
    seen = []
    for code in codes:
        if code not in ALLERGENS and code not in seen:
            seen.append(code)
    return seen


def in_order(codes):
    """Known allergen codes from `codes`, in Annex II order."""
    chosen = set(codes)
    return [code for code in ALLERGENS if code in chosen]
