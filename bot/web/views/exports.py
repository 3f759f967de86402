"""Downloads: a trainer's group answers and a coordinator's figures, as CSV or Excel.

Both leave the dashboard, so both are written to the audit log; the files come
from the one exporter (`bot.services.exports`), which defends against formula
injection for every caller alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response

from bot.services.audit import EXPORT
from bot.services.exports import to_csv, to_xlsx
from bot.services.reports import Scope, Table, export_rows
from bot.web.auth import Viewer
from bot.web.context import Web
from bot.web.http import Refusal, require, web_of
from bot.web.views.coordinator import overview_of, question_of, stats_of
from bot.web.views.trainer import AnswerLine, display_name, group_answers, trainer_place

FORMATS = ("csv", "xlsx")
ANSWER_COLUMNS: list[object] = [
    "person",
    "role",
    "dialogue_id",
    "title",
    "run_id",
    "run_status",
    "state",
    "key",
    "kind",
    "answer",
    "answered_at",
]


async def group_export(request: Request) -> Response:
    """Every answer of the group's members, named as the trainer sees them on the page."""
    web = web_of(request)
    viewer = await require(request)
    group_id, fmt = request.path_params["group"], request.path_params["fmt"]
    place = trainer_place(viewer, group_id)
    if fmt not in FORMATS:
        raise Refusal(404, "web.error.not_found")
    found = await group_answers(web, viewer, group_id, None, web.locale(viewer.locale))
    rows = [ANSWER_COLUMNS, *(_answer_row(web, viewer, group_id, line) for line in found)]
    revealed = group_id in viewer.revealed
    await web.audit.record(
        viewer.person_id,
        EXPORT,
        place.organisation_id,
        group_id,
        detail=f"answers {fmt}" + (" (names)" if revealed else ""),
    )
    return download(rows, fmt, f"straatwijs-{place.group}-answers", "answers")


def _answer_row(web: Web, viewer: Viewer, group_id: int, line: AnswerLine) -> list[object]:
    member, run, answer = line
    return [
        display_name(web, viewer, group_id, member.person_id, member.first_name),
        member.role,
        answer.dialogue_id,
        run.title,
        run.run_id,
        run.status,
        answer.state,
        answer.key,
        answer.kind,
        answer.shown,
        answer.answered_at,
    ]


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
    return download(export_rows(scope, tables), fmt, stem, "aggregates")


async def _figures(
    request: Request, viewer: Viewer, dialogue_id: str | None, key: str | None
) -> tuple[Scope, list[Table], str]:
    """The tables of the page the export belongs to, and how the audit log names them."""
    if dialogue_id and key:
        scope, found = await question_of(request, viewer, dialogue_id, key)
        return scope, [found.options], f"question {dialogue_id}.{key}"
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


def download(rows: Sequence[Sequence[object]], fmt: str, stem: str, sheet: str) -> Response:
    """The rows as an attachment, under a file name made safe for any browser."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:80]
    if fmt == "csv":
        body, media = to_csv(rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(rows, sheet)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
