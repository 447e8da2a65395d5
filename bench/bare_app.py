"""The Python ceiling: a bare Flask app answering /products with constant bytes."""

import os
from pathlib import Path

from flask import Flask, Response


def create_app(body_file=None):
    """Serve the bytes of `body_file` (default: $BENCH_BODY_FILE) as the product JSON."""
    body = Path(body_file or os.environ["BENCH_BODY_FILE"]).read_bytes()
    app = Flask(__name__)

    @app.get("/products")
    def products():
        return Response(body, mimetype="application/json")

    return app
