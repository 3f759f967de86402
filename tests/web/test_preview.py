"""Dialogue preview: a phone-like chat, walked through by links, with no database."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.dialogues.diagram import Edge, Graph, Node, graph
from bot.store.models import AnswerRow, Run
from bot.web import flowchart
from bot.web.replay import encode
from tests.web.conftest import Login


def links(html: str) -> dict[str, str]:
    """Button label -> href of the chat keys on a preview page."""
    found = re.findall(r'<a class="key[^"]*" href="([^"]+)">(?:✓ )?([^<]+)</a>', html)
    return {unescape(label).strip(): unescape(href) for href, label in found}


async def test_walk_a_dialogue_through_its_branches(login: Login, app: App) -> None:
    def stored(session: Any) -> tuple[int, int]:
        runs = (session.execute(select(func.count(Run.id)))).scalar_one()
        answers = (session.execute(select(func.count(AnswerRow.id)))).scalar_one()
        return runs, answers

    before = await app.db.read(stored)
    client = await login("tess")
    page = await client.get("/preview/scooter")
    assert page.status_code == 200
    assert "bubble bot" in page.text
    assert "stateDiagram-v2" in page.text  # the mermaid source
    assert '<svg class="flow"' in page.text  # and the diagram drawn from it
    keys = links(page.text)
    assert set(keys) >= {"1", "5"}
    page = await client.get(keys["2"])
    assert 'class="bubble me' in page.text
    keys = links(page.text)
    page = await client.get(next(href for label, href in keys.items() if "Verder" in label))
    keys = links(page.text)
    assert len(keys) >= 3  # the three choices of the scenario (and back)
    choice = next(iter(keys))
    page = await client.get(keys[choice])
    assert page.status_code == 200
    assert f">{choice}</span>" in page.text  # the person's answer as a chat bubble
    # Back goes one step back.
    back = next(href for label, href in links(page.text).items() if "Terug" in label)
    page = await client.get(back)
    assert len(links(page.text)) >= 3
    assert await app.db.read(stored) == before  # a preview writes nothing


async def test_free_text_and_the_end(login: Login) -> None:
    client = await login("tess")
    page = await client.get("/preview/drijfveren?locale=en")
    assert page.status_code == 200
    assert 'lang="en"' in page.text
    keys = links(page.text)
    page = await client.get(next(iter(keys.values())))  # the first option
    for _ in range(30):
        if "End of the exercise" in page.text:
            break
        if 'name="say"' in page.text:
            path = re.search(r'name="p" value="([^"]*)"', page.text)
            query = {"locale": "en", "say": "I help because someone <b>helped</b> me once."}
            if path:
                query["p"] = path.group(1)
            sent = await client.get("/preview/drijfveren", params=query)
            assert sent.status_code == 303
            page = await client.get(sent.headers["location"])
            assert "&lt;b&gt;helped&lt;/b&gt;" in page.text
            continue
        keys = links(page.text)
        forward = [h for label, h in keys.items() if "Back" not in label]
        assert forward, page.text[-2000:]
        if 'class="key confirm"' in page.text and "key selected" in page.text:
            page = await client.get(forward[-1])  # confirm what is ticked
        else:
            page = await client.get(forward[0])  # first option, or tick the first
    assert "End of the exercise" in page.text


async def test_unknown_dialogue_and_bad_paths(login: Login) -> None:
    client = await login("tess")
    missing = await client.get("/preview/bestaat_niet")
    assert missing.status_code == 404
    assert "bestaat niet" in missing.text
    for query in ("p=%%%", "p=bm90IGpzb24", "p=WyJ4eDoiXQ", "locale=xx", "p=" + "A" * 20000):
        response = await client.get(f"/preview/scooter?{query}")
        assert response.status_code == 400, query
    # Input the engine rejects is shown as its re-prompt, not an error.
    odd = await client.get("/preview/scooter", params={"p": encode(["p:99", "t:nope", "c:"])})
    assert odd.status_code == 200
    assert "bubble bot reprompt" in odd.text


async def test_preview_index_lists_every_dialogue(login: Login, app: App) -> None:
    client = await login("cora")
    page = await client.get("/preview")
    assert page.status_code == 200
    for dialogue_id in app.engine.dialogues:
        assert f"/preview/{dialogue_id}?" in page.text


def diagram(html: str) -> str:
    """The dialogue diagram's SVG on a preview page."""
    start = html.index('<svg class="flow"')
    return html[start : html.index("</svg>", start) + len("</svg>")]


@pytest.mark.parametrize("dialogue_id", ["scooter", "rugdekking", "drijfveren", "checkin"])
async def test_the_diagram_is_an_svg_with_a_box_per_state_and_an_arrow_per_transition(
    login: Login, app: App, dialogue_id: str
) -> None:
    client = await login("tess")
    page = await client.get(f"/preview/{dialogue_id}")
    assert page.status_code == 200
    svg = diagram(page.text)
    spec = app.engine.dialogue(dialogue_id).spec
    flow = graph(spec)
    # Every reachable state (here: all of them, the validator refuses others) once.
    states = re.findall(r'<g class="node[^"]*" data-state="([^"]+)"', svg)
    assert sorted(states) == sorted(spec.states) == sorted(n.name for n in flow.nodes)
    # One arrow per pair of states that follow each other.
    pairs = re.findall(r'<g class="edge" data-from="([^"]+)" data-to="([^"]+)"', svg)
    assert sorted(pairs) == sorted({(e.source, e.target) for e in flow.edges})
    assert svg.count('marker-end="url(#flow-arrow)"') == len(pairs) + 1  # and the start
    assert 'role="img"' in svg
    assert "<title" in svg
    # The text alternative lists the same transitions, and the mermaid source stays.
    listed = re.search(r'<ol class="transitions" id="flow-list">(.*?)</ol>', page.text, re.S)
    assert listed is not None
    assert listed.group(1).count("<li>") == len(pairs)
    assert 'aria-describedby="flow-list"' in svg
    assert "stateDiagram-v2" in page.text
    # Conditions appear escaped, never as markup.
    for edge in flow.edges:
        if "<" in edge.label:
            assert "&lt;" in svg
            assert edge.label not in svg


async def test_the_diagram_marks_where_the_walk_is(login: Login) -> None:
    client = await login("tess")
    page = await client.get("/preview/scooter")
    assert '<g class="node current" data-state="intro"' in diagram(page.text)
    page = await client.get(links(page.text)["3"])
    assert '<g class="node current" data-state="situatie"' in diagram(page.text)
    missing = await client.get("/preview/bestaat_niet")
    assert missing.status_code == 404
    assert "<svg" not in missing.text


def test_every_text_in_the_diagram_is_escaped() -> None:
    nasty = '<script>alert("x")</script>'
    flow = Graph(
        (Node("a", "choice", 0, start=True), Node("b", "end", 1)),
        (Edge("a", "b", nasty), Edge("a", "a", "again & again")),
    )
    svg = str(flowchart.render(flow, "t", nasty, nasty, {"choice": nasty}, current="a"))
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert "again &amp; again" in svg
    assert svg.count('<g class="edge"') == 2
    assert svg.count('<g class="node') == 2
