"""Downloads: a trainer's group answers and a coordinator's figures, as CSV or Excel.

Both leave the dashboard, so both are written to the audit log; the files come
from the one exporter (`bot.services.exports`), which defends against formula
injection for every caller alike. Both are written for a person in Excel, in the
viewer's language: headers and words from content/, numbers as numbers, times in
Dutch time, an explanation sheet in the workbook, and a CSV that Excel in that
language splits into columns (";" and a decimal comma in Dutch).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from bot.clock import AMSTERDAM
from bot.services.audit import EXPORT
from bot.services.exports import Sheet, Wording, to_csv, to_workbook
from bot.services.reports import (
    Scope,
    Table,
    figure_lines,
    figure_notes,
    figure_sheets,
    questions_table,
)
from bot.services.review import AnswerView
from bot.web.auth import Viewer
from bot.web.context import Web
from bot.web.http import Refusal, require, web_of
from bot.web.views.coordinator import overview_of, question_of, stats_of
from bot.web.views.trainer import AnswerLine, display_name, group_answers, trainer_place

FORMATS = ("csv", "xlsx")
#: A trainer's answer export: what a trainer reads first, then the codes a
#: spreadsheet can match on (the exercise, step and question as the files name them).
ANSWER_COLUMNS = (
    "person",
    "role",
    "title",
    "run_id",
    "run_status",
    "question",
    "answer",
    "answered_at",
    "dialogue_id",
    "state",
    "key",
    "kind",
)


def words_of(web: Web, locale: str) -> Wording:
    """The viewer's texts, for the services that name an export's columns."""

    def words(key: str, /, **values: object) -> str:
        return web.text(locale, key, **values)

    return words


async def group_export(request: Request) -> Response:
    """Every answer of the group's members, named as the trainer sees them on the page."""
    web = web_of(request)
    viewer = await require(request)
    group_id, fmt = request.path_params["group"], request.path_params["fmt"]
    place = trainer_place(viewer, group_id)
    if fmt not in FORMATS:
        raise Refusal(404, "web.error.not_found")
    loc = web.locale(viewer.locale)
    words = words_of(web, loc)
    found = await group_answers(web, viewer, group_id, None, loc)
    revealed = group_id in viewer.revealed
    await web.audit.record(
        viewer.person_id,
        EXPORT,
        place.organisation_id,
        group_id,
        detail=f"answers {fmt}" + (" (names)" if revealed else ""),
    )
    header = [words(f"web.export.answers.column.{c}") for c in ANSWER_COLUMNS]
    rows = [_answer_row(web, viewer, group_id, line, loc) for line in found]
    stem = f"straatwijs-{place.group}-answers"
    if fmt == "csv":
        return download(_csv([header, *rows], words), fmt, stem)
    sheet = Sheet(words("web.export.answers.sheet"), header, rows)
    notes = _answer_notes(sheet, place.group, revealed, words, _now(web))
    return download(to_workbook([sheet, notes]), fmt, stem)


def _answer_row(
    web: Web, viewer: Viewer, group_id: int, line: AnswerLine, locale: str
) -> list[object]:
    member, run, answer = line
    return [
        display_name(web, viewer, group_id, member.person_id, member.first_name),
        web.text(locale, f"trainer.role.{member.role}"),
        run.title,
        run.run_id,
        web.text(locale, f"web.run.status.{run.status}"),
        web.question(answer.dialogue_id, answer.state, locale),
        _answer_value(answer),
        _local(answer.answered_at),
        answer.dialogue_id,
        answer.state,
        answer.key,
        web.text(locale, f"web.preview.kind.{answer.kind}"),
    ]


def _answer_value(answer: AnswerView) -> object:
    """A scale answer as the number it is (a spreadsheet can average it); any other
    answer as the person saw it."""
    value = answer.value
    if answer.kind == "scale" and isinstance(value, int) and not isinstance(value, bool):
        return value
    return answer.shown


def _answer_notes(
    sheet: Sheet, group: str, revealed: bool, words: Wording, made: datetime
) -> Sheet:
    """The explanation sheet of a trainer's export: the group, and every column."""
    names = "web.export.answers.names_shown" if revealed else "web.export.answers.pseudonymised"
    rows: list[list[object]] = [
        ["", words("web.export.group"), group],
        ["", words("web.export.made"), made],
        ["", words("web.export.answers.names"), words(names)],
        [sheet.title, "", words("web.export.answers.about", group=group)],
    ]
    for column, head in zip(ANSWER_COLUMNS, sheet.header, strict=True):
        rows.append([sheet.title, head, words(f"web.export.answers.explain.{column}")])
    header = [words(f"web.export.notes_{name}") for name in ("sheet", "column", "meaning")]
    return Sheet(words("web.export.notes"), header, rows, wrap=True)


async def org_export(request: Request) -> Response:
    """The aggregates the page shows, as CSV or Excel; suppressed cells read "< 5"."""
    web = web_of(request)
    viewer = await require(request)
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise Refusal(404, "web.error.not_found")
    dialogue_id = request.query_params.get("dialogue")
    key = request.query_params.get("key")
    if key and not dialogue_id:
        raise Refusal(400, "web.error.bad_request")
    scope, tables, what = await _figures(request, viewer, dialogue_id, key)
    await _audit_export(web, viewer, scope, f"aggregates {what} {fmt}")
    stem = f"straatwijs-{scope.label}-{dialogue_id or 'overview'}"
    words = words_of(web, web.locale(viewer.locale))
    if fmt == "csv":
        return download(_csv(figure_lines(scope, tables, words), words), fmt, stem)
    sheets = figure_sheets(scope, tables, words)
    notes = figure_notes(scope, tables, sheets, words, _now(web))
    return download(to_workbook([*sheets, notes]), fmt, stem)


async def _figures(
    request: Request, viewer: Viewer, dialogue_id: str | None, key: str | None
) -> tuple[Scope, list[Table], str]:
    """The tables of the page the export belongs to, and how the audit log names them."""
    if dialogue_id and key:
        scope, found = await question_of(request, viewer, dialogue_id, key)
        return scope, [questions_table([found]), found.options], f"question {dialogue_id}.{key}"
    if dialogue_id:
        scope, stats = await stats_of(request, viewer, dialogue_id)
        return scope, list(stats.tables), f"exercise {dialogue_id}"
    scope, overview = await overview_of(request, viewer)
    return scope, list(overview.tables), "overview"


async def _audit_export(web: Web, viewer: Viewer, scope: Scope, detail: str) -> None:
    """Aggregate exports leave the dashboard, so they are logged; page views are not
    (they show no answers, and would bury the answer views in the log)."""
    await web.audit.record(
        viewer.person_id, EXPORT, scope.organisation_id, scope.group_id, detail=detail
    )


def _csv(rows: Sequence[Sequence[object]], words: Wording) -> bytes:
    """A CSV file Excel in the viewer's language splits into columns by itself."""
    return to_csv(rows, delimiter=words("web.number.csv_delimiter"))


def _local(moment: datetime) -> datetime:
    """A stored (UTC) time as the Dutch wall-clock time the pages show; Excel has no
    time zones, so the file holds the time a trainer recognises."""
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None)


def _now(web: Web) -> datetime:
    return _local(web.app.clock.now())


def download(body: bytes, fmt: str, stem: str) -> Response:
    """The file as an attachment, under a file name made safe for any browser."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:80]
    if fmt == "csv":
        media = "text/csv; charset=utf-8"
    else:
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
