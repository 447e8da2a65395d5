"""Security headers on every answer of the app: pages, fragments, JSON, errors, static files.

A small after-request hook rather than Flask-Talisman: the policy is one fixed set of
headers, the app already sets its cookies' flags from config, and a hook that only fills
in headers a view has not set leaves deliberate choices (a picture's caching, a CSV's
disposition) alone.
"""

# Scripts and styles only from this site: no inline <script>, style= or on*= anywhere, and
# htmx is told not to evaluate strings (`allowEval: false` in base.html's htmx-config).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Only when the bakery is served over HTTPS (HTTPS=1): a browser that saw it refuses plain
# HTTP to this host for a year, which would lock out a plain local setup.
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(https):
    """The headers every answer gets, with HSTS when served over HTTPS."""
    headers = dict(SECURITY_HEADERS)
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def security_headers_hook(https):
    """The after_request hook adding the security headers to every answer that does not set them itself."""
    headers = list(security_headers(https).items())
    names = {name.lower() for name, _ in headers}

    def add_security_headers(response):
        # One pass over the answer's headers instead of a look-up per header (each of which
        # walks them all): most answers set none of ours, and get all of them at once.
        present = {name.lower() for name, _ in response.headers} & names
        add = response.headers.add
        for name, value in headers:
            if not present or name.lower() not in present:
                add(name, value)
        return response

    return add_security_headers
