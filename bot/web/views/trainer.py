"""A trainer's pages about one group: members, a member's answers, answers per
exercise, feedback, and revealing real names.

Every page first checks that the viewer trains the group (`trainer_place`);
the services check again in their queries, so a guessed id in a URL yields
403 or 404, never data. Members appear by pseudonym unless the trainer chose
to reveal names for this group in this session (`display_name`).
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.dialogues.model import Part
from bot.services.access import Gone, Place
from bot.services.audit import REVEAL_NAMES
from bot.services.groups import MemberInfo
from bot.services.review import FEEDBACK_MAX, AnswerView, RunView
from bot.web.auth import Viewer, session_payload
from bot.web.context import Web
from bot.web.http import Refusal, page, redirect, require, set_session, web_of

#: (member, run, answer): one line of a group's answers.
AnswerLine = tuple[MemberInfo, RunView, AnswerView]


def trainer_place(viewer: Viewer, group_id: int) -> Place:
    """The group, if the viewer trains it; anyone else is refused before any query."""
    place = viewer.place(group_id)
    if place is None or not viewer.trains(group_id):
        raise Refusal(403, "web.error.forbidden")
    return place


def display_name(web: Web, viewer: Viewer, group_id: int, person_id: int, first_name: str) -> str:
    """Pseudonyms unless the trainer revealed names for this group in this session."""
    if person_id == viewer.person_id:
        return first_name or web.pseudonym(person_id)
    if group_id in viewer.revealed and first_name:
        return first_name
    return web.pseudonym(person_id)


async def group_answers(
    web: Web, viewer: Viewer, group_id: int, dialogue_id: str | None, locale: str
) -> list[AnswerLine]:
    """Every answer of the group's members the trainer may read."""
    members = await web.app.groups.members(viewer.person_id, group_id)
    found = []
    for member in members:
        runs = await web.app.review.runs_of(viewer.person_id, member.person_id, dialogue_id, locale)
        for run in runs:
            for answer in run.answers:
                found.append((member, run, answer))
    return found


async def group_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    """The group's members and pushes; also re-shown with an error by a failed push form."""
    web = web_of(request)
    viewer = await require(request)
    group_id = request.path_params["group"]
    place = trainer_place(viewer, group_id)
    loc = web.locale(viewer.locale)
    members = await web.app.groups.members(viewer.person_id, group_id)
    pushes = await web.app.pushes.list(viewer.person_id, group_id)
    names = {
        m.person_id: display_name(web, viewer, group_id, m.person_id, m.first_name) for m in members
    }
    return page(
        request,
        "group.html",
        viewer,
        status=status,
        place=place,
        members=members,
        names=names,
        pushes=pushes,
        dialogues=_dialogue_choices(web, loc),
        titles={p.dialogue_id: web.title(p.dialogue_id, loc) for p in pushes},
        revealed=group_id in viewer.revealed,
        error=error,
        form=request.query_params,
    )


def _dialogue_choices(web: Web, locale: str) -> list[tuple[str, str]]:
    """(id, title) of every dialogue, in training-part order, then by title."""
    ordered = sorted(
        (list(Part).index(c.spec.part), web.text(locale, c.spec.title), did)
        for did, c in web.app.engine.dialogues.items()
    )
    return [(did, title) for _, title, did in ordered]


async def reveal(request: Request, viewer: Viewer, form: FormData) -> Response:
    """Show real first names for one group for the rest of the session (audited)."""
    web = web_of(request)
    group_id = request.path_params["group"]
    place = trainer_place(viewer, group_id)
    show = form.get("show") == "1"
    revealed = set(viewer.revealed)
    if show:
        revealed.add(group_id)
        await web.audit.record(viewer.person_id, REVEAL_NAMES, place.organisation_id, group_id)
    else:
        revealed.discard(group_id)
    response = redirect(f"/groups/{group_id}")
    payload = session_payload(
        viewer.person_id, viewer.login_id, viewer.expires, frozenset(revealed), viewer.nonce
    )
    set_session(web, response, payload)
    return response


async def member_page(request: Request) -> Response:
    """One member's runs with their answers and the trainer's feedback."""
    web = web_of(request)
    viewer = await require(request)
    group_id, person_id = request.path_params["group"], request.path_params["person"]
    place = trainer_place(viewer, group_id)
    loc = web.locale(viewer.locale)
    members = await web.app.groups.members(viewer.person_id, group_id)
    member = next((m for m in members if m.person_id == person_id), None)
    if member is None:
        raise Refusal(404, "web.error.not_found")
    runs = await web.app.review.runs_of(viewer.person_id, person_id, locale=loc)
    return page(
        request,
        "member.html",
        viewer,
        place=place,
        member=member,
        name=display_name(web, viewer, group_id, person_id, member.first_name),
        runs=runs,
        question=lambda a: web.question(a.dialogue_id, a.state, loc),
        back=request.url.path,
        feedback_max=FEEDBACK_MAX,
    )


async def exercise_answers_page(request: Request) -> Response:
    """Every member's answers to one exercise, side by side."""
    web = web_of(request)
    viewer = await require(request)
    group_id, dialogue_id = request.path_params["group"], request.path_params["dialogue"]
    place = trainer_place(viewer, group_id)
    if dialogue_id not in web.app.engine.dialogues:
        raise Refusal(404, "web.error.unknown_dialogue")
    loc = web.locale(viewer.locale)
    rows = await group_answers(web, viewer, group_id, dialogue_id, loc)
    names = {
        m.person_id: display_name(web, viewer, group_id, m.person_id, m.first_name)
        for m, _, _ in rows
    }
    return page(
        request,
        "exercise_answers.html",
        viewer,
        place=place,
        dialogue_id=dialogue_id,
        title=web.title(dialogue_id, loc),
        rows=rows,
        names=names,
        question=lambda a: web.question(a.dialogue_id, a.state, loc),
        back=request.url.path,
        feedback_max=FEEDBACK_MAX,
    )


async def feedback(request: Request, viewer: Viewer, form: FormData) -> Response:
    """Store feedback; the bot delivers it (Feedback.delivered_at stays empty until then)."""
    web = web_of(request)
    group_id, answer_id = request.path_params["group"], request.path_params["answer"]
    trainer_place(viewer, group_id)
    text = str(form.get("text", ""))
    try:
        await web.app.review.add_feedback(viewer.person_id, answer_id, text)
    except ValueError:
        raise Refusal(400, "web.feedback.invalid", max=FEEDBACK_MAX) from None
    except Gone:
        raise Refusal(404, "web.error.not_found") from None
    return redirect(_back_within(group_id, str(form.get("next", ""))), done="feedback")


def _back_within(group_id: int, wanted: str) -> str:
    """Where to return after feedback: a page of this group, never another site."""
    if not wanted.startswith(f"/groups/{group_id}/") or "//" in wanted or "\\" in wanted:
        return f"/groups/{group_id}"
    return wanted
