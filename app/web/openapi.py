"""GET /openapi.json: the JSON API's description, checked against real responses in the tests."""

import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)
SPEC_PATH = Path(__file__).with_name("openapi.json")


@lru_cache(maxsize=1)
def load_spec():
    """The OpenAPI document, read once."""
    return json.loads(SPEC_PATH.read_text())


@bp.get("/openapi.json")
def openapi():
    return jsonify(load_spec())
