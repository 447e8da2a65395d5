"""Who collects an order: the one set of rules for the checkout form and the JSON API alike.

A contact is kept in one canonical form per mailbox or line (an email address in lower case, a
phone number in E.164), so that the caps on what one contact may hold count it once however it
is written; `customer_contact` keeps it as typed, for display.
"""

import re
from functools import cache

import phonenumbers
from babel import Locale
from flask import current_app

from ..exceptions import Invalid
from ..security.text_rules import unfit_characters
from ..web.json_fields import unknown_fields

# Exactly one plain address (RFC 5322 dot-atom @ a domain with a dot): no display name, no
# <brackets>, no group syntax ("x:v@x;"), no list ("a,b,victim@x"), no comments, no quotes.
# Anything else is refused as typed, never "cleaned" into an address the customer did not type.
EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_](?:[\w-]{0,61}[^\W_])?"
)
PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{5,24}$")
MAX_NAME, MAX_CONTACT, MAX_NOTE, MAX_EMAIL = 120, 255, 500, 254
CUSTOMER_FIELDS = ("name", "email", "phone")


def name_problem(name):
    """What is wrong with the name to ask for at the counter, or None ("" is a problem)."""
    if not name:
        return "Tell us the name to ask for at the counter."
    if len(name) > MAX_NAME:
        return f"Please shorten the name to {MAX_NAME} characters."
    if unfit := unfit_characters(name):
        return f"A name can't contain {unfit}."
    return None


def email_problem(email):
    """What is wrong with an email address, or None: it must be one plain address."""
    if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        return "That doesn't look like an email address: give one address, like ada@example.com."
    return None


def canonical_email(email):
    """One mailbox, one form: a valid address in lower case (providers treat the local part so too)."""
    return email.lower()


def phone_problem(phone):
    """What is wrong with a phone number, or None: it must be a real number (in the bakery's country
    when it has no +country code)."""
    if len(phone) > MAX_CONTACT or not PHONE.match(phone) or _parsed_phone(phone) is None:
        return "That doesn't look like a phone number."
    return None


def canonical_phone(phone):
    """A valid phone number in E.164 (+493012345678), however it was written."""
    return phonenumbers.format_number(_parsed_phone(phone), phonenumbers.PhoneNumberFormat.E164)


def _parsed_phone(phone):
    # "0049 30 …" is the international prefix written out: the library reads it as such.
    try:
        number = phonenumbers.parse(
            phone, _home_region(current_app.config["BAKERY_PHONE"], current_app.config["BAKERY_LOCALE"])
        )
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


@cache
def _home_region(bakery_phone, locale):
    """Where a number without a country code is: the bakery's own phone's country, else its locale's."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(bakery_phone, None))
    except phonenumbers.NumberParseException:
        region = None
    if region and region != "ZZ":
        return region
    return Locale.parse(locale).territory or "GB"


def contact_problem(contact):
    """The checkout's one contact field: an email address or a phone number ("" is a problem)."""
    if not contact:
        return "Give an email address or phone number, in case we need to reach you."
    if "@" in contact:
        return email_problem(contact)
    if phone_problem(contact):
        return "That doesn't look like an email address or a phone number."
    return None


def split_contact(contact):
    """(email, phone) in their canonical forms from one valid contact: whichever it is, the other None."""
    if not contact:
        return None, None
    if "@" in contact:
        return canonical_email(contact), None
    return None, canonical_phone(contact)


def note_problem(note):
    """What is wrong with a note for the bakery, or None."""
    if len(note) > MAX_NOTE:
        return f"Please keep the note under {MAX_NOTE} characters."
    if unfit := unfit_characters(note, line_breaks=True):
        return f"A note can't contain {unfit}."
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
        "email": email and canonical_email(email),
        "phone": phone and canonical_phone(phone),
        "note": (note or "").strip() or None,
    }
