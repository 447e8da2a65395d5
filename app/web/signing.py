"""The signed values the app hands out (session cookie, CSRF token), without zlib set-up on small ones.

itsdangerous tries zlib on every payload and keeps the result only if it is shorter. Setting
zlib up costs more CPU than the rest of signing (docs/performance.md, "Why the speed-ups
exist"), and on the payloads a visitor without a cart gets (a CSRF token: 42 bytes, a
session holding one: 57) it never wins. Below COMPRESS_FROM bytes the payload is sent as it
is; the signature covers it either way, and loading (ours or itsdangerous's own, e.g.
Flask-WTF's check of a token) reads both forms.

The signer also derives its key from the secret once, not on every signature: the same
signature, one HMAC fewer each time.
"""

import zlib

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.url_safe import URLSafeSerializerMixin

COMPRESS_FROM = 128
MAX_DERIVED_KEYS = 16  # a few secrets (current and fallbacks) × salts; more means keys were rotated
_derived_keys = {}  # (secret, salt, derivation, digest) -> key, shared by every signer


class RememberedKeySigner(TimestampSigner):
    """itsdangerous's TimestampSigner, deriving each (secret, salt, method) key once per process."""

    def derive_key(self, secret_key=None):
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        remembered = (secret, self.salt, self.key_derivation, self.digest_method)
        key = _derived_keys.get(remembered)
        if key is None:
            key = super().derive_key(secret_key)
            if len(_derived_keys) >= MAX_DERIVED_KEYS:
                _derived_keys.clear()
            _derived_keys[remembered] = key
        return key


class SmallPayloadSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer, but payloads under COMPRESS_FROM bytes skip the zlib attempt."""

    default_signer = RememberedKeySigner

    def dump_payload(self, obj):
        json = super(URLSafeSerializerMixin, self).dump_payload(obj)  # the JSON, before the mixin's zlib
        if len(json) >= COMPRESS_FROM:
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:  # itsdangerous's own rule
                return b"." + base64_encode(compressed)
        return base64_encode(json)
