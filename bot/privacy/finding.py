"""What a detector reports: the kind of an identifying detail and where it is."""

from __future__ import annotations

from dataclasses import dataclass

# In order of precedence: when two findings overlap, the earlier kind wins,
# because the more specific (checksummed) reading is the more likely one.
KINDS: tuple[str, ...] = (
    "email",
    "iban",
    "phone",
    "bsn",
    "plate",
    "postcode",
    "address",
    "birthdate",
    "handle",
    "name",
)
RANK = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One identifying detail: its kind and where it is, never what it says.

    ``start``/``end`` are offsets into the analysed text (``text[start:end]``).
    Holding no text makes a Finding safe to log, count and persist.
    """

    kind: str
    start: int
    end: int
