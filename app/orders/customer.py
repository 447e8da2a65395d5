"""Who collects an order: the one set of rules for the checkout form and the JSON API alike."""

import re

from ..exceptions import Invalid
from ..json_fields import unknown_fields

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{5,24}$")
# Control characters (NUL included: PostgreSQL refuses it in text); a note may have line breaks.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_NOTE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_NAME, MAX_CONTACT, MAX_NOTE = 120, 255, 500
CUSTOMER_FIELDS = ("name", "email", "phone")


def name_problem(name):
    """What is wrong with the name to ask for at the counter, or None ("" is a problem)."""
    if not name:
        return "Tell us the name to ask for at the counter."
    if len(name) > MAX_NAME:
        return f"Please shorten the name to {MAX_NAME} characters."
    if CONTROL.search(name):
        return "A name can't contain control characters."
    return None


def email_problem(email):
    """What is wrong with an email address, or None."""
    if len(email) > MAX_CONTACT or CONTROL.search(email) or not EMAIL.match(email):
        return "That doesn't look like an email address."
    return None


def phone_problem(phone):
    """What is wrong with a phone number, or None."""
    if len(phone) > MAX_CONTACT or not PHONE.match(phone):
        return "That doesn't look like a phone number."
    return None


def contact_problem(contact):
    """The checkout's one contact field: an email address or a phone number ("" is a problem)."""
    if not contact:
        return "Give an email address or phone number, in case we need to reach you."
    if email_problem(contact) and phone_problem(contact):
        return "That doesn't look like an email address or a phone number."
    return None


def split_contact(contact):
    """(email, phone) from one valid contact: whichever it is, the other None."""
    if contact and not email_problem(contact):
        return contact, None
    return None, contact or None


def note_problem(note):
    """What is wrong with a note for the bakery, or None."""
    if len(note) > MAX_NOTE:
        return f"Please keep the note under {MAX_NOTE} characters."
    if CONTROL_IN_NOTE.search(note):
        return "A note can't contain control characters."
    return None


def parse_api_customer(payload):
    """The customer and note of a JSON order body, for place_order; Invalid (422) with a message per field.

    `"customer": {"name", "email", "phone"}` and `"note"` are optional; a customer needs a
    name, and may give an email address, a phone number, both or neither.
    """
    customer, note = payload.get("customer"), payload.get("note")
    errors, found = {}, {}
    if customer is not None:
        if not isinstance(customer, dict):
            raise Invalid(
                '"customer" must be an object like {"name": "Ada", "email": "ada@example.com"}',
                {"customer": "must be an object"},
            )
        errors.update(unknown_fields(customer, CUSTOMER_FIELDS, prefix="customer."))
        for key, rule in (("name", name_problem), ("email", email_problem), ("phone", phone_problem)):
            value = customer.get(key)
            if value is None or (key != "name" and value == ""):
                continue
            if not isinstance(value, str):
                errors[f"customer.{key}"] = "must be a string"
            elif problem := rule(value.strip()):
                errors[f"customer.{key}"] = problem
            else:
                found[key] = value.strip()
        if "name" not in found and "customer.name" not in errors:
            errors["customer.name"] = name_problem("")
    if note is not None:
        if not isinstance(note, str):
            errors["note"] = "must be a string"
        elif problem := note_problem(note.strip()):
            errors["note"] = problem
    if errors:
        raise Invalid("Some customer details are not valid", errors)
    email, phone = found.get("email"), found.get("phone")
    return {
        "name": found.get("name"),
        "contact": " · ".join(filter(None, (email, phone))) or None,
        "email": email,
        "phone": phone,
        "note": (note or "").strip() or None,
    }
