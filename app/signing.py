"""The signed values the app hands out (session cookie, CSRF token), without zlib set-up on small ones.

itsdangerous tries zlib on every payload and keeps the result only if it is shorter. Setting
zlib up costs about 40 µs, more than the rest of signing, and on the payloads a visitor
without a cart gets (a CSRF token: 42 bytes, a session holding one: 57) it never wins. Below
COMPRESS_FROM bytes the payload is sent as it is; the signature covers it either way, and
loading (ours or itsdangerous's own, e.g. Flask-WTF's check of a token) reads both forms.
"""

import zlib

from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

COMPRESS_FROM = 128


class SmallPayloadSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer, but payloads under COMPRESS_FROM bytes skip the zlib attempt."""

    def dump_payload(self, obj):
        json = super(URLSafeSerializerMixin, self).dump_payload(obj)  # the JSON, before the mixin's zlib
        if len(json) >= COMPRESS_FROM:
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:  # itsdangerous's own rule
                return b"." + base64_encode(compressed)
        return base64_encode(json)
