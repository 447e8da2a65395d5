"""What text people type may hold, for every field staff or customers read as typed (names, notes,
descriptions): the one place for the control-character rule."""

import re

# C0, DEL and C1 (NUL included: PostgreSQL refuses it in text).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same, but a line break (and a tab) may stay: notes and descriptions have lines.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Marks, embeddings, overrides and isolates that turn the writing direction round: with them a
# name can show on the staff board as other text than was typed ("Ada\u202egnp.exe").
# Right-to-left scripts need none of them to show right.
BIDI_CONTROL = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unfit_characters(text, line_breaks=False):
    """What in `text` must not be shown as typed ("control characters", "characters that change
    the writing direction"), or None. `line_breaks` lets a multi-line field keep its lines."""
    if (CONTROL_IN_TEXT if line_breaks else CONTROL).search(text):
        return "control characters"
    if BIDI_CONTROL.search(text):
        return "characters that change the writing direction"
    return None
