"""Local contacts: the numbers and names an organisation sets for its exercises.

An exercise about reporting or threats is more use with the municipality's own
reporting point than with "ask your manager". Texts name a contact with a
placeholder, `{contact.meldpunt}`; the engine fills it with the person's
organisation's value, or, when the organisation set none, with the text of the
same key in the person's locale (`contact.meldpunt` in `content/<locale>/contact.yaml`),
which names the national route. So the placeholder is also its fallback's key,
and a text never depends on anything being set.

The keys are a fixed set, known to the validator (an unknown `{contact.x}` is an
error with file and line), the store (one row per organisation and key) and the
service that checks what an operator or trainer types.
"""

from __future__ import annotations

import unicodedata

#: The prefix that marks a placeholder as a local contact.
CONTACT_PREFIX = "contact."

#: Every key an organisation can set, in the order pages and the CLI list them.
CONTACT_KEYS: tuple[str, ...] = (
    "ondermijning_contact",  # who in the municipality deals with undermining crime
    "meldpunt",  # the municipality's reporting point for signals
    "zorg_veiligheidshuis",  # the regional Zorg- en Veiligheidshuis
    "buiten_kantoortijd",  # whom to call about a threat outside office hours
)

#: A contact is a name and a number, read in a chat message: short on purpose.
MAX_CONTACT_CHARS = 160

# Characters that change how text around them reads (bidirectional overrides and
# isolates) without being visible: a number could be shown reversed.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def placeholder(key: str) -> str:
    """The placeholder name of a contact key (`meldpunt` -> `contact.meldpunt`); it is
    also the content key of the contact's national fallback text."""
    return CONTACT_PREFIX + key


def contact_key(name: str) -> str | None:
    """The key a placeholder name refers to (`contact.x` -> `x`), None for other names."""
    return name[len(CONTACT_PREFIX) :] if name.startswith(CONTACT_PREFIX) else None


def unreadable_character(value: str) -> str | None:
    """The first character a contact may not hold, as `U+XXXX`, or None.

    Control characters (line breaks, tabs, escapes) and invisible direction
    overrides have no place in a one-line name and number, and would let a value
    look different in the chat from what was typed.
    """
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            return f"U+{ord(char):04X}"
    return None
