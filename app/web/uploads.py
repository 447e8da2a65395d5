"""Uploaded files: a larger body limit for the views that take pictures, and serving what was stored.

The app-wide limit (MAX_CONTENT_LENGTH, 64 KB) stays for every other route; a multipart post
to a view marked with accepts_uploads() gets its own limit for that request only, set by the
input guard (app/web/request_guard.py) before anything (the CSRF check included) reads the body.
"""

from flask import Blueprint, current_app, request, send_from_directory
from werkzeug.exceptions import NotFound

from ..catalog.pictures import STORED_NAME

# A picture may be 5 MB (app/catalog/pictures.py); a little more lets a 6 MB file reach the field
# check and get a message there, while a far bigger body is a plain 413.
UPLOAD_BODY_LIMIT = 8 * 1024 * 1024
YEAR = 365 * 24 * 3600

bp = Blueprint("uploads", __name__)


def accepts_uploads(view):
    """Mark a view as taking file uploads: its requests may be up to UPLOAD_BODY_LIMIT."""
    view.max_content_length = UPLOAD_BODY_LIMIT
    return view


def apply_upload_limit():
    """Before any body is read: give a multipart post to a view marked by accepts_uploads its larger
    limit (JSON or a plain form to that view carries no picture: it keeps the app's limit)."""
    view = current_app.view_functions.get(request.endpoint)
    limit = getattr(view, "max_content_length", None)
    if limit and request.mimetype == "multipart/form-data":
        request.max_content_length = limit


@bp.get("/uploads/<path:name>")
def uploaded(name):
    """A stored picture; names carry their content's hash, so they never change and cache for a year."""
    folder, _, file_name = name.partition("/")
    if folder != "products" or not STORED_NAME.fullmatch(file_name):
        raise NotFound()
    response = send_from_directory(
        current_app.config["UPLOAD_FOLDER"], name, mimetype="image/webp", max_age=YEAR, conditional=True
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
