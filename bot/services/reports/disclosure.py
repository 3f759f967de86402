"""What a coordinator may see: no number about 1-4 people, shown or worked out.

The written model, with the units that are published and who sees them, is
docs/disclosure.md; this module holds its rules. Hiding each small cell on its
own is not enough, because a reader can subtract: 7 members and 6 who started
say that one person never started; an organisation of 10 next to a group of 7
gives away the other group's 3. So every figure is registered here with the
people it counts and how it relates to the others, and one function decides
what is shown. Pages, exports and chart data all read its answer.

The rule
--------
A count of people is shown only when it is zero or at least MIN_CELL, and every
number a reader can work out from the shown counts must be zero or at least
MIN_CELL too. Zero singles out nobody ("nobody stopped" is no secret about one
person), so full participation can be shown.

1. **Nested counts** (`within`): A contains B. A - B is a number of people too,
   so two nested counts are both shown only when they are equal or differ by at
   least MIN_CELL, also through hidden counts in between. Counts are decided in
   order of importance (`rank`).
2. **Counts that add up** (`adds_up`): while the total is shown, the hidden parts
   must hold zero or at least MIN_CELL people together, and none of them may be
   worked out exactly from what the marks say (`_pins_a_small_part`); else the
   smallest shown non-zero part is hidden too (the total when no part is left).
   While the total is hidden, not every part may be shown.
3. **Scale answers with an average** (`all_or_none`): people and average give the
   sum of the answers, so while the total is shown a scale shows all its value
   counts or none.
4. **Derived figures**: an average or a percentage is shown only when the counts
   it is computed from are shown.

A hidden cell says why: "< 5" when it counts 1-4 people itself, "hidden" when it
is large but hidden to protect another (rule 2 takes what that tells a reader
into account). The pass is greedy (standard cell suppression, not an optimal
one): it may hide more than strictly needed, never less for the relations
declared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import fmean

MIN_CELL = 5
SUPPRESSED = "< 5"
PROTECTED = "hidden"
#: The one decimals policy: counts are whole numbers; averages and percentages are
#: rounded in this module (Cell.of_ratio) to this many decimals, and every way out
#: (page, chart, JSON, CSV, Excel) shows exactly that many, so none can disagree.
DECIMALS = 1
#: Excel's number format for an average or a percentage: the same decimals.
RATIO_FORMAT = "0." + "0" * DECIMALS if DECIMALS else "0"

Key = Hashable


# -- cells ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One figure; `number` is None when it is suppressed (then it is not kept).

    `protects` tells why a hidden cell is hidden: False when the figure itself
    counts 1-4 people ("< 5"), True when it is large enough but hidden so that a
    small number elsewhere cannot be worked out ("hidden", shown as "verborgen").
    `applicable=False` marks a cell that has no figure by its nature (the drop-off
    before the first step); it shows empty, not as suppressed. `ratio` marks an
    average or a percentage: always a number with DECIMALS decimals (80.0, not 80),
    so a column of them reads alike; anything else is a count of people."""

    number: float | None
    applicable: bool = True
    protects: bool = False
    ratio: bool = False

    @classmethod
    def of_ratio(cls, value: float) -> Cell:
        """An average or a percentage, rounded by the one decimals policy."""
        return cls(round(value, DECIMALS), ratio=True)

    @property
    def hidden(self) -> bool:
        return self.number is None and self.applicable

    @property
    def mark(self) -> str:
        """The language-neutral code of a hidden cell: "< 5" or "hidden"."""
        return PROTECTED if self.protects else SUPPRESSED

    @property
    def value(self) -> int | float | None:
        """The shown figure as a number of the right type: an int for a count, a float
        with DECIMALS decimals for an average or a percentage; None when there is none."""
        if self.number is None:
            return None
        if not self.ratio and float(self.number).is_integer():
            return int(self.number)
        return round(float(self.number), DECIMALS)

    def text(self, protected: str = PROTECTED, decimal: str = ".") -> str:
        """The figure as written for people: the page's word for a protecting cell, and
        the decimal separator of their language ("4,4" in Dutch)."""
        value = self.value
        if not self.applicable:
            return ""
        if value is None:
            return protected if self.protects else SUPPRESSED
        if isinstance(value, int):
            return str(value)
        return f"{value:.{DECIMALS}f}".replace(".", decimal)

    def __str__(self) -> str:
        return self.text()

    def json(self) -> float | int | str | None:
        if not self.applicable:
            return None
        if self.number is None:
            return self.mark
        return self.value


HIDDEN = Cell(None)
PROTECTING = Cell(None, protects=True)
NOT_APPLICABLE = Cell(None, applicable=False)


def small(people: int) -> bool:
    """A number of people that would single out 1-4 of them (zero singles out nobody)."""
    return 0 < people < MIN_CELL


def count(people: int) -> Cell:
    """A number of people on its own (no other figure to subtract it from)."""
    return HIDDEN if small(people) else Cell(people)


def mean(values: Sequence[float]) -> Cell:
    """An average over people: shown when at least MIN_CELL people gave a value."""
    return Cell.of_ratio(fmean(values)) if len(values) >= MIN_CELL else HIDDEN


def percent(part: int, whole: int) -> Cell:
    """part/whole in percent, shown only when both counts could be shown."""
    if small(part) or small(whole) or whole == 0:
        return HIDDEN
    return Cell.of_ratio(100 * part / whole)


def partition(counts: Mapping[str, int]) -> dict[str, Cell]:
    """Counts that add up to a shown total (rule 2), e.g. the options of one question."""
    ledger = Ledger()
    people: dict[str, frozenset[tuple[str, int]]] = {
        label: frozenset((label, i) for i in range(n)) for label, n in counts.items()
    }
    ledger.count("total", frozenset().union(*people.values()), rank=(0,))
    for label in counts:
        ledger.count(label, people[label], rank=(1,))
        ledger.within("total", label)
    ledger.adds_up("total", list(counts))
    found = ledger.resolve()
    return {label: found.cell(label) for label in counts}


# -- the ledger -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Count:
    people: frozenset[object]
    rank: tuple[int, ...]
    order: int
    published: bool = True


@dataclass(frozen=True)
class _Sum:
    total: Key
    parts: tuple[Key, ...]
    all_or_none: bool


class Ledger:
    """The counts of one report, how they relate, and (resolve) which are shown.

    Register everything the viewer could see in one report, across all the
    scopes they can switch between, before resolving: a relation left out is a
    subtraction left open."""

    def __init__(self) -> None:
        self._counts: dict[Key, _Count] = {}
        self._alias: dict[Key, Key] = {}
        self._outer: dict[Key, list[Key]] = defaultdict(list)
        self._inner: dict[Key, list[Key]] = defaultdict(list)
        self._sums: list[_Sum] = []

    def count(
        self, key: Key, people: Iterable[object], rank: tuple[int, ...], published: bool = True
    ) -> Key:
        """A number of people; a lower rank is decided (and so kept) first.

        An unpublished count is shown nowhere but can be worked out (the sum of the
        groups' rows is the organisation's figure): it is hidden from the start, and
        the rules keep it from being worked out."""
        if key in self._counts or key in self._alias:
            raise ValueError(f"count {key!r} registered twice")
        self._counts[key] = _Count(frozenset(people), rank, len(self._counts), published)
        return key

    def same(self, key: Key, as_key: Key) -> None:
        """`key` counts the same people as `as_key` by construction (one figure, two names)."""
        self._alias[key] = self._real(as_key)

    def within(self, outer: Key, inner: Key) -> None:
        """Everyone counted in `inner` is counted in `outer` (rule 1)."""
        a, b = self._real(outer), self._real(inner)
        if a != b:
            self._inner[a].append(b)
            self._outer[b].append(a)

    def chain(self, keys: Sequence[Key]) -> None:
        """Each count contains the next (a funnel)."""
        for outer, inner in pairwise(keys):
            self.within(outer, inner)

    def adds_up(self, total: Key, parts: Sequence[Key], all_or_none: bool = False) -> None:
        """The parts add up to the total (rule 2); `all_or_none` for scales (rule 3)."""
        self._sums.append(_Sum(self._real(total), tuple(self._real(p) for p in parts), all_or_none))

    def size(self, key: Key) -> int:
        """The true number of people a count holds (to choose the mark of a hidden cell)."""
        return len(self._counts[self._real(key)].people)

    def _real(self, key: Key) -> Key:
        while key in self._alias:
            key = self._alias[key]
        if key not in self._counts:
            raise KeyError(key)
        return key

    def _closure(self, key: Key, edges: Mapping[Key, list[Key]]) -> set[Key]:
        seen: set[Key] = set()
        todo = list(edges.get(key, ()))
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo.extend(edges.get(other, ()))
        return seen

    def resolve(self) -> Figures:
        """Decide every count: rule 1 greedily by rank, then rules 2 and 3 until stable."""
        shown: dict[Key, bool] = {}
        for key in sorted(
            self._counts, key=lambda k: (self._counts[k].rank, self._counts[k].order)
        ):
            mine = self._counts[key].people
            relatives = self._closure(key, self._outer) | self._closure(key, self._inner)
            shown[key] = (
                self._counts[key].published
                and not small(len(mine))
                and not any(
                    small(len(mine ^ self._counts[other].people))
                    for other in relatives
                    if shown.get(other)
                )
            )
        changed = True
        while changed:  # each pass hides a cell or ends, so this stops
            changed = False
            for found in self._sums:
                changed = self._settle(found, shown) or changed
        return Figures({k: (c.people if shown[k] else None) for k, c in self._counts.items()}, self)

    def reveal(self) -> Figures:
        """Every count as it is, for a viewer who may read the people behind them
        anyway (a trainer looking at their own group): no suppression applies."""
        return Figures({k: c.people for k, c in self._counts.items()}, self)

    def _settle(self, found: _Sum, shown: dict[Key, bool]) -> bool:
        """Apply rules 2 and 3 to one sum; True when a cell was hidden."""
        visible = [p for p in found.parts if shown[p]]
        hidden = [p for p in found.parts if not shown[p]]
        if not hidden:
            if shown[found.total] or not visible:
                return False
            return self._hide_smallest(visible, shown)  # their sum would give the total
        if not shown[found.total]:
            return False
        if found.all_or_none:
            if not visible:
                return False  # none of the values: the average alone is what is shown
            for part in visible:
                shown[part] = False
            return True
        seen = frozenset().union(*(self._counts[p].people for p in visible))
        rest = len(self._counts[found.total].people - seen)
        sizes = [len(self._counts[p].people) for p in hidden]
        if not _pins_a_small_part(rest, sizes):
            return False
        if any(len(self._counts[p].people) for p in visible):
            return self._hide_smallest(visible, shown)
        shown[found.total] = False  # nothing left to hide among the parts
        return True

    def _hide_smallest(self, visible: list[Key], shown: dict[Key, bool]) -> bool:
        """Hide the smallest non-zero shown part (hiding a zero adds nothing unknown)."""
        candidates = [p for p in visible if self._counts[p].people] or visible
        smallest = min(
            candidates, key=lambda p: (len(self._counts[p].people), -self._counts[p].order)
        )
        shown[smallest] = False
        return True


def _pins_a_small_part(rest: int, sizes: Sequence[int]) -> bool:
    """Whether a reader who knows the hidden parts add up to `rest`, and which of
    them read "< 5" (1-4 people) and which "hidden" (5 or more), can work out the
    exact number of any hidden part, or sees that the hidden parts together hold
    1-4 people (a small group singled out as "the others"). A "hidden" part must
    stay unknown too: it is hidden because its number would give away a small one
    elsewhere. `sizes` are the hidden parts' true counts."""
    if small(rest):
        return True
    bounds = [(1, MIN_CELL - 1) if small(n) else (MIN_CELL, rest) for n in sizes]
    low_total = sum(lo for lo, _ in bounds)
    high_total = sum(hi for _, hi in bounds)
    for lo, hi in bounds:
        least = max(lo, rest - (high_total - hi))
        most = min(hi, rest - (low_total - lo))
        if least >= most:
            return True
    return False


class Figures:
    """The resolved ledger: cells, and the figures derived from them."""

    def __init__(self, people: dict[Key, frozenset[object] | None], ledger: Ledger) -> None:
        self._people = people
        self._ledger = ledger

    def _of(self, key: Key) -> frozenset[object] | None:
        return self._people[self._ledger._real(key)]

    def shown(self, key: Key) -> bool:
        return self._of(key) is not None

    def cell(self, key: Key) -> Cell:
        found = self._of(key)
        if found is not None:
            return Cell(len(found))
        return HIDDEN if small(self._ledger.size(key)) else PROTECTING

    def mean(self, of: Key, values: Sequence[float]) -> Cell:
        """An average over the people counted in `of` (rule 4); none over nobody."""
        if not values:
            return NOT_APPLICABLE
        if not self.shown(of) or len(values) < MIN_CELL:
            return HIDDEN if small(len(values)) else PROTECTING
        return Cell.of_ratio(fmean(values))

    def percent(self, part: Key, whole: Key) -> Cell:
        """part/whole in percent (rule 4); none of nobody."""
        a, b = self._of(part), self._of(whole)
        if b is not None and not b:
            return NOT_APPLICABLE
        if a is None or b is None:
            return PROTECTING  # a percentage is no count of people: never "< 5"
        return Cell.of_ratio(100 * len(a) / len(b))

    def drops(self, chain: Sequence[Key]) -> list[tuple[Cell, int | None]]:
        """Per count of a funnel: how many dropped off since the last shown count above
        it, and that count's index (None when it is the one just above). Rule 1 keeps
        every such difference at MIN_CELL or more; the first count has no drop-off."""
        found: list[tuple[Cell, int | None]] = []
        last: int | None = None
        for index, key in enumerate(chain):
            mine = self._of(key)
            if index == 0:
                found.append((NOT_APPLICABLE, None))
            elif mine is None or last is None:
                found.append((PROTECTING, None))  # unknown here: says nothing of its size
            else:
                before = self._of(chain[last])
                assert before is not None
                found.append((Cell(len(before) - len(mine)), None if last == index - 1 else last))
            if mine is not None:
                last = index
        return found
