"""Whole numbers as staff type them into a form: ASCII digits only, within a range."""

import re

# ASCII digits only: "²" and "①" pass str.isdigit() and then fail int(), and int() reads "٣"
# or a full-width "３" as 3. Twelve digits is past every maximum and keeps int() cheap.
DIGITS = re.compile(r"[0-9]{1,12}")


def whole_number(text, maximum, minimum=0):
    """`text` (stripped) as an int from `minimum` to `maximum`, or None."""
    value = str(text if text is not None else "").strip()
    if not DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None
