"""A trainer's pages about pushes: sending an exercise to the group, following
who opened it, and cancelling one that has not gone out."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.services.pushes import MemberProgress, PushError, PushSummary, parse_when
from bot.services.reports import Distribution
from bot.services.review import FEEDBACK_MAX, AnswerView
from bot.web import charts
from bot.web.auth import Viewer
from bot.web.context import Web
from bot.web.http import Refusal, page, redirect, require, web_of
from bot.web.views.trainer import display_name, group_page, trainer_place

NOTE_MAX = 500


async def create_push(request: Request, viewer: Viewer, form: FormData) -> Response:
    """Schedule a push; a form the service refuses comes back with its error."""
    web = web_of(request)
    group_id = request.path_params["group"]
    trainer_place(viewer, group_id)
    dialogue_id = str(form.get("dialogue", ""))
    when_text = str(form.get("when", "")).strip()
    note = str(form.get("note", "")).strip()
    if dialogue_id not in web.app.engine.dialogues:
        return await group_page(request, "web.push.error.dialogue", 400)
    if len(note) > NOTE_MAX:
        return await group_page(request, "web.push.error.note", 400)
    now = web.app.clock.now()
    when: datetime | None = None
    if when_text.lower() not in ("", "nu", "now"):
        when = parse_when(when_text.replace("T", " "), now)
        if when is None:
            return await group_page(request, "web.push.error.unparseable", 400)
    try:
        await web.app.pushes.create(
            viewer.person_id,
            group_id,
            dialogue_id,
            when,
            note=note or None,
            override_quiet=form.get("override_quiet") == "1",
            show_group=form.get("show_group") == "1",
        )
    except PushError as exc:
        if exc.code == "not_trainer":
            raise Refusal(403, "web.error.forbidden") from None
        return await group_page(request, f"web.push.error.{exc.code}", 400)
    return redirect(f"/groups/{group_id}", done="push_created")


async def cancel_push(request: Request, viewer: Viewer, form: FormData) -> Response:
    """Cancel a push of this group; one that started going out can no longer be."""
    web = web_of(request)
    group_id, push_id = request.path_params["group"], request.path_params["push"]
    trainer_place(viewer, group_id)
    summary, _ = await _push(web, viewer, group_id, push_id)
    try:
        await web.app.pushes.cancel(viewer.person_id, summary.id)
    except PushError as exc:
        if exc.code == "not_cancellable":
            raise Refusal(400, "web.push.error.not_cancellable") from None
        raise Refusal(403, "web.error.forbidden") from None
    return redirect(f"/groups/{group_id}", done="push_cancelled")


async def _push(
    web: Web, viewer: Viewer, group_id: int, push_id: int
) -> tuple[PushSummary, list[MemberProgress]]:
    """The push with every member's status, only under the group named in the URL."""
    try:
        summary, members = await web.app.pushes.progress(viewer.person_id, push_id)
    except PushError as exc:
        if exc.code == "not_found":
            raise Refusal(404, "web.error.not_found") from None
        raise Refusal(403, "web.error.forbidden") from None
    if summary.group_id != group_id:
        raise Refusal(404, "web.error.not_found")
    return summary, members


async def push_page(request: Request) -> Response:
    """Who opened and finished the push, their answers, and the group's choices."""
    web = web_of(request)
    viewer = await require(request)
    group_id, push_id = request.path_params["group"], request.path_params["push"]
    place = trainer_place(viewer, group_id)
    loc = web.locale(viewer.locale)
    summary, progress = await _push(web, viewer, group_id, push_id)
    answers = await web.app.review.push_answers(viewer.person_id, push_id, loc)
    first_names = {m.person_id: m.first_name for m in progress}
    members = await web.app.groups.members(viewer.person_id, group_id)
    first_names.update({m.person_id: m.first_name for m in members})
    names = {
        pid: display_name(web, viewer, group_id, pid, first_names.get(pid, ""))
        for pid in {*first_names, *answers}
    }
    return page(
        request,
        "push.html",
        viewer,
        place=place,
        push=summary,
        title=web.title(summary.dialogue_id, loc),
        progress=progress,
        choices=_choices(web, summary, progress, answers, loc),
        answers=answers,
        names=names,
        question=lambda a: web.question(a.dialogue_id, a.state, loc),
        back=request.url.path,
        feedback_max=FEEDBACK_MAX,
    )


def _choices(
    web: Web,
    summary: PushSummary,
    progress: list[MemberProgress],
    answers: dict[int, list[AnswerView]],
    locale: str,
) -> list[tuple[Distribution, Markup]]:
    """How the members who opened the push chose, per question, with its chart
    (none when the dialogue is gone from the catalog)."""
    if summary.dialogue_id not in web.app.engine.dialogues:
        return []
    opened = [p.person_id for p in progress if p.status in ("started", "finished")]
    found = web.aggregates.group_choices(summary.dialogue_id, opened, answers, locale)
    return [
        (
            d,
            charts.bar_chart(d.question or d.key, [(r.label, r.cells[0]) for r in d.options.rows]),
        )
        for d in found
    ]
