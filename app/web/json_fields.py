"""Members of a JSON object that no field takes: refused by name (422), never ignored in silence.

A misspelt or misplaced field (`"email"` beside `"items"` instead of inside `"customer"`) would
otherwise be dropped without a word, and the order placed without it.
"""

from ..exceptions import Invalid


def listed(names):
    """`a, b and c`: field names for a message."""
    names = list(names)
    return " and ".join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else "no fields"


def unknown_fields(obj, accepted, prefix=""):
    """{prefix + member: problem} for each member of the JSON object `obj` not in `accepted`."""
    problem = f"unknown field: use {listed(accepted)}" if accepted else "unknown field: send {}"
    return {f"{prefix}{name}": problem for name in sorted(set(obj) - set(accepted))}


def refuse_unknown_fields(obj, accepted, what, hint=""):
    """Invalid naming each member of `obj` not in `accepted`; `what` is the body's name ("an order")."""
    errors = unknown_fields(obj, accepted)
    if errors:
        names = ", ".join(f'"{name}"' for name in errors)
        plural = "s" if len(errors) > 1 else ""
        takes = f"takes {listed(accepted)}" if accepted else "takes no fields: send {}"
        raise Invalid(f"Unknown field{plural} {names}: {what} {takes}.{hint}", errors)
