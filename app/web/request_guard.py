"""Input no field can take, refused before any view reads it: a clear 400 or 413, never a 500.

- A NUL character anywhere in the query string, a form field (or a file's name) or a JSON
  string: PostgreSQL refuses NUL in text, SQLite would store it, and nobody types one. (A path
  with a NUL names no page: the routes' patterns make it a 404.)
  A JSON string with half of a surrogate pair is refused the same way (it cannot be encoded).
- JSON nested deeper than MAX_JSON_DEPTH: no body of ours is deeper than 4, and the parser
  would otherwise recurse until it raises RecursionError.
- A chunked body (no Content-Length) over the request's limit: Werkzeug stops reading such a
  stream at `max_content_length` without a word, so the view would see a truncated body
  ("not valid JSON"). It is read here up to the limit instead, and past it answered 413.

Before any of that, and before a byte of the body is read: a request for no route (404) or
with a method its URL does not take (405) is answered, and a body whose Content-Length is
over this route's limit is a 413. What is parsed is bounded too: a form of more fields than
MAX_FORM_PARTS, or JSON of more than MAX_JSON_VALUES values, is a 413 before the form is
parsed or the JSON walked any further.
"""

import io
import re

from flask import current_app, request

from .errors import ApiError
from .uploads import apply_upload_limit

MAX_JSON_DEPTH = 32
NUL_MESSAGE = "The request contains a NUL character, which no field accepts."
SURROGATE_MESSAGE = "The request contains text that is not valid Unicode (half of a surrogate pair)."
# Keys and values together: an order of 30 lines is about 160, a product about 60.
MAX_JSON_VALUES = 2000
DEPTH_MESSAGE = f"The JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)."
VALUES_MESSAGE = f"The JSON has too many values (more than {MAX_JSON_VALUES})."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
READ_SIZE = 64 * 1024


def guard_request():
    """Answer unrouted requests and bodies over the limit unread; refuse NUL characters and JSON
    nested too deeply, whatever the route. The first before_request hook (app/__init__.py): it runs
    before the views and before the CSRF check, which reads the form."""
    if request.routing_exception is not None:
        # No such URL, or a method it does not take: the answer needs nothing from the body.
        current_app.raise_routing_exception(request)
    apply_upload_limit()
    _buffer_chunked_body()  # first: Werkzeug keeps the first content_length it works out
    _refuse_declared_oversize()
    environ = request.environ
    # Most requests have no query and no body: nothing to parse (and a cached GET is that cheap).
    if environ.get("QUERY_STRING") and _has_nul(request.args.items(multi=True)):
        raise ApiError(400, NUL_MESSAGE)
    if not environ.get("CONTENT_TYPE"):
        return  # no body type: neither JSON nor a form (Werkzeug reads such a body as neither)
    if request.is_json:
        _check_json()
    elif request.mimetype in FORM_TYPES:
        _refuse_too_many_fields()
        names = (file.filename or "" for file in request.files.values())
        if _has_nul(request.form.items(multi=True)) or any("\x00" in name for name in names):
            raise ApiError(400, NUL_MESSAGE)


def _has_nul(pairs):
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def too_large(limit):
    """The 413 for a body over `limit` bytes, saying the limit."""
    if limit >= 1024 * 1024:
        size = f"{limit / (1024 * 1024):g} MB"
    else:
        size = f"{limit / 1024:g} KB" if limit >= 1024 else f"{limit} bytes"
    return ApiError(413, f"The request is too large: this address takes at most {size}.")


def _refuse_declared_oversize():
    """A Content-Length over this route's limit: 413 before a byte is read."""
    limit, length = request.max_content_length, request.content_length
    if limit is not None and length is not None and length > limit:
        raise too_large(limit)


def _refuse_too_many_fields():
    """More fields than MAX_FORM_PARTS: 413 before parsing. Werkzeug counts multipart parts
    itself; an urlencoded body it would split whole, so its separators are counted here."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    limit = request.max_form_parts
    if limit is not None and request.get_data(cache=True).count(b"&") >= limit:  # the form is parsed from this copy
        raise ApiError(413, f"The form has too many fields (more than {limit}).")


def _buffer_chunked_body():
    """Read a chunked body whole (at most the request's limit), so the app sees a body with a length."""
    environ = request.environ
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit = request.max_content_length
    if limit is None:
        return
    if "wsgi.input_terminated" not in environ:
        return  # the server did not de-chunk it: Werkzeug hands the app an empty body
    stream, body = environ["wsgi.input"], bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(READ_SIZE, limit + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise too_large(limit)
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    del environ["HTTP_TRANSFER_ENCODING"]  # de-chunked: from here on it is a body with a length


def _check_json():
    try:
        payload = request.get_json(silent=True)  # cached: the view gets this same object
    except RecursionError:
        raise ApiError(400, DEPTH_MESSAGE) from None
    # Walk it without recursion: (value, depth) pairs still to look at.
    pending, seen = [(payload, 1)], 0
    while pending:
        value, depth = pending.pop()
        seen += 1
        if seen > MAX_JSON_VALUES:
            raise ApiError(413, VALUES_MESSAGE)
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ApiError(400, DEPTH_MESSAGE)
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(value, str):
            if "\x00" in value:
                raise ApiError(400, NUL_MESSAGE)
            if LONE_SURROGATE.search(value):
                raise ApiError(400, SURROGATE_MESSAGE)
