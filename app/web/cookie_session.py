"""Flask's signed cookie session, answered at once for a request that carries no cookie.

The same cookie, signature and behaviour as Flask's own `SecureCookieSessionInterface`,
through the two methods Flask documents for overriding: a request without a cookie gets an
empty session without building a signing serializer or parsing cookies, and the serializer
is built once per secret key (and fallbacks) rather than for every request.
"""

from flask.sessions import SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers = {key: serializer}  # one key in use at a time: drop the old one
        return serializer

    def open_session(self, app, request):
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)
