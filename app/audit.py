"""The audit log of staff actions: who changed which price, stock or picture, who moved or cancelled which order.

`record` adds an entry to the session without committing, so it is written in the same
transaction as the change it describes (or not at all).
"""

from datetime import UTC
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from .extensions import db
from .models import AuditEntry

HISTORY_LENGTH = 20


def record(actor, action, object_type, object_id, detail=""):
    """Note that `actor` (a StaffUser) did `action` to an object; committed by the caller with the change."""
    db.session.add(
        AuditEntry(
            staff_id=actor.id,
            staff_username=actor.username,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail[:2000],
        )
    )


def snapshot(obj, fields):
    """The values of `fields` on `obj`, to compare with after a change."""
    return {field: getattr(obj, field) for field in fields}


def describe_changes(before, after):
    """ "price 3.50 → 3.80; stock 10 → 8" for the fields whose value changed ("" when none did)."""
    return "; ".join(
        f"{field.replace('_', ' ')} {_shown(before[field])} → {_shown(after[field])}"
        for field in before
        if before[field] != after.get(field)
    )


def _shown(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def history(object_type, object_id, limit=HISTORY_LENGTH):
    """The latest entries about one object, newest first."""
    return db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()


def histories(object_type, object_ids):
    """{object id: [entries, oldest first]} for many objects in one query (the order board)."""
    ids = [str(i) for i in object_ids]
    found = {}
    if not ids:
        return found
    rows = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(ids))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    for entry in rows:
        found.setdefault(entry.object_id, []).append(entry)
    return found


def local_moment(at):
    """An entry's time (stored in UTC) as the bakery reads it: "2 Dec 09:14"."""
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["BAKERY_TIMEZONE"]))
    return f"{local.day} {local:%b %H:%M}"
