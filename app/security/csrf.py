"""CSRF protection for every form and HTMX request; JSON API calls are exempt on purpose."""

import secrets

from flask import current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from ..extensions import csrf
from ..web.signing import SmallPayloadSerializer


def register_csrf(app):
    """Bind CSRFProtect (its own check is off: WTF_CSRF_CHECK_DEFAULT); protect_forms, a before_request
    hook registered in app/__init__.py, checks tokens on every write that is not a JSON API call, and
    a refusal is answered by app/web/errors.py: handle_csrf_error."""
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token  # in place of Flask-WTF's generate_csrf


def protect_forms():
    """Refuse a form or HTMX write without a valid token.

    A JSON body (Content-Type: application/json) cannot be sent cross-site by an HTML form:
    a browser would first send a CORS preflight, which this app never grants. So the JSON API
    stays usable from curl and kiosks without a token, and every other write needs one.

    A request the router could not match (no such URL, or a method the URL does not take) is
    left alone, so that its 404 or 405 (with Allow) is the answer rather than a CSRF 400.
    """
    if request.endpoint is None or request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return  # csrf.protect() checks only these methods (POST, PUT, PATCH, DELETE)
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not request.is_json:
        csrf.protect()


# Flask-WTF's salt: its validate_csrf checks the tokens made here.
CSRF_SALT = "wtf-csrf-token"
_csrf_serializers = {}


def csrf_token():
    """Flask-WTF's generate_csrf(): the same token in the session and in `g`, checked by Flask-WTF.

    It builds a serializer for every request that shows a form (every catalogue page); here
    one is kept per secret key, and it skips zlib on the token (app/web/signing.py).
    """
    config = current_app.config
    field_name = config["WTF_CSRF_FIELD_NAME"]
    secret_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not (field_name and secret_key):
        return generate_csrf()  # its own error for a missing setting
    if field_name not in g:
        if field_name not in session:
            session[field_name] = _new_raw_token()
        try:
            token = _csrf_serializer(secret_key).dumps(session[field_name])
        except TypeError:  # not a token we made (Flask-WTF replaces it the same way)
            session[field_name] = _new_raw_token()
            token = _csrf_serializer(secret_key).dumps(session[field_name])
        setattr(g, field_name, token)
    return g.get(field_name)


def _new_raw_token():
    return secrets.token_hex(20)  # 40 hex digits, as Flask-WTF's sha1(urandom(64)).hexdigest()


def _csrf_serializer(secret_key):
    serializer = _csrf_serializers.get(secret_key)
    if serializer is None:
        serializer = SmallPayloadSerializer(secret_key, salt=CSRF_SALT)
        _csrf_serializers.clear()  # one key in use at a time: drop the old one
        _csrf_serializers[secret_key] = serializer
    return serializer
