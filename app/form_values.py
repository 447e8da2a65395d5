"""Values as people type them into a form or an environment variable: whole numbers, dates and yes/no."""

import re
from datetime import date

# ASCII digits only: "²" and "①" pass str.isdigit() and then fail int(), and int() reads "٣"
# or a full-width "３" as 3. Twelve digits is past every maximum and keeps int() cheap.
DIGITS = re.compile(r"[0-9]{1,12}")
# YYYY-MM-DD and nothing else: date.fromisoformat() also reads "20261224" and "2026-W52-4".
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# The words for yes and no, the same for every form field, query and setting (case-insensitive).
YES = frozenset(("1", "true", "yes", "on"))
NO = frozenset(("0", "false", "no", "off"))


def whole_number(text, maximum, minimum=0):
    """`text` (stripped) as an int from `minimum` to `maximum`, or None."""
    value = str(text if text is not None else "").strip()
    if not DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def iso_date(text):
    """`text` (stripped) as a date if it is a real one written YYYY-MM-DD, or None."""
    value = str(text if text is not None else "").strip()
    if not ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:  # 2026-02-30
        return None


def yes_or_no(text):
    """True for a yes word (1, true, yes, on), False for a no word (0, false, no, off), else None."""
    value = str(text if text is not None else "").strip().lower()
    return True if value in YES else False if value in NO else None


def truthy(text):
    """Whether `text` is a yes word: a ticked checkbox or a flag switched on; anything else is no."""
    return yes_or_no(text) is True
