"""One report over every published unit of an organisation.

The organisation as a whole and each of its groups are published units; every
figure is registered for all of them at once and the disclosure ledger decides
them together, whoever asks: the organisation minus one group must not give
away another, and two coordinators of the same group see the same figures.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import pairwise

from bot.services.reports.disclosure import Figures, Ledger
from bot.services.reports.tables import ORG, Scope

# The order in which figures are decided (disclosure rule 1): when two nested
# figures are too close, the one decided first stays. An exercise's own
# figures come first, the summaries over exercises after them, and the months
# of the confidence pairs last.
STARTED, FINISHED, ANSWERED, REACHED, PAIRS, OPTION, PART, ANYONE, PEOPLE, MONTH = range(10)


class Report:
    """Figures registered once per scope, with the organisation tied to its groups.

    A figure is named by a tuple (e.g. ("started", "scooter")); in the ledger
    its key is (scope key, *name). For several groups, each figure of the
    organisation contains the group's figure (rule 1) and is their sum (rule 2)."""

    def __init__(self, groups: Sequence[tuple[Hashable, frozenset[int]]]) -> None:
        self.ledger = Ledger()
        union = frozenset().union(*(people for _, people in groups))
        self.scopes: list[tuple[Hashable, frozenset[int]]] = (
            [(ORG, union), *groups] if len(groups) > 1 else list(groups)
        )
        self.people = union
        self._where: dict[tuple[Hashable, ...], set[Hashable]] = {}

    @classmethod
    def of(cls, scope: Scope, members: dict[int, set[int]]) -> Report:
        """A report over every group of the organisation (and the whole), whatever
        part of it the viewer may open: figures are decided per unit, not per viewer."""
        return cls([(gid, frozenset(members.get(gid, set()))) for gid, _ in scope.every_group])

    @property
    def detail_unit(self) -> Hashable:
        """The one unit that publishes what people answered: the organisation (a
        single group's organisation is that group). Groups publish participation."""
        return self.scopes[0][0]

    def detailed(self, key: Hashable) -> bool:
        """Whether scope `key` publishes answer figures (questions, funnel, pairs)."""
        return key == self.detail_unit

    def members(self, key: Hashable) -> frozenset[int]:
        """The professionals of one scope of the report."""
        return dict(self.scopes)[key]

    def figure(
        self,
        name: tuple[Hashable, ...],
        people: Iterable[int],
        rank: int,
        organisation: bool = True,
        detail: bool = False,
    ) -> None:
        """A count of people, given over the whole organisation, in every scope;
        `organisation=False` when no page shows it for the organisation as a whole,
        `detail=True` for a figure of what people answered: published for the
        organisation only (docs/disclosure.md, "Published units")."""
        found = frozenset(people)
        scopes = self.scopes[:1] if detail else self.scopes
        for index, (skey, members) in enumerate(scopes):
            shown = organisation or skey != ORG
            self.ledger.count((skey, *name), found & members, (rank, index), published=shown)
        self._where[name] = {skey for skey, _ in scopes}
        if len(scopes) > 1:
            org = (ORG, *name)
            groups = [(skey, *name) for skey, _ in scopes[1:]]
            for group in groups:
                self.ledger.within(org, group)
            self.ledger.adds_up(org, groups)

    def _scopes_of(self, *names: tuple[Hashable, ...]) -> list[Hashable]:
        """The scopes in which every one of `names` is registered (a relation holds
        only where all its figures exist; an alias counts as registered)."""
        where = [self._where.get(n, {skey for skey, _ in self.scopes}) for n in names]
        return [skey for skey, _ in self.scopes if all(skey in w for w in where)]

    def same(self, name: tuple[Hashable, ...], as_name: tuple[Hashable, ...]) -> None:
        for skey in self._scopes_of(as_name):
            self.ledger.same((skey, *name), (skey, *as_name))
        self._where[name] = set(self._scopes_of(as_name))

    def within(self, outer: tuple[Hashable, ...], inner: tuple[Hashable, ...]) -> None:
        for skey in self._scopes_of(outer, inner):
            self.ledger.within((skey, *outer), (skey, *inner))

    def chain(self, names: Sequence[tuple[Hashable, ...]]) -> None:
        for outer, inner in pairwise(names):
            self.within(outer, inner)

    def adds_up(
        self,
        total: tuple[Hashable, ...],
        parts: Sequence[tuple[Hashable, ...]],
        all_or_none: bool = False,
    ) -> None:
        for skey in self._scopes_of(total, *parts):
            self.ledger.adds_up(
                (skey, *total), [(skey, *p) for p in parts], all_or_none=all_or_none
            )

    def resolve(self) -> Figures:
        return self.ledger.resolve()


# The figures below are registered by more than one page, always through these
# functions: the same figures, in the same order and with the same relations, so
# every page hides the same cells.


def register_exercise(report: Report, did: str, started: set[int], finished: set[int]) -> None:
    """An exercise's started and finished counts (decided first of all its figures)."""
    report.figure(("started", did), started, STARTED)
    report.figure(("finished", did), finished, FINISHED)
    report.within(("started", did), ("finished", did))


def register_answered(report: Report, did: str, key: str, people: set[int]) -> None:
    """The people who answered one question of an exercise they started."""
    report.figure(("answered", did, key), people, ANSWERED, detail=True)
    report.within(("started", did), ("answered", did, key))


def register_pairs(
    report: Report,
    did: str,
    with_pair: set[int],
    months: Mapping[str, Iterable[int]],
    asks_before: bool,
) -> None:
    """The people with a before/after pair in one scenario, and the same people per
    month. The overview and the exercise page both register this, the same way,
    because both show figures of it (people and averages overall, and per month)."""
    report.figure(("pairs", did), with_pair, PAIRS, detail=True)
    report.within(("started", did), ("pairs", did))
    # Answered before but no pair: stopped on the way, a drop-off. (Answered
    # after but no pair is nil by construction, "before" being asked first;
    # declaring it would hide every pair count and say nothing.)
    if asks_before:
        report.within(("answered", did, "zeker_voor"), ("pairs", did))
    names = []
    for month, people in sorted(months.items()):
        report.figure(("month", did, month), people, MONTH, detail=True)
        report.within(("pairs", did), ("month", did, month))
        names.append(("month", did, month))
    # The months split the pairs: with an average next to each, a hidden month
    # would be the total minus the others (count and sum of scores alike).
    report.adds_up(("pairs", did), names)
