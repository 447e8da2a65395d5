"""What one client can hold: items per pickup day and orders per pickup slot.

Orders are paid at pickup, so without these one address could reserve a day's bakes and a
whole slot in a second. An order counts against its client — its API key if it sent one,
else its address (an IPv6 address by its /64, which one subscriber gets whole) — and,
without an API key, against each contact it gives (email address, phone number) on its own:
a new address does not get round a contact's cap, nor a new contact round the address's.

The counts are rows per holder and day, and per holder and slot, taken like the slots
themselves: a conditional upsert in place_order's transaction, after the slot (the lock
order is stock, the pickup day's ledger, slot, holds; holders sorted), so that orders placed
at once can never together pass a cap. They are given back with the slot when an order is Cancelled or
Failed. The holders an order took are kept on it (`held_by`), so it gives back exactly those.
"""

import hashlib
import hmac
import ipaddress
import logging
from datetime import datetime, time
from functools import cache

from flask import current_app
from sqlalchemy import select, update

from ..bakery_calendar.formatting import day_name, local_isoformat, pickup_time
from ..exceptions import Conflict
from ..extensions import db
from ..infra.statements import HotStatement, upsert_text
from ..models import MAX_ID, ClientDayHold, ClientSlotHold
from .capacity import SlotTaken

LOGGER = logging.getLogger(__name__)
API_KEY, ADDRESS, EMAIL, PHONE = "key:", "addr:", "email:", "phone:"
NO_CAP = MAX_ID  # a cap of 0 (off) still counts, so that switching it on later finds the holds


def client_of(address=None, api_key_id=None):
    """Who places an order, as a holder: `key:<id>` for an API client, else `addr:<hmac>` of the
    address (its /64 for IPv6). Only a keyed hash of the address is stored."""
    if api_key_id is not None:
        return f"{API_KEY}{api_key_id}"
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        ip = getattr(ip, "ipv4_mapped", None) or ip
        network = str(ipaddress.ip_network(f"{ip}/64", strict=False) if ip.version == 6 else ip)
    secret = current_app.config["SECRET_KEY"].encode()
    return ADDRESS + hmac.new(secret, network.encode(), hashlib.sha256).hexdigest()[:32]


def holders_for(client, customer):
    """Whom an order counts against, sorted (the lock order); [] when every cap is off."""
    if not any(_caps(kind) != (0, 0) for kind in (API_KEY, ADDRESS)):
        return []
    if client and client.startswith(API_KEY):
        return [client]  # a kiosk or partner shop: its key, not the contacts it orders for
    found = {client} if client else set()
    if customer.get("email"):
        found.add(EMAIL + customer["email"])
    if customer.get("phone"):
        found.add(PHONE + customer["phone"])
    return sorted(found)


def take(holders, slot_start, items):
    """Count an order of `items` for `slot_start` against each holder: Conflict past a day's cap,
    SlotTaken past a slot's (the bakery then tries another slot when it chose this one)."""
    if not holders:
        return
    caps = [_caps(API_KEY if holder.startswith(API_KEY) else ADDRESS) for holder in holders]
    params = {"day": slot_start.date(), "slot_start": slot_start, "items": items}
    for n, (holder, (day_cap, slot_cap)) in enumerate(zip(holders, caps, strict=True)):
        params.update({f"holder_{n}": holder, f"day_cap_{n}": day_cap or NO_CAP, f"slot_cap_{n}": slot_cap or NO_CAP})
    held = dict(_day_upsert(len(holders)).rows(db.session, params))
    for holder, (day_cap, _slot_cap) in zip(holders, caps, strict=True):
        if day_cap and (holder not in held or held[holder] > day_cap):
            day = day_name(slot_start.date())
            raise Conflict(
                f"One customer can have at most {_count(day_cap, 'item')} for {day}, and this order would make more. "
                "For a bigger order, please call the bakery.",
                {"pickup_date": slot_start.date().isoformat(), "client_cap": "items per day", "limit": day_cap},
            )
    in_slot = dict(_slot_upsert(len(holders)).rows(db.session, params))
    for holder, (_day_cap, slot_cap) in zip(holders, caps, strict=True):
        if slot_cap and holder not in in_slot:
            raise SlotTaken(
                f"One customer can have at most {_count(slot_cap, 'order')} for {pickup_time(slot_start)}. "
                "Please choose another time.",
                {"pickup_at": local_isoformat(slot_start), "client_cap": "orders per slot", "limit": slot_cap},
                starts=_full_slots(holder, slot_cap, slot_start),
            )


def _count(number, noun):
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _full_slots(holder, cap, slot_start):
    """The slots from `slot_start`'s day on where `holder` has used up its share: a slot the bakery
    chooses again for this order passes over them all, not one at a time."""
    full = db.session.scalars(
        select(ClientSlotHold.slot_start).where(
            ClientSlotHold.holder == holder,
            ClientSlotHold.orders >= cap,
            ClientSlotHold.slot_start >= datetime.combine(slot_start.date(), time()),
        )
    )
    return {slot_start, *full}


def release(order):
    """Give back what `order` holds for its day and slot (the caller commits)."""
    if not order.held_by or order.pickup_at is None:
        return
    holders = sorted(order.held_by.split())
    items = sum(item.quantity for item in order.items)
    # One row at a time, in the order place_order takes them: a cancel never deadlocks an order.
    for model, when, column, amount in (
        (ClientDayHold, ClientDayHold.day == order.pickup_at.date(), ClientDayHold.items, items),
        (ClientSlotHold, ClientSlotHold.slot_start == order.pickup_at, ClientSlotHold.orders, 1),
    ):
        for holder in holders:
            db.session.execute(
                update(model)
                .where(model.holder == holder, when, column >= amount)
                .values({column: column - amount})
                .execution_options(synchronize_session=False)
            )


def _caps(kind):
    """(items per day, orders per slot) for an API key or for anyone else; 0 = off."""
    config = current_app.config
    if kind == API_KEY:
        return config["API_KEY_MAX_ITEMS_PER_DAY"], config["API_KEY_MAX_ORDERS_PER_SLOT"]
    return config["MAX_ITEMS_PER_CLIENT_PER_DAY"], config["MAX_ORDERS_PER_CLIENT_PER_SLOT"]


@cache
def _day_upsert(count):
    """Add an order's items to `count` holders' day in one statement; a row comes back for each
    holder with room (a first order over the cap makes its row over it: the caller refuses that)."""
    rows = ", ".join(f"(:holder_{n}, :day, :items)" for n in range(count))
    caps = " ".join(f"WHEN :holder_{n} THEN CAST(:day_cap_{n} AS INTEGER)" for n in range(count))
    return HotStatement(
        upsert_text(
            # Placeholders only
            f"INSERT INTO client_day_holds (holder, day, items) VALUES {rows} "  # nosec B608
            "ON CONFLICT (holder, day) DO UPDATE SET items = client_day_holds.items + excluded.items "
            f"WHERE client_day_holds.items + excluded.items <= CASE excluded.holder {caps} END "
            "RETURNING holder, items",
            ClientDayHold.__table__,
        )
    )


@cache
def _slot_upsert(count):
    """Add one order to `count` holders' slot in one statement; a row comes back for each holder with room."""
    rows = ", ".join(f"(:holder_{n}, :slot_start, 1)" for n in range(count))
    caps = " ".join(f"WHEN :holder_{n} THEN CAST(:slot_cap_{n} AS INTEGER)" for n in range(count))
    return HotStatement(
        upsert_text(
            # Placeholders only
            f"INSERT INTO client_slot_holds (holder, slot_start, orders) VALUES {rows} "  # nosec B608
            "ON CONFLICT (holder, slot_start) DO UPDATE SET orders = client_slot_holds.orders + 1 "
            f"WHERE client_slot_holds.orders < CASE excluded.holder {caps} END "
            "RETURNING holder, orders",
            ClientSlotHold.__table__,
        )
    )
