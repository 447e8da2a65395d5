"""Flask's signed cookie session, cheaper on requests that carry no session cookie.

The same cookie, signature and behaviour as Flask's own `SecureCookieSessionInterface`, but
Flask builds a new signing serializer for every request, cookie or not (a good share of a
cached `GET /products`: docs/performance.md, "Why the speed-ups exist"). Here a request
without a session cookie gets an empty session straight away, the serializer is built once
per secret key (and fallbacks), and `Vary: Cookie` is added without parsing and
re-serialising the `Vary` header. The serializer is Flask's (same salt, key derivation and
digest) but skips zlib on small sessions (app/web/signing.py).
"""

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from .signing import SmallPayloadSerializer


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = SmallPayloadSerializer(
                [*key[1], app.secret_key],  # itsdangerous expects the current key last
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            self._serializers = {key: serializer}  # one key in use at a time: drop the old one
        return serializer

    def open_session(self, app, request):
        if not app.secret_key:
            return None  # Flask's own answer: using the session is then an error
        if "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            return self.session_class(self.get_signing_serializer(app).loads(val, max_age=max_age))
        except BadSignature:
            return self.session_class()

    def save_session(self, app, session, response):
        if not session and not session.modified:
            # Nothing to set or delete: only the Vary header Flask would add.
            if session.accessed:
                add_vary_cookie(response)
            return
        if not session:
            super().save_session(app, session, response)  # emptied: Flask deletes the cookie
            return
        # Flask's own steps for a session with something in it, with the cheap Vary header.
        if session.accessed:
            add_vary_cookie(response)
        if not self.should_set_cookie(app, session):
            return
        response.set_cookie(
            self.get_cookie_name(app),
            self.get_signing_serializer(app).dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
        )
        add_vary_cookie(response)


def add_vary_cookie(response):
    """`response.vary.add("Cookie")`, the same header, without building a HeaderSet."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = "Cookie"
    elif "cookie" not in (part.strip().lower() for part in current.split(",")):
        response.headers["Vary"] = current + ", Cookie"
