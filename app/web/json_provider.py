"""JSON that renders money as the API's plain numbers (2.99), never as strings."""

from decimal import Decimal

from flask.json.provider import DefaultJSONProvider


class BakeryJSONProvider(DefaultJSONProvider):
    sort_keys = False

    @staticmethod
    def default(o):
        if isinstance(o, Decimal):
            # Prices have two decimal places, which a float prints exactly.
            return float(o)
        return DefaultJSONProvider.default(o)
