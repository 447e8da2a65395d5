"""What a refused stale save shows staff: each field as it was when they opened the form, now, and as they typed it.

A form carries the values it was loaded with (hidden `original`, JSON) next to its version;
when the save is refused as stale, these rows say what changed since and what was not saved.
"""

import json
from dataclasses import dataclass

from ..catalog.allergens import ALLERGENS, DIETARY


@dataclass(frozen=True)
class Difference:
    """One field of a refused form: its value when the form was opened, now, and as typed ("" if unchanged)."""

    label: str
    opened: str
    now: str
    typed: str

    @property
    def moved(self):
        """Someone else changed it since the form was opened."""
        return self.opened != self.now


def differences(labels, original, current, typed, shown=None):
    """A Difference for each field (in `labels`' order) that moved since the form was opened or that was typed.

    `original`, `current` and `typed` map field names to form values; `shown(field, value)`
    turns a value into what people read (a category's name rather than its id).
    """
    shown = shown or (lambda _field, value: _words(value))
    found = []
    for field, label in labels.items():
        now = shown(field, current.get(field))
        opened = shown(field, original[field]) if field in original else now
        mine = shown(field, typed[field]) if field in typed else opened
        if opened != now or mine != opened:
            found.append(Difference(label, opened, now, mine if mine != opened else ""))
    return found


def original_field(values):
    """The hidden `original` field's value: the form's values as JSON (escaped by the template)."""
    return json.dumps(values, separators=(",", ":"), default=str)


def submitted_version(submitted):
    """The `version` a form or JSON object says it was made from, as an int; None if absent or not a number."""
    value = submitted.get("version") if hasattr(submitted, "get") else None
    if isinstance(value, bool):
        return None
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def allergen_words(codes):
    """Allergen or dietary codes as the form's labels say them ("Milk, Eggs"; "none")."""
    return ", ".join(ALLERGENS.get(code) or DIETARY.get(code) or str(code) for code in codes) or "none"


def _words(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return allergen_words(value)
    text = "" if value is None else str(value).strip()
    return text if text else "—"
