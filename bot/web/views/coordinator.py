"""A coordinator's pages: figures over the organisation's groups, per exercise
and per question, as pages and as JSON.

Everything comes from the reports service (`Aggregates`), which only returns
suppressed figures over the coordinator's own groups and never free text; these
views only choose the scope and draw the charts.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.engine import UnknownDialogue
from bot.services.access import AccessDenied
from bot.services.reports import (
    Distribution,
    ExerciseStats,
    FreeTextRefused,
    NotPublished,
    Overview,
    Scope,
    Table,
    UnknownQuestion,
)
from bot.web import charts
from bot.web.auth import Viewer
from bot.web.context import Web
from bot.web.http import Refusal, cell_text, int_param, page, require, web_of

# -- what the pages show (shared with the exports) ------------------------------------------


async def scope_of(request: Request, viewer: Viewer) -> Scope:
    """The organisation in the URL, narrowed to one group by `?group=`, if the
    viewer coordinates there."""
    web = web_of(request)
    try:
        return await web.aggregates.scope(
            viewer.person_id, request.path_params["org"], int_param(request, "group")
        )
    except AccessDenied:
        raise Refusal(403, "web.error.forbidden") from None


async def overview_of(request: Request, viewer: Viewer) -> tuple[Scope, Overview]:
    """The figures of the overview page, for the page, its JSON and its export."""
    web = web_of(request)
    scope = await scope_of(request, viewer)
    overview = await web.aggregates.overview(scope, web.locale(viewer.locale))
    return scope, overview


async def stats_of(
    request: Request, viewer: Viewer, dialogue_id: str
) -> tuple[Scope, ExerciseStats]:
    """One exercise's figures, for its page, its JSON and its export."""
    web = web_of(request)
    scope = await scope_of(request, viewer)
    try:
        stats = await web.aggregates.exercise(scope, dialogue_id, web.locale(viewer.locale))
    except UnknownDialogue:
        raise Refusal(404, "web.error.unknown_dialogue") from None
    return scope, stats


async def question_of(
    request: Request, viewer: Viewer, dialogue_id: str, key: str
) -> tuple[Scope, Distribution]:
    """One question's answers; free-text questions are refused, never counted."""
    web = web_of(request)
    scope = await scope_of(request, viewer)
    try:
        found = await web.aggregates.question(scope, dialogue_id, key, web.locale(viewer.locale))
    except UnknownDialogue:
        raise Refusal(404, "web.error.unknown_dialogue") from None
    except FreeTextRefused:
        raise Refusal(403, "web.error.free_text") from None
    except UnknownQuestion:
        raise Refusal(404, "web.error.not_found") from None
    except NotPublished:
        raise Refusal(404, "web.org.per_organisation") from None
    return scope, found


# -- pages ----------------------------------------------------------------------------------


async def org_page(request: Request) -> Response:
    """The overview: exercises finished, training parts, confidence before and after."""
    web = web_of(request)
    viewer = await require(request)
    loc = web.locale(viewer.locale)
    scope, overview = await overview_of(request, viewer)

    def t(key: str) -> str:
        return web.text(loc, key)

    exercises = [(r.label, r.cells[1]) for r in overview.exercises.rows]
    show = cell_text(web, loc)
    chart_exercises = charts.bar_chart(t("web.org.chart_finished"), exercises, show=show)
    chart_parts = charts.bar_chart(
        t("web.org.chart_parts"),
        [(r.label, r.cells[1]) for r in overview.parts.rows],
        show=show,
    )
    chart_confidence = None
    if overview.confidence is not None:
        chart_confidence = _confidence_chart(
            t, "web.org.chart_confidence", overview.confidence, show
        )
    return page(
        request,
        "org.html",
        viewer,
        scope=scope,
        overview=overview,
        chart_exercises=chart_exercises,
        chart_parts=chart_parts,
        chart_confidence=chart_confidence,
        query=_scope_query(scope),
    )


async def org_data(request: Request) -> Response:
    """The overview's figures as JSON, suppressed like the page."""
    viewer = await require(request)
    _, overview = await overview_of(request, viewer)
    return JSONResponse(overview.json())


async def org_exercise_page(request: Request) -> Response:
    """One exercise: how far people got, where they stopped, how they chose."""
    web = web_of(request)
    viewer = await require(request)
    loc = web.locale(viewer.locale)
    scope, stats = await stats_of(request, viewer, request.path_params["dialogue"])

    def t(key: str) -> str:
        return web.text(loc, key)

    show = cell_text(web, loc)
    rows = stats.funnel.rows if stats.funnel is not None else ()
    funnel = charts.bar_chart(
        t("web.exercise.funnel"), [(r.label, r.cells[0]) for r in rows], show=show
    )
    drops = charts.bar_chart(
        t("web.exercise.drops"),
        [
            (_drop_label(web, loc, r.label, r.since), r.cells[1])
            for r in rows
            if r.cells[1].applicable
        ],
        show=show,
    )
    distribution_charts = [_distribution_chart(d, show) for d in stats.distributions]
    over_time = None
    if stats.over_time is not None and stats.over_time.rows:
        over_time = _confidence_chart(t, "web.exercise.over_time", stats.over_time, show)
    return page(
        request,
        "org_exercise.html",
        viewer,
        scope=scope,
        stats=stats,
        funnel=funnel,
        drops=drops,
        distributions=list(zip(stats.distributions, distribution_charts, strict=True)),
        over_time=over_time,
        query=_scope_query(scope),
    )


async def org_question_page(request: Request) -> Response:
    """One structured question's answers, counted (free text is never shown here)."""
    web = web_of(request)
    viewer = await require(request)
    dialogue_id = request.path_params["dialogue"]
    scope, found = await question_of(request, viewer, dialogue_id, request.path_params["key"])
    return page(
        request,
        "org_question.html",
        viewer,
        scope=scope,
        dialogue_id=dialogue_id,
        title=web.title(dialogue_id, web.locale(viewer.locale)),
        found=found,
        chart=_distribution_chart(found, cell_text(web, web.locale(viewer.locale))),
        query=_scope_query(scope),
    )


async def org_exercise_data(request: Request) -> Response:
    """The exercise's figures as JSON, or one question's with `?key=`."""
    viewer = await require(request)
    dialogue_id = request.path_params["dialogue"]
    key = request.query_params.get("key")
    if key:
        _, found = await question_of(request, viewer, dialogue_id, key)
        return JSONResponse(found.json())
    _, stats = await stats_of(request, viewer, dialogue_id)
    return JSONResponse(stats.json())


# -- drawing --------------------------------------------------------------------------------


def _distribution_chart(found: Distribution, show: charts.Show) -> Markup:
    return charts.bar_chart(
        found.question or found.key,
        [(r.label, r.cells[0]) for r in found.options.rows],
        show=show,
    )


def _confidence_chart(
    t: Callable[[str], str], title: str, table: Table, show: charts.Show
) -> Markup:
    """Confidence before vs after (1-5) from rows whose cells 1 and 2 hold the two."""
    return charts.paired_chart(
        t(title),
        [(r.label, r.cells[1], r.cells[2]) for r in table.rows],
        (t("web.agg.before"), t("web.agg.after")),
        5,
        show=show,
    )


def _drop_label(web: Web, locale: str, label: str, since: str | None) -> str:
    """A funnel step, naming the step a drop-off is counted from when that is not the
    one just above (the steps in between are hidden)."""
    return f"{label} ({web.text(locale, 'web.agg.since', step=since)})" if since else label


def _scope_query(scope: Scope) -> str:
    """Keeps the chosen group in the page's links and downloads."""
    return f"?group={scope.group_id}" if scope.group_id is not None else ""
