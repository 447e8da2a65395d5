"""URL converters for the routes."""

from werkzeug.routing import IntegerConverter

from ..models import MAX_ID


class IdConverter(IntegerConverter):
    """`<id:product_id>`: a whole number that fits the id columns; anything else is a 404.

    ASCII digits only: Werkzeug's `\\d+` also takes "٣" or a full-width "３", which int() reads as 3.
    """

    regex = r"[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def register_converters(app):
    app.url_map.converters["id"] = IdConverter
