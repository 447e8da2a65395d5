"""The baselines and the catalogue scenarios: JSON, page, fragment, frontend, Redis down."""

from .scenario import Scenario, Target

STATIC = "nginx static file (ceiling)"
BARE = "bare Flask, constant bytes (Python ceiling)"
PRODUCTS_JSON = "GET /products JSON, warm cache"

JSON = {"Accept": "application/json"}
PAGE = {"Accept": "text/html"}
FRAGMENT = {"Accept": "text/html", "HX-Request": "true"}


def scenarios():
    """The catalogue figures that need only GET requests."""
    return [
        Scenario(STATIC, "static", headers=JSON),
        Scenario(BARE, "bare", headers=JSON),
        Scenario(PRODUCTS_JSON, "app", headers=JSON, target=Target(ratio_of=BARE, min_ratio=0.8)),
        Scenario(
            "GET /products JSON via frontend nginx",
            "frontend",
            headers=JSON,
            target=Target(ratio_of=STATIC, min_ratio=0.5),
        ),
        Scenario("GET / full page (HTML)", "app", path="/", headers=PAGE, target=Target(ratio_of=BARE, min_ratio=0.5)),
        Scenario("GET / HTMX fragment", "app", path="/", headers=FRAGMENT),
        Scenario(
            "GET /products JSON, Redis down",
            "app-no-redis",
            headers=JSON,
            target=Target(ratio_of=PRODUCTS_JSON, min_ratio=0.5, zero_errors=True),
        ),
    ]
