"""Opening hours: read from configuration, shown in the footer, and the rule for pickup times."""

import re
from datetime import time

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_HOURS = "Mon-Fri 07:00-18:30; Sat 08:00-14:00"
_ENTRY = re.compile(r"^(\w{3})(?:-(\w{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def parse_opening_hours(text):
    """Turn "Mon-Fri 07:00-18:30; Sat 08:00-14:00" into seven (open, close) pairs or None (closed)."""
    week = [None] * 7
    index = {day.lower(): number for number, day in enumerate(DAYS)}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        match = _ENTRY.match(entry)
        if not match or match[1].lower() not in index or (match[2] and match[2].lower() not in index):
            raise ValueError(f"Opening hours entry {entry!r} is not like 'Mon-Fri 07:00-18:30'")
        first = index[match[1].lower()]
        last = index[match[2].lower()] if match[2] else first
        opens, closes = time(int(match[3]), int(match[4])), time(int(match[5]), int(match[6]))
        if opens >= closes:
            raise ValueError(f"Opening hours entry {entry!r} closes before it opens")
        for day in range(first, last + 1):
            week[day] = (opens, closes)
    return tuple(week)


def summary(week):
    """Consecutive days with the same hours grouped: [("Mon–Fri", "07:00–18:30"), ("Sun", "closed")]."""
    groups = []
    for day, hours in enumerate(week):
        if groups and groups[-1][2] == hours:
            groups[-1][1] = day
        else:
            groups.append([day, day, hours])
    return [
        (
            DAYS[first] if first == last else f"{DAYS[first]}–{DAYS[last]}",
            f"{hours[0]:%H:%M}–{hours[1]:%H:%M}" if hours else "closed",
        )
        for first, last, hours in groups
    ]
