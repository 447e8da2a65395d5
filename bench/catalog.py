"""The baselines and the catalogue scenarios: JSON, page, fragment, frontend, Redis down."""

from .scenario import WITHOUT_SPEEDUPS, Scenario, Target

STATIC = "nginx static file (ceiling)"
BARE = "bare Flask, constant bytes (Python ceiling)"
PRODUCTS_JSON = "GET /products JSON, warm cache"
FULL_PAGE = "GET / full page (HTML)"

JSON = {"Accept": "application/json"}
PAGE = {"Accept": "text/html"}
FRAGMENT = {"Accept": "text/html", "HX-Request": "true"}


def scenarios():
    """The catalogue figures that need only GET requests."""
    return [
        Scenario(STATIC, "static", headers=JSON),
        # Bare Flask and the app with and without the speed-ups, in turns run by run.
        Scenario(BARE, "bare", headers=JSON, interleave="json"),
        Scenario(PRODUCTS_JSON, "app", headers=JSON, target=Target(ratio_of=BARE, min_ratio=0.8), interleave="json"),
        Scenario(PRODUCTS_JSON + WITHOUT_SPEEDUPS, "app-public", headers=JSON, interleave="json"),
        Scenario(
            "GET /products JSON via frontend nginx",
            "frontend",
            headers=JSON,
            target=Target(ratio_of=STATIC, min_ratio=0.5),
        ),
        Scenario(
            FULL_PAGE, "app", path="/", headers=PAGE, target=Target(ratio_of=BARE, min_ratio=0.5), interleave="page"
        ),
        Scenario(FULL_PAGE + WITHOUT_SPEEDUPS, "app-public", path="/", headers=PAGE, interleave="page"),
        Scenario("GET / HTMX fragment", "app", path="/", headers=FRAGMENT),
        Scenario(
            "GET /products JSON, Redis down",
            "app-no-redis",
            headers=JSON,
            target=Target(ratio_of=PRODUCTS_JSON, min_ratio=0.5, zero_errors=True),
        ),
    ]
