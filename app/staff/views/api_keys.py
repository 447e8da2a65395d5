"""The staff page for API keys: trusted clients (a kiosk, a partner shop) get one, staff revoke it."""

import logging

from flask import url_for

from ...api_keys import service as api_keys
from ...exceptions import Invalid
from ...web.negotiation import respond, respond_after_write, wants_json
from .. import bp
from ..auth import current_staff, owner_required
from .shared import submitted

LOGGER = logging.getLogger(__name__)
PAGE = "staff/api_keys.html"


def key_json(key, token=None):
    body = {
        "id": key.id,
        "name": key.name,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }
    if token is not None:
        body["token"] = token
    return body


@bp.get("/api-keys")
@owner_required
def api_keys_page():
    return _page()


@bp.post("/api-keys")
@owner_required
def api_key_create():
    """A new key; its token is in this answer only (answered directly, not redirected: it is never stored)."""
    name = submitted("name").get("name", "")
    try:
        key, token = api_keys.create_key(name)
    except Invalid as refused:
        if wants_json():
            raise
        return _page(status=422, error=refused.message, name=name)
    LOGGER.info("staff created api key api_key_id=%s name=%s by=%s", key.id, key.name, current_staff().username)
    return _page(status=201, data=key_json(key, token), created=key, token=token)


@bp.post("/api-keys/<id:key_id>/revoke")
@owner_required
def api_key_revoke(key_id):
    key = api_keys.revoke(key_id)
    LOGGER.info("staff revoked api key api_key_id=%s by=%s", key.id, current_staff().username)
    return respond_after_write(
        key_json(key),
        PAGE,
        url_for("staff.api_keys_page", _anchor=f"api-key-{key.id}"),
        block="api_keys",
        keys=api_keys.all_keys(),
        revoked=key.id,
    )


def _page(status=200, data=None, **context):
    keys = api_keys.all_keys()
    return respond(
        [key_json(k) for k in keys] if data is None else data,
        PAGE,
        status=status,
        block="api_keys",
        keys=keys,
        **context,
    )
