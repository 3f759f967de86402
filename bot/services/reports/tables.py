"""What a report hands out: scopes, tables of cells and the pages built from them.

Every figure is a `Cell` decided by the disclosure model (disclosure.py), so a
page, a chart and an export built from these types show exactly the same
numbers, and a suppressed one is not even present to be shown by mistake.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.services.reports.disclosure import NOT_APPLICABLE, Cell

#: The scope key of the organisation as a whole (every group in it).
ORG = "org"


class FreeTextRefused(Exception):
    """A coordinator asked for a free-text question: never shown to coordinators."""


class UnknownQuestion(LookupError):
    """The dialogue stores no answer under that key."""


class NotPublished(LookupError):
    """A figure of what people answered, asked for a group: those are published for
    the organisation only (docs/disclosure.md)."""


@dataclass(frozen=True)
class Scope:
    """What a coordinator looks at: the published units of one organisation.

    The units are fixed: the organisation as a whole and each of its groups
    (docs/disclosure.md). Every figure is decided over all of them together,
    whoever looks, so two viewers of one unit see the same numbers. `groups` are
    the units this viewer may open (the groups they coordinate), `whole` whether
    they may open the organisation's, and `group_id` the one chosen (None: the
    organisation)."""

    organisation_id: int
    organisation: str
    groups: tuple[tuple[int, str], ...]
    group_id: int | None = None
    units: tuple[tuple[int, str], ...] = ()
    whole: bool = True

    @property
    def every_group(self) -> tuple[tuple[int, str], ...]:
        """All groups of the organisation: what the figures are decided over."""
        return self.units or self.groups

    @property
    def group_ids(self) -> list[int]:
        if self.group_id is not None:
            return [self.group_id]
        return [gid for gid, _ in self.groups]

    @property
    def label(self) -> str:
        names = dict(self.groups)
        return names[self.group_id] if self.group_id is not None else self.organisation

    @property
    def key(self) -> Hashable:
        """This scope's key in a report: a group id, or ORG for several groups."""
        if self.group_id is not None:
            return self.group_id
        return ORG if len(self.every_group) > 1 else self.every_group[0][0]


@dataclass(frozen=True)
class Row:
    """One line of a table: a label and its cells, in column order.

    `since` names an earlier row when a drop-off is counted from there (the rows
    in between are hidden)."""

    key: str
    label: str
    cells: tuple[Cell, ...]
    since: str | None = None


@dataclass(frozen=True)
class Table:
    """A table of figures with named columns, the unit of pages, charts and exports."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": list(self.columns),
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    **{c: cell.json() for c, cell in zip(self.columns, row.cells, strict=True)},
                    **({"dropped_off_since": row.since} if row.since else {}),
                }
                for row in self.rows
            ],
        }


@dataclass(frozen=True)
class Distribution:
    """How people answered one structured question."""

    key: str
    state: str
    kind: str
    question: str
    people: Cell
    options: Table
    average: Cell | None = None  # scales only

    def json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "key": self.key,
            "kind": self.kind,
            "question": self.question,
            "people": self.people.json(),
            "options": self.options.json()["rows"],
        }
        if self.average is not None:
            found["average"] = self.average.json()
        return found


@dataclass(frozen=True)
class Overview:
    """The coordinator's front page: participation per group, part and exercise."""

    scope: Scope
    people: Cell
    groups: Table  # members, started, finished
    parts: Table  # started, finished
    exercises: Table  # started, finished, completion
    confidence: Table | None  # people, before, after (street scenarios); None for a group

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for t in (self.groups, self.parts, self.exercises, self.confidence) if t)

    def json(self) -> dict[str, Any]:
        return {
            "organisation": self.scope.organisation,
            "scope": self.scope.label,
            "people": self.people.json(),
            "tables": [t.json() for t in self.tables],
        }


@dataclass(frozen=True)
class ExerciseStats:
    """One exercise's page: how far people got, and how they answered."""

    scope: Scope
    dialogue_id: str
    title: str
    started: Cell
    finished: Cell
    #: How far people got per question, and who dropped off since the row above;
    #: None (with no distributions) for a group: answers are published per organisation.
    funnel: Table | None
    distributions: tuple[Distribution, ...]
    over_time: Table | None  # confidence before/after per month (scenarios)
    text_keys: tuple[str, ...] = field(default=())  # named, never shown

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every table of the page, for its export: the exercise's head figures (for
        a group, all there is), the funnel, the questions with their answered counts
        and averages, each question's options, the months."""
        head = Table(
            "exercise",
            ("started", "finished"),
            (Row(self.dialogue_id, self.title, (self.started, self.finished)),),
        )
        tables = [head, *([self.funnel] if self.funnel else [])]
        if self.distributions:
            tables.append(questions_table(self.distributions))
        tables += [d.options for d in self.distributions]
        if self.over_time is not None:
            tables.append(self.over_time)
        return tuple(tables)

    def json(self) -> dict[str, Any]:
        return {
            "organisation": self.scope.organisation,
            "scope": self.scope.label,
            "dialogue": self.dialogue_id,
            "started": self.started.json(),
            "finished": self.finished.json(),
            "funnel": self.funnel.json() if self.funnel else None,
            "distributions": [d.json() for d in self.distributions],
            "over_time": self.over_time.json() if self.over_time else None,
        }


def questions_table(distributions: Sequence[Distribution]) -> Table:
    """Per question, the figures the page prints above its chart: how many answered
    it and, for a scale, the average. Keyed by the question's key, labelled with the
    question as asked (an export names each question's own table by that key)."""
    return Table(
        "questions",
        ("answered", "average"),
        tuple(
            Row(d.key, d.question or d.key, (d.people, d.average or NOT_APPLICABLE))
            for d in distributions
        ),
    )
