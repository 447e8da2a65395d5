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
"""

import io
import re

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError

MAX_JSON_DEPTH = 32
NUL_MESSAGE = "The request contains a NUL character, which no field accepts."
SURROGATE_MESSAGE = "The request contains text that is not valid Unicode (half of a surrogate pair)."
DEPTH_MESSAGE = f"The JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
READ_SIZE = 64 * 1024


def register_request_guard(app):
    """Check every request before the views (and the CSRF check, which reads the form) see it."""
    app.before_request(guard_request)


def guard_request():
    """Refuse NUL characters, JSON nested too deeply and bodies over the limit, whatever the route.

    A request the router could not match (no such URL, or a method the URL does not take) is
    left alone: no view reads it, and its 404 or 405 (with Allow) is the answer, not a 400 or 413.
    """
    if request.routing_exception is not None:
        return
    environ = request.environ
    _buffer_chunked_body()
    # Most requests have no query and no body: nothing to parse (and a cached GET is that cheap).
    if environ.get("QUERY_STRING") and _has_nul(request.args.items(multi=True)):
        raise ApiError(400, NUL_MESSAGE)
    if not environ.get("CONTENT_TYPE"):
        return  # no body type: neither JSON nor a form (Werkzeug reads such a body as neither)
    if request.is_json:
        _check_json()
    elif request.mimetype in FORM_TYPES:
        names = (file.filename or "" for file in request.files.values())
        if _has_nul(request.form.items(multi=True)) or any("\x00" in name for name in names):
            raise ApiError(400, NUL_MESSAGE)


def _has_nul(pairs):
    return any("\x00" in key or "\x00" in value for key, value in pairs)


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
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    del environ["HTTP_TRANSFER_ENCODING"]  # de-chunked: from here on it is a body with a length


def _check_json():
    try:
        payload = request.get_json(silent=True)  # cached: the view gets this same object
    except RecursionError:
        raise ApiError(400, DEPTH_MESSAGE) from None
    # Walk it without recursion: (value, depth) pairs still to look at.
    pending = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
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
