"""Coordinator figures: participation, funnels and answer distributions, never a person.

Why this module exists apart from the views: coordinators report on what the
programme brings, and must never be able to read one professional's answers.
Two rules are kept here, in the code that computes the numbers, so pages,
exports and chart data cannot differ:

1. **Small cells are suppressed.** Every cell computed over fewer than
   MIN_CELL people becomes a suppressed `Cell` (shown as "< 5"), and so does a
   zero (an empty option is as telling as a small one). Where the cells of one
   distribution add up to a shown total, a single suppressed cell could be
   worked out by subtraction, so the next smallest cell is suppressed too.
   A suppressed Cell does not hold its number at all, so no template or export
   can show it by mistake.
2. **No free text.** The queries select structured answers only (choices,
   scales, yes/no); the `text` column is never read here, and asking for a
   free-text question raises FreeTextRefused.

Scope: a coordinator sees the groups of an organisation in which they hold the
coordinator role ("nobody sees anything of a group they are not in"); the
organisation figures are the union of those groups. Only professionals count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import AMSTERDAM
from bot.dialogues.compile import CompiledDialogue
from bot.dialogues.model import Kind, Part, State
from bot.engine import Context, Engine
from bot.review import AccessDenied
from bot.store.db import Database
from bot.store.models import AnswerRow, Group, Membership, Organisation, Run

MIN_CELL = 5
SUPPRESSED = "< 5"
COORDINATOR = "coordinator"
PROFESSIONAL = "professional"
#: Answer kinds that may be counted; free text ("text") is not among them.
STRUCTURED = ("choice", "multi", "yesno", "scale")
CONFIDENCE = ("zeker_voor", "zeker_na")


class FreeTextRefused(Exception):
    """A coordinator asked for a free-text question: never shown to coordinators."""


class UnknownQuestion(LookupError):
    """The dialogue stores no answer under that key."""


# -- cells --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One figure; `number` is None when it is suppressed (then it is not kept)."""

    number: float | None

    @property
    def hidden(self) -> bool:
        return self.number is None

    def __str__(self) -> str:
        if self.number is None:
            return SUPPRESSED
        if float(self.number).is_integer():
            return str(int(self.number))
        return f"{self.number:.1f}"

    def json(self) -> float | int | str:
        if self.number is None:
            return SUPPRESSED
        return int(self.number) if float(self.number).is_integer() else round(self.number, 2)


HIDDEN = Cell(None)


def count(people: int) -> Cell:
    """A number of people: shown from MIN_CELL up."""
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
    """Counts that add up to a total: small ones hidden, plus secondary suppression
    so one hidden cell cannot be recovered as the total minus the others."""
    cells = {label: count(n) for label, n in counts.items()}
    hidden = [label for label, cell in cells.items() if cell.hidden]
    if len(hidden) == 1:
        shown = sorted((n, label) for label, n in counts.items() if not cells[label].hidden)
        if shown:
            cells[shown[0][1]] = HIDDEN
    return cells


# -- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The groups whose figures a coordinator may see, and the one chosen (if any)."""

    organisation_id: int
    organisation: str
    groups: tuple[tuple[int, str], ...]
    group_id: int | None = None

    @property
    def group_ids(self) -> list[int]:
        if self.group_id is not None:
            return [self.group_id]
        return [gid for gid, _ in self.groups]

    @property
    def label(self) -> str:
        names = dict(self.groups)
        return names[self.group_id] if self.group_id is not None else self.organisation


@dataclass(frozen=True)
class Row:
    """One line of a table: a label and its cells, in column order."""

    key: str
    label: str
    cells: tuple[Cell, ...]


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
    scope: Scope
    people: Cell
    groups: Table  # members, started, finished
    parts: Table  # started, finished
    exercises: Table  # started, finished, completion
    confidence: Table  # people, before, after (street scenarios)

    @property
    def tables(self) -> tuple[Table, ...]:
        return (self.groups, self.parts, self.exercises, self.confidence)

    def json(self) -> dict[str, Any]:
        return {
            "organisation": self.scope.organisation,
            "scope": self.scope.label,
            "people": self.people.json(),
            "tables": [t.json() for t in self.tables],
        }


@dataclass(frozen=True)
class ExerciseStats:
    scope: Scope
    dialogue_id: str
    title: str
    started: Cell
    finished: Cell
    funnel: Table  # people who reached step n
    states: Table  # people who reached each state
    distributions: tuple[Distribution, ...]
    over_time: Table | None  # confidence before/after per month (scenarios)
    text_keys: tuple[str, ...] = field(default=())  # named, never shown

    @property
    def tables(self) -> tuple[Table, ...]:
        tables = [self.funnel, self.states, *(d.options for d in self.distributions)]
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
            "funnel": self.funnel.json(),
            "states": self.states.json(),
            "distributions": [d.json() for d in self.distributions],
            "over_time": self.over_time.json() if self.over_time else None,
        }


def export_rows(scope: Scope, tables: Iterable[Table]) -> list[list[str]]:
    """Long-format rows for CSV/Excel: organisation, scope, table, item, measure, value."""
    rows = [["organisation", "scope", "table", "item", "measure", "value"]]
    for table in tables:
        for row in table.rows:
            for column, cell in zip(table.columns, row.cells, strict=True):
                rows.append(
                    [scope.organisation, scope.label, table.name, row.label, column, str(cell)]
                )
    return rows


# -- the queries ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    person_id: int
    run_id: int
    dialogue_id: str
    key: str
    kind: str
    value: Any


@dataclass(frozen=True)
class _Run:
    person_id: int
    dialogue_id: str
    status: str
    state: str
    history: tuple[str, ...]
    started_at: datetime
    id: int


class Aggregates:
    """Coordinator figures over a Scope, computed from structured answers only."""

    def __init__(self, db: Database, engine: Engine) -> None:
        self.db = db
        self.engine = engine

    async def scope(self, viewer_id: int, organisation_id: int, group_id: int | None) -> Scope:
        """The viewer's coordinator scope in an organisation; AccessDenied when empty
        or when `group_id` is not one of the viewer's coordinated groups."""

        async def work(session: AsyncSession) -> Scope:
            org = await session.get(Organisation, organisation_id)
            rows = await session.execute(
                select(Group.id, Group.name)
                .join(Membership, Membership.group_id == Group.id)
                .where(
                    Group.organisation_id == organisation_id,
                    Membership.person_id == viewer_id,
                    Membership.role == COORDINATOR,
                )
                .order_by(Group.name, Group.id)
            )
            groups = tuple((gid, name) for gid, name in rows.all())
            if org is None or not groups:
                raise AccessDenied(f"person {viewer_id} coordinates nothing in {organisation_id}")
            if group_id is not None and group_id not in {gid for gid, _ in groups}:
                raise AccessDenied(f"person {viewer_id} does not coordinate group {group_id}")
            return Scope(org.id, org.name, groups, group_id)

        return await self.db.read(work)

    async def overview(self, scope: Scope, locale: str) -> Overview:
        """Participation per group, training part and exercise; confidence per scenario."""

        async def work(session: AsyncSession) -> Overview:
            members = await _members(session, scope)
            people = set().union(*members.values()) if members else set()
            runs = await _runs(session, people)
            confidence = await _answers(session, people, keys=CONFIDENCE, kinds=("scale",))
            return self._overview(scope, locale, members, people, runs, confidence)

        return await self.db.read(work)

    def _overview(
        self,
        scope: Scope,
        locale: str,
        members: dict[int, set[int]],
        people: set[int],
        runs: list[_Run],
        confidence: list[_Answer],
    ) -> Overview:
        started: dict[str, set[int]] = defaultdict(set)
        finished: dict[str, set[int]] = defaultdict(set)
        for run in runs:
            started[run.dialogue_id].add(run.person_id)
            if run.status == "finished":
                finished[run.dialogue_id].add(run.person_id)
        anyone = set().union(*started.values()) if started else set()
        done = set().union(*finished.values()) if finished else set()
        names = dict(scope.groups)
        group_rows = tuple(
            Row(
                str(gid),
                names[gid],
                (
                    count(len(members.get(gid, set()))),
                    count(len(members.get(gid, set()) & anyone)),
                    count(len(members.get(gid, set()) & done)),
                ),
            )
            for gid in scope.group_ids
        )
        dialogues = self._dialogues()
        part_rows = []
        for part in Part:
            ids = [d for d, c in dialogues if c.spec.part == part]
            s = set().union(*(started[d] for d in ids)) if ids else set()
            f = set().union(*(finished[d] for d in ids)) if ids else set()
            part_rows.append(
                Row(
                    part.value,
                    self._text(locale, f"bot.part.{part.value}"),
                    (count(len(s)), count(len(f))),
                )
            )
        exercise_rows = tuple(
            Row(
                did,
                self._title(compiled, locale),
                (
                    count(len(started[did])),
                    count(len(finished[did])),
                    percent(len(finished[did]), len(started[did])),
                ),
            )
            for did, compiled in dialogues
        )
        pairs = _confidence_pairs(confidence)
        confidence_rows = []
        for did, compiled in dialogues:
            if compiled.spec.kind != Kind.STRAATSCENARIO:
                continue
            found = [pair for (pid, d), pair in pairs.items() if d == did]
            confidence_rows.append(
                Row(
                    did,
                    self._title(compiled, locale),
                    (
                        count(len(found)),
                        mean([b for b, _ in found]),
                        mean([a for _, a in found]),
                    ),
                )
            )
        return Overview(
            scope,
            count(len(people)),
            Table("groups", ("members", "started", "finished"), group_rows),
            Table("parts", ("started", "finished"), tuple(part_rows)),
            Table("exercises", ("started", "finished", "completion_percent"), exercise_rows),
            Table("confidence", ("people", "before", "after"), tuple(confidence_rows)),
        )

    async def exercise(self, scope: Scope, dialogue_id: str, locale: str) -> ExerciseStats:
        """Funnel, states reached and every structured question's distribution."""
        compiled = self.engine.dialogue(dialogue_id)  # UnknownDialogue for the caller

        async def work(session: AsyncSession) -> ExerciseStats:
            members = await _members(session, scope)
            people = set().union(*members.values()) if members else set()
            runs = await _runs(session, people, dialogue_id)
            answers = await _answers(session, people, dialogue_id=dialogue_id)
            return self._exercise(scope, compiled, locale, runs, answers)

        return await self.db.read(work)

    async def question(self, scope: Scope, dialogue_id: str, key: str, locale: str) -> Distribution:
        """One question's distribution; FreeTextRefused for a free-text question."""
        compiled = self.engine.dialogue(dialogue_id)
        state = self._check_key(compiled, key)

        async def work(session: AsyncSession) -> Distribution:
            members = await _members(session, scope)
            people = set().union(*members.values()) if members else set()
            answers = await _answers(session, people, dialogue_id=dialogue_id, keys=(key,))
            return self._distribution(compiled, state, key, answers, locale)

        return await self.db.read(work)

    def stored_keys(self, compiled: CompiledDialogue) -> dict[str, str]:
        """Stored answer key -> the first state that asks it."""
        keys: dict[str, str] = {}
        for name, state in compiled.spec.states.items():
            if state.store and state.input_kind and state.store not in keys:
                keys[state.store] = name
        return keys

    def _check_key(self, compiled: CompiledDialogue, key: str) -> str:
        state = self.stored_keys(compiled).get(key)
        if state is None:
            raise UnknownQuestion(key)
        if compiled.spec.states[state].input_kind not in STRUCTURED:
            raise FreeTextRefused(key)
        return state

    def _exercise(
        self,
        scope: Scope,
        compiled: CompiledDialogue,
        locale: str,
        runs: list[_Run],
        answers: list[_Answer],
    ) -> ExerciseStats:
        spec = compiled.spec
        # A finished run went all the way, whatever the length of its branch.
        total = max(
            compiled.remaining.get(spec.start, 1),
            max((len(r.history) + 1 for r in runs), default=1),
        )
        reached_step: dict[int, int] = {}
        reached_state: dict[str, set[int]] = defaultdict(set)
        started: set[int] = set()
        finished: set[int] = set()
        for run in runs:
            started.add(run.person_id)
            if run.status == "finished":
                finished.add(run.person_id)
            step = total if run.status == "finished" else len(run.history) + 1
            reached_step[run.person_id] = max(step, reached_step.get(run.person_id, 0))
            for name in {*run.history, run.state}:
                reached_state[name].add(run.person_id)
        step_label = self._text(locale, "web.agg.step")
        funnel_rows = [
            Row(
                str(k),
                step_label.replace("{step}", str(k)),
                (count(sum(1 for s in reached_step.values() if s >= k)),),
            )
            for k in range(1, total + 1)
        ]
        funnel_rows.append(
            Row("finished", self._text(locale, "web.agg.finished"), (count(len(finished)),))
        )
        state_rows = tuple(
            Row(name, name, (count(len(reached_state.get(name, set()))),)) for name in spec.states
        )
        keys = self.stored_keys(compiled)
        distributions = []
        for key, state in keys.items():
            if spec.states[state].input_kind in STRUCTURED:
                mine = [a for a in answers if a.key == key]
                distributions.append(self._distribution(compiled, state, key, mine, locale))
        text_keys = tuple(k for k, s in keys.items() if spec.states[s].input_kind == "text")
        over_time = None
        if all(k in keys for k in CONFIDENCE):
            over_time = self._over_time(runs, answers, locale)
        return ExerciseStats(
            scope,
            spec.id,
            self._title(compiled, locale),
            count(len(started)),
            count(len(finished)),
            Table("funnel", ("people",), tuple(funnel_rows)),
            Table("states", ("people",), state_rows),
            tuple(distributions),
            over_time,
            text_keys,
        )

    def _distribution(
        self,
        compiled: CompiledDialogue,
        state_name: str,
        key: str,
        answers: Sequence[_Answer],
        locale: str,
    ) -> Distribution:
        state = compiled.spec.states[state_name]
        kind = state.input_kind or ""
        latest: dict[int, tuple[int, Any]] = {}
        for answer in answers:
            if answer.key != key:
                continue
            seen = latest.get(answer.person_id)
            if seen is None or answer.run_id > seen[0]:
                latest[answer.person_id] = (answer.run_id, answer.value)
        values = [value for _, value in latest.values()]
        options = self._options(state, locale)
        counts = dict.fromkeys(options, 0)
        for value in values:
            for oid in set(value if isinstance(value, list) else [value]):
                if str(oid) in counts:
                    counts[str(oid)] += 1
        if kind == "multi":
            cells = {oid: count(n) for oid, n in counts.items()}
        else:
            cells = partition(counts)
        average = None
        if kind == "scale":
            average = mean([float(v) for v in values if isinstance(v, int | float)])
        table = Table(
            f"question:{key}",
            ("people",),
            tuple(Row(oid, label, (cells[oid],)) for oid, label in options.items()),
        )
        return Distribution(
            key, state_name, kind, self._question(state, locale), count(len(values)), table, average
        )

    def _over_time(
        self,
        runs: list[_Run],
        answers: list[_Answer],
        locale: str,
    ) -> Table:
        """Confidence before and after per month a run started, paired per run."""
        month_of = {run.id: run.started_at.astimezone(AMSTERDAM).strftime("%Y-%m") for run in runs}
        by_run: dict[int, dict[str, float]] = defaultdict(dict)
        owner: dict[int, int] = {}
        for answer in answers:
            if answer.key in CONFIDENCE and isinstance(answer.value, int | float):
                by_run[answer.run_id][answer.key] = float(answer.value)
                owner[answer.run_id] = answer.person_id
        latest: dict[tuple[str, int], tuple[int, float, float]] = {}
        for run_id, found in by_run.items():
            if len(found) == 2 and run_id in month_of:
                slot = (month_of[run_id], owner[run_id])
                if slot not in latest or run_id > latest[slot][0]:
                    latest[slot] = (run_id, found[CONFIDENCE[0]], found[CONFIDENCE[1]])
        months: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for (month, _), (_, before, after) in latest.items():
            months[month].append((before, after))
        rows = tuple(
            Row(
                month,
                month,
                (
                    count(len(pairs)),
                    mean([b for b, _ in pairs]),
                    mean([a for _, a in pairs]),
                ),
            )
            for month, pairs in sorted(months.items())
        )
        return Table("confidence_by_month", ("people", "before", "after"), rows)

    # -- texts --------------------------------------------------------------------------

    def _dialogues(self) -> list[tuple[str, CompiledDialogue]]:
        order = {part: i for i, part in enumerate(Part)}
        return sorted(
            self.engine.dialogues.items(), key=lambda item: (order[item[1].spec.part], item[0])
        )

    def _text(self, locale: str, key: str) -> str:
        return self.engine.catalog.text(locale, key)

    def _title(self, compiled: CompiledDialogue, locale: str) -> str:
        return self._text(locale, compiled.spec.title)

    def _question(self, state: State, locale: str) -> str:
        says = state.says
        return self._text(locale, says[-1]) if says else ""

    def _options(self, state: State, locale: str) -> dict[str, str]:
        """Option id -> label, in the dialogue's order (scales: every value)."""
        ask = state.ask
        ctx = Context(locale)
        render = self.engine.render
        if ask is None:
            return {}
        if ask.scale is not None:
            return {str(n): str(n) for n in range(ask.scale.min, ask.scale.max + 1)}
        spec = ask.choice or ask.multi
        if spec is not None:
            return {o.id: o.label for o in render.options(spec.options, ctx)}
        if ask.yesno:
            return {"yes": render.text(ctx, "common.yes"), "no": render.text(ctx, "common.no")}
        return {}


# -- rows straight from the database (never the `text` column) ----------------------------


async def _members(session: AsyncSession, scope: Scope) -> dict[int, set[int]]:
    """Group id -> professionals in it, for the groups in scope."""
    rows = await session.execute(
        select(Membership.group_id, Membership.person_id).where(
            Membership.group_id.in_(scope.group_ids), Membership.role == PROFESSIONAL
        )
    )
    found: dict[int, set[int]] = defaultdict(set)
    for group_id, person_id in rows.all():
        found[group_id].add(person_id)
    return found


async def _runs(
    session: AsyncSession, people: set[int], dialogue_id: str | None = None
) -> list[_Run]:
    if not people:
        return []
    query = select(
        Run.person_id, Run.dialogue_id, Run.status, Run.state, Run.history, Run.started_at, Run.id
    ).where(Run.person_id.in_(people))
    if dialogue_id is not None:
        query = query.where(Run.dialogue_id == dialogue_id)
    rows = await session.execute(query)
    return [
        _Run(pid, did, status, state, tuple(history or ()), started, rid)
        for pid, did, status, state, history, started, rid in rows.all()
    ]


async def _answers(
    session: AsyncSession,
    people: set[int],
    dialogue_id: str | None = None,
    keys: Sequence[str] | None = None,
    kinds: Sequence[str] = STRUCTURED,
) -> list[_Answer]:
    """Structured answers only: the `text` column is not selected."""
    if not people:
        return []
    query = select(
        AnswerRow.person_id,
        AnswerRow.run_id,
        AnswerRow.dialogue_id,
        AnswerRow.key,
        AnswerRow.kind,
        AnswerRow.value,
    ).where(
        AnswerRow.person_id.in_(people),
        AnswerRow.kind.in_([k for k in kinds if k in STRUCTURED]),
    )
    if dialogue_id is not None:
        query = query.where(AnswerRow.dialogue_id == dialogue_id)
    if keys is not None:
        query = query.where(AnswerRow.key.in_(keys))
    return [_Answer(*row) for row in (await session.execute(query)).all()]


def _confidence_pairs(rows: Iterable[_Answer]) -> dict[tuple[int, str], tuple[float, float]]:
    """(person, dialogue) -> (before, after) from the person's latest run that has both."""
    by_run: dict[int, dict[str, float]] = defaultdict(dict)
    where: dict[int, tuple[int, str]] = {}
    for row in rows:
        if row.key in CONFIDENCE and isinstance(row.value, int | float):
            by_run[row.run_id][row.key] = float(row.value)
            where[row.run_id] = (row.person_id, row.dialogue_id)
    pairs: dict[tuple[int, str], tuple[int, float, float]] = {}
    for run_id, found in by_run.items():
        if len(found) == 2:
            slot = where[run_id]
            if slot not in pairs or run_id > pairs[slot][0]:
                pairs[slot] = (run_id, found[CONFIDENCE[0]], found[CONFIDENCE[1]])
    return {slot: (before, after) for slot, (_, before, after) in pairs.items()}
