"""An adversary for the coordinator reports: it reads only what viewers are shown
and searches for combinations that pin down a group of 1-4 people.

It knows what any careful reader knows: which figures are nested in which (the
started contain the finished, a question's answerers contain those who chose an
option, an earlier question on every path contains a later one, the organisation
contains each group), which figures add up (a single choice's options to its
answerers, the months to the people with a before/after pair), and what the two
marks mean ("< 5": 1-4 people; "hidden": zero or at least 5, hidden to protect
another). It never sees the data behind the pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.dialogues import CompiledDialogue, dominators
from bot.services.reports import MIN_CELL, PROTECTED, SUPPRESSED

Value = int | float | str | None


@dataclass(frozen=True)
class Seen:
    """One exercise document (its JSON) of one unit, as one viewer got it."""

    viewer: str
    unit: str
    doc: Mapping[str, Any]


def _n(value: Value) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _small(n: float) -> bool:
    return 0 < n < MIN_CELL


Nested = tuple[str, Value, str, Value]


def nested_pairs(doc: Mapping[str, Any], compiled: CompiledDialogue) -> list[Nested]:
    """(outer name, outer value, inner name, inner value) for figures of one exercise
    document that are nested by construction."""
    found: list[Nested] = [("started", doc["started"], "finished", doc["finished"])]
    answered = {d["key"]: d["people"] for d in doc["distributions"]}
    for d in doc["distributions"]:
        found.append(("started", doc["started"], f"answered {d['key']}", d["people"]))
        for option in d["options"]:
            found.append(
                (
                    f"answered {d['key']}",
                    d["people"],
                    f"{d['key']}={option['key']}",
                    option["people"],
                )
            )
    rows = (doc["funnel"] or {"rows": []})["rows"]  # a group's page has none
    for i, outer in enumerate(rows):
        for inner in rows[i + 1 :]:
            found.append(
                (
                    f"reached {outer['key']}",
                    outer["people"],
                    f"reached {inner['key']}",
                    inner["people"],
                )
            )
        if outer["key"] in answered:  # got as far as a question: at least answered it
            found.append(
                (
                    f"reached {outer['key']}",
                    outer["people"],
                    f"answered {outer['key']}",
                    answered[outer["key"]],
                )
            )
    # Questions every path asks in turn, and questions every way to an end passes.
    spec = compiled.spec
    dom = dominators(spec)
    asked: dict[str, list[str]] = {}
    for name, state in spec.states.items():
        if state.store in answered and state.input_kind:
            asked.setdefault(state.store, []).append(name)
    ends = [name for name in dom if spec.states[name].end]
    for key, states in asked.items():
        for earlier, before in asked.items():
            if earlier != key and all(
                any(s != t and s in dom.get(t, ()) for s in before) for t in states
            ):
                found.append(
                    (f"answered {earlier}", answered[earlier], f"answered {key}", answered[key])
                )
        if ends and all(any(s in dom.get(e, ()) for s in states) for e in ends):
            found.append((f"answered {key}", answered[key], "finished", doc["finished"]))
    return found


def partitions(doc: Mapping[str, Any]) -> list[tuple[str, Value, list[Value]]]:
    """(name, total, parts) for figures that add up by construction."""
    found = []
    for d in doc["distributions"]:
        if d["kind"] != "multi":
            found.append((f"answered {d['key']}", d["people"], [o["people"] for o in d["options"]]))
    over_time = doc.get("over_time")
    if over_time and doc.get("pairs") is not None:
        found.append(("pairs", doc["pairs"], [r["people"] for r in over_time["rows"]]))
    return found


def _pinned_parts(total: float, parts: Sequence[Value]) -> str | None:
    """What a reader works out from a shown total and its parts, if it is small."""
    hidden = [p for p in parts if _n(p) is None]
    if not hidden:
        return None
    rest = total - sum(_n(p) or 0 for p in parts)
    if _small(rest):
        return f"the hidden parts hold {rest:g} people"
    bounds = [(1, MIN_CELL - 1) if p == SUPPRESSED else (0, rest) for p in hidden]
    for index, (low, high) in enumerate(bounds):
        others_low = sum(b[0] for i, b in enumerate(bounds) if i != index)
        others_high = sum(b[1] for i, b in enumerate(bounds) if i != index)
        least, most = max(low, rest - others_high), min(high, rest - others_low)
        if least == most and _small(least):
            return f"a hidden part is exactly {least:g}"
    return None


def attacks(
    seen: Iterable[Seen], compiled: CompiledDialogue, units: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every combination that pins down 1-4 people. `units` maps a unit to the units
    nested in it (the organisation to its groups)."""
    seen = list(seen)
    found: list[str] = []
    by_unit: dict[str, Mapping[str, Any]] = {}
    for item in seen:
        earlier = by_unit.setdefault(item.unit, item.doc)
        if earlier != item.doc:
            found.append(f"{item.unit}: two viewers see different figures")
        for outer, a, inner, b in nested_pairs(item.doc, compiled):
            x, y = _n(a), _n(b)
            if x is not None and y is not None and _small(x - y):
                found.append(f"{item.unit}: {outer} {a} - {inner} {b}")
        for name, total, parts in partitions(item.doc):
            t = _n(total)
            pinned = _pinned_parts(t, parts) if t is not None else None
            if pinned:
                found.append(f"{item.unit}: {name} {total} with parts {parts}: {pinned}")
    for outer, inners in units.items():
        if outer not in by_unit:
            continue
        for inner in inners:
            if inner not in by_unit:
                continue
            a, b = by_unit[outer], by_unit[inner]
            for key in ("started", "finished"):
                x, y = _n(a[key]), _n(b[key])
                if x is not None and y is not None and _small(x - y):
                    found.append(f"{outer} - {inner}: {key} {x:g} - {y:g}")
            both = a["distributions"] and b["distributions"]  # a group publishes none
            for da, db in zip(a["distributions"], b["distributions"], strict=bool(both)):
                pairs = [(da["people"], db["people"])] + [
                    (oa["people"], ob["people"])
                    for oa, ob in zip(da["options"], db["options"], strict=True)
                ]
                for va, vb in pairs:
                    x, y = _n(va), _n(vb)
                    if x is not None and y is not None and _small(x - y):
                        found.append(f"{outer} - {inner}: {da['key']} {x:g} - {y:g}")
    return found


__all__ = ["PROTECTED", "SUPPRESSED", "Seen", "attacks"]
