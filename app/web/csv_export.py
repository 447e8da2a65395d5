"""CSV answers, in one place: who asked for one, and the file itself (written by the `csv` module).

The file starts with a UTF-8 byte order mark: Excel reads a CSV without one in the machine's legacy
code page, so "Müsli" or "€" would arrive garbled; LibreOffice, Numbers and Python's "utf-8-sig"
read the mark and drop it. Money is written as a plain number ("2.99"), never "€2,99", so a
spreadsheet can sum it.
"""

import csv
import io
from decimal import Decimal

from flask import make_response, request

from .negotiation import VARY

CSV_TYPE = "text/csv"
# A cell starting with one of these is a formula to a spreadsheet ("=HYPERLINK(…)" in a customer's
# name): such text gets a leading apostrophe, which spreadsheets show as plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def wants_csv():
    """`?format=csv`, or an Accept header that prefers text/csv over HTML and JSON."""
    if request.args.get("format") == "csv":
        return True
    accept = request.accept_mimetypes
    return accept[CSV_TYPE] > 0 and accept[CSV_TYPE] > max(accept["text/html"], accept["application/json"])


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header, rows):
    """The CSV file (with its byte order mark) for a header row and data rows."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def csv_response(filename, header, rows):
    """A CSV download named `filename` (RFC 4180 line ends, UTF-8)."""
    response = make_response(csv_text(header, rows).encode("utf-8"))
    response.headers["Content-Type"] = f"{CSV_TYPE}; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(h.strip() for h in VARY.split(","))
    return response
