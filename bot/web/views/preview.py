"""The preview pages: every dialogue by training part, and one dialogue played in
the browser next to its diagram (the replay itself is `bot.web.replay`)."""

from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from bot.dialogues.diagram import Graph, graph, mermaid
from bot.dialogues.model import Dialogue, Part
from bot.web import flowchart, replay
from bot.web.auth import Viewer
from bot.web.context import Web
from bot.web.http import Refusal, page, redirect, require, web_of

#: Input kinds named in the dialogue diagram ("end" for an end state).
FLOW_KINDS = ("choice", "multi", "scale", "text", "yesno", "continue", "end")


def _preview_viewer(viewer: Viewer) -> None:
    """Authors and trainers choose exercises here; a coordinator may look too."""
    if not viewer.has_dashboard:
        raise Refusal(403, "web.error.no_role")


async def preview_index(request: Request) -> Response:
    """Every dialogue, grouped by training part as a trainer plans a day."""
    web = web_of(request)
    viewer = await require(request)
    _preview_viewer(viewer)
    loc = web.locale(request.query_params.get("locale") or viewer.locale)
    parts: dict[str, list[tuple[str, str, int]]] = {}
    for did, compiled in sorted(web.app.engine.dialogues.items()):
        spec = compiled.spec
        parts.setdefault(spec.part.value, []).append((did, web.text(loc, spec.title), spec.minutes))
    ordered = [
        (web.text(loc, f"bot.part.{p.value}"), sorted(parts[p.value], key=lambda d: d[1]))
        for p in Part
        if p.value in parts
    ]
    return page(request, "preview_index.html", viewer, locale=loc, parts=ordered)


async def preview_page(request: Request) -> Response:
    """One step of the dialogue: the chat so far (replayed from `p`) and the diagram.

    A typed answer (`say`) is appended to the path and redirected to, so every
    step stays a plain link."""
    web = web_of(request)
    viewer = await require(request)
    _preview_viewer(viewer)
    dialogue_id = request.path_params["dialogue"]
    compiled = web.app.engine.dialogues.get(dialogue_id)
    if compiled is None:
        raise Refusal(404, "web.error.unknown_dialogue")
    wanted = request.query_params.get("locale") or viewer.locale
    if wanted not in web.catalog.locales:
        raise Refusal(400, "web.error.bad_request")
    try:
        tokens = replay.decode(request.query_params.get("p"))
    except replay.BadPath:
        raise Refusal(400, "web.error.bad_request") from None
    said = request.query_params.get("say")
    if said is not None:
        path = replay.encode([*tokens, replay.say_token(said)])
        return redirect(f"/preview/{dialogue_id}", locale=wanted, p=path)
    screen = replay.play(web.app.engine, dialogue_id, wanted, tokens, viewer.first_name)

    def link(path: str, locale: str = wanted) -> str:
        query = {"locale": locale, **({"p": path} if path else {})}
        return f"/preview/{dialogue_id}?{urlencode(query)}"

    spec = compiled.spec
    flow = graph(spec)
    return page(
        request,
        "preview.html",
        viewer,
        locale=wanted,
        dialogue_id=dialogue_id,
        title=web.text(wanted, spec.title),
        spec=spec,
        screen=screen,
        link=link,
        locales=sorted(web.catalog.locales),
        diagram=mermaid(spec),
        flow=flow,
        arrows=flowchart.arrows(flow),
        flow_svg=_flow_svg(web, spec, flow, wanted, screen.state),
    )


def _flow_svg(web: Web, spec: Dialogue, flow: Graph, locale: str, current: str) -> Markup:
    """The diagram with the current state marked, titled and described for screen readers."""
    title = web.text(locale, spec.title)
    return flowchart.render(
        flow,
        "flow",
        web.text(locale, "web.preview.diagram_title", title=title),
        web.text(
            locale,
            "web.preview.diagram_desc",
            states=len(flow.nodes),
            transitions=len(flowchart.arrows(flow)),
            start=spec.start,
        ),
        {kind: web.text(locale, f"web.preview.kind.{kind}") for kind in FLOW_KINDS},
        current=current,
        described_by="flow-list",
    )
