"""What a coordinator may see: no number about fewer than 5 people, shown or worked out.

Why this module: hiding each small cell on its own is not enough, because a
reader can subtract. 7 members and 6 who started say that one person never
started; a funnel of 12 people at step 3 and 10 at step 4 says that two stopped
at step 3; an organisation of 10 next to a group of 7 gives away the other
group's 3. So every figure of the coordinator views is registered here with the
people it counts and how it relates to the others, and one function decides
what is shown. Pages, exports and chart data all read its answer.

The rule
--------
A count of people is shown only when it is at least MIN_CELL, and every number
a reader can work out from the shown counts must be at least MIN_CELL too. Zero
counts as small: "nobody stopped" or "nobody chose B" tells as much about
everyone in the cell as "one person did".

1. **Nested counts** (`within`): A contains B (members ⊇ started ⊇ finished;
   step k ⊇ step k+1 of a funnel; an organisation ⊇ one of its groups; the
   people who answered ⊇ those who chose an option). A − B is a number of
   people too (a drop-off), so two nested counts are both shown only when they
   differ by at least MIN_CELL, also through hidden counts in between (nesting
   is transitive). Counts are decided in order of importance (`rank`): a count
   is shown when it is large enough and keeps that distance from every shown
   count it is nested with, else it is hidden.
2. **Counts that add up** (`adds_up`): the options of a single-choice question
   add up to the people who answered; the groups to their organisation. While
   the total is shown, a hidden part could be recovered as the total minus the
   shown parts, so either no part is hidden or at least two are, together
   holding at least MIN_CELL people; else the smallest shown part is hidden too
   (the total when no part is left). While the total is hidden, not every part
   may be shown: their sum would give it back.
3. **Scale answers with an average** (`all_or_none`): people and average give
   the sum of the answers, and with that two hidden value counts are two
   equations in two unknowns. So while its total (and with it the average) is
   shown, a scale shows all its value counts or none.
4. **Derived figures**: an average or a percentage is shown only when the
   counts it is computed from are shown.

The pass is greedy (standard cell suppression, not an optimal one): it may hide
more than strictly needed, never less for the relations declared.

Every hidden cell reads "< 5". A second marker for cells hidden under rules
1-3 would tell the reader which neighbour holds the small number, so the pages
explain instead that "< 5" may also mean "hidden so that a small number cannot
be worked out".

Not covered: what a reader knows from elsewhere (exactly who is in a group),
figures compared over time (before and after one more person answers), and an
average at the very end of a scale (5.0 means everyone answered 5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import fmean

MIN_CELL = 5
SUPPRESSED = "< 5"

Key = Hashable


# -- cells ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One figure; `number` is None when it is suppressed (then it is not kept).

    `applicable=False` marks a cell that has no figure by its nature (the drop-off
    before the first step); it shows empty, not as suppressed."""

    number: float | None
    applicable: bool = True

    @property
    def hidden(self) -> bool:
        return self.number is None and self.applicable

    def __str__(self) -> str:
        if not self.applicable:
            return ""
        if self.number is None:
            return SUPPRESSED
        if float(self.number).is_integer():
            return str(int(self.number))
        return f"{self.number:.1f}"

    def json(self) -> float | int | str | None:
        if not self.applicable:
            return None
        if self.number is None:
            return SUPPRESSED
        return int(self.number) if float(self.number).is_integer() else round(self.number, 2)


HIDDEN = Cell(None)
NOT_APPLICABLE = Cell(None, applicable=False)


def count(people: int) -> Cell:
    """A number of people on its own (no other figure to subtract it from)."""
    return Cell(people) if people >= MIN_CELL else HIDDEN


def mean(values: Sequence[float]) -> Cell:
    """An average over people: shown when at least MIN_CELL people gave a value."""
    return Cell(round(fmean(values), 2)) if len(values) >= MIN_CELL else HIDDEN


def percent(part: int, whole: int) -> Cell:
    """part/whole in percent, shown only when both counts could be shown."""
    if part < MIN_CELL or whole < MIN_CELL:
        return HIDDEN
    return Cell(round(100 * part / whole))


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
                and len(mine) >= MIN_CELL
                and all(
                    len(mine ^ self._counts[other].people) >= MIN_CELL
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

    def _settle(self, found: _Sum, shown: dict[Key, bool]) -> bool:
        """Apply rules 2 and 3 to one sum; True when a cell was hidden."""
        visible = [p for p in found.parts if shown[p]]
        if not visible:
            if shown[found.total] and len(found.parts) < 2:
                shown[found.total] = False  # a lone hidden part would equal the total
                return True
            return False
        if len(visible) == len(found.parts):
            if shown[found.total]:
                return False
            return self._hide_smallest(visible, shown)
        if not shown[found.total]:
            return False
        if found.all_or_none:
            for part in visible:
                shown[part] = False
            return True
        hidden = len(found.parts) - len(visible)
        seen = frozenset().union(*(self._counts[p].people for p in visible))
        rest = self._counts[found.total].people - seen
        if hidden >= 2 and len(rest) >= MIN_CELL:
            return False
        return self._hide_smallest(visible, shown)

    def _hide_smallest(self, visible: list[Key], shown: dict[Key, bool]) -> bool:
        smallest = min(visible, key=lambda p: (len(self._counts[p].people), -self._counts[p].order))
        shown[smallest] = False
        return True


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
        return HIDDEN if found is None else Cell(len(found))

    def mean(self, of: Key, values: Sequence[float]) -> Cell:
        """An average over the people counted in `of` (rule 4)."""
        if not self.shown(of) or len(values) < MIN_CELL:
            return HIDDEN
        return Cell(round(fmean(values), 2))

    def percent(self, part: Key, whole: Key) -> Cell:
        """part/whole in percent (rule 4)."""
        a, b = self._of(part), self._of(whole)
        if a is None or b is None or not b:
            return HIDDEN
        return Cell(round(100 * len(a) / len(b)))

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
                found.append((HIDDEN, None))
            else:
                before = self._of(chain[last])
                assert before is not None
                found.append((Cell(len(before) - len(mine)), None if last == index - 1 else last))
            if mine is not None:
                last = index
        return found
