"""One report over every published unit of an organisation.

The organisation as a whole and each of its groups are published units; every
figure is registered for all of them at once and the disclosure ledger decides
them together, whoever asks: the organisation minus one group must not give
away another, and two coordinators of the same group see the same figures.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

from bot.services.reports.disclosure import Figures, Ledger
from bot.services.reports.tables import ORG, Scope

# The order in which figures are decided (disclosure rule 1): when two nested
# figures are too close, the one decided first stays. An exercise's own
# figures come first, the summaries over exercises after them, and the
# intermediate steps of a funnel last (the drop-off between shown steps is what
# the funnel is for).
STARTED, FINISHED, ANSWERED, PAIRS, OPTION, PART, ANYONE, PEOPLE, STEP, MONTH = range(10)


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

    @classmethod
    def of(cls, scope: Scope, members: dict[int, set[int]]) -> Report:
        """A report over every group of the organisation (and the whole), whatever
        part of it the viewer may open: figures are decided per unit, not per viewer."""
        return cls([(gid, frozenset(members.get(gid, set()))) for gid, _ in scope.every_group])

    def members(self, key: Hashable) -> frozenset[int]:
        """The professionals of one scope of the report."""
        return dict(self.scopes)[key]

    def figure(
        self,
        name: tuple[Hashable, ...],
        people: Iterable[int],
        rank: int,
        organisation: bool = True,
    ) -> None:
        """A count of people, given over the whole organisation, in every scope;
        `organisation=False` when no page shows it for the organisation as a whole."""
        found = frozenset(people)
        for index, (skey, members) in enumerate(self.scopes):
            shown = organisation or skey != ORG
            self.ledger.count((skey, *name), found & members, (rank, index), published=shown)
        if len(self.scopes) > 1:
            org = (ORG, *name)
            groups = [(skey, *name) for skey, _ in self.scopes[1:]]
            for group in groups:
                self.ledger.within(org, group)
            self.ledger.adds_up(org, groups)

    def same(self, name: tuple[Hashable, ...], as_name: tuple[Hashable, ...]) -> None:
        for skey, _ in self.scopes:
            self.ledger.same((skey, *name), (skey, *as_name))

    def within(self, outer: tuple[Hashable, ...], inner: tuple[Hashable, ...]) -> None:
        for skey, _ in self.scopes:
            self.ledger.within((skey, *outer), (skey, *inner))

    def chain(self, names: Sequence[tuple[Hashable, ...]]) -> None:
        for skey, _ in self.scopes:
            self.ledger.chain([(skey, *name) for name in names])

    def adds_up(
        self,
        total: tuple[Hashable, ...],
        parts: Sequence[tuple[Hashable, ...]],
        all_or_none: bool = False,
    ) -> None:
        for skey, _ in self.scopes:
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
    report.figure(("answered", did, key), people, ANSWERED)
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
    report.figure(("pairs", did), with_pair, PAIRS)
    report.within(("started", did), ("pairs", did))
    # Answered before but no pair: stopped on the way, a drop-off. (Answered
    # after but no pair is nil by construction, "before" being asked first;
    # declaring it would hide every pair count and say nothing.)
    if asks_before:
        report.within(("answered", did, "zeker_voor"), ("pairs", did))
    names = []
    for month, people in sorted(months.items()):
        report.figure(("month", did, month), people, MONTH)
        report.within(("pairs", did), ("month", did, month))
        names.append(("month", did, month))
    # The months split the pairs: with an average next to each, a hidden month
    # would be the total minus the others (count and sum of scores alike).
    report.adds_up(("pairs", did), names)
