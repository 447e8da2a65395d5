"""Which API key a request carries (`Authorization: Bearer <token>`), looked up once per request."""

from flask import g, request

from ..web.errors import ApiError
from . import service

MISSING = object()


def _bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def current_api_key():
    """The valid API key of this request, or None (no key, or a bad or revoked one)."""
    if g.get("api_key", MISSING) is MISSING:
        token = _bearer_token()
        g.api_key = service.find_active(token) if token else None
    return g.api_key


def require_valid_api_key():
    """The request's API key, None without one; a bad or revoked key is a 401."""
    if "Authorization" not in request.headers:
        return None
    key = current_api_key()
    if key is None:
        raise ApiError(401, "This API key is not valid or has been revoked", headers={"WWW-Authenticate": "Bearer"})
    return key
