"""Coordinator views: aggregates only, small cells suppressed, never free text.

k-anonymity is checked on the three ways out: the page, the export (CSV and
Excel) and the chart data (JSON), for a scope large enough to show figures
(Noord, six professionals) and one that is not (Zuid, three).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import httpx

from bot.bootstrap import App
from bot.services.reports import (
    PROTECTED,
    SUPPRESSED,
    Cell,
    aggregates,
    count,
    mean,
    partition,
    percent,
)
from bot.services.reports.texts import Texts
from tests.web.conftest import SECRET, Login, World, csrf_of
from tests.web.spreadsheets import (
    HIDDEN_NL,
    LONG_HEADER_NL,
    csv_dicts,
    csv_rows,
    every_cell,
    figures,
    workbook,
)


def test_small_cells_are_suppressed_and_cannot_be_worked_out() -> None:
    assert count(4).hidden
    assert not count(0).hidden  # "nobody" singles out nobody
    assert not count(5).hidden
    assert str(count(3)) == SUPPRESSED == "< 5"
    assert count(3).number is None  # the small number is not even kept
    assert mean([1, 2, 3, 4]).hidden
    assert mean([1, 2, 3, 4, 5]).number == 3
    assert percent(4, 10).hidden
    assert percent(5, 4).hidden
    assert percent(5, 10).number == 50
    # One small cell would be total minus the others: the next smallest goes too.
    cells = partition({"a": 7, "b": 3, "c": 6})
    assert [str(cells[k]) for k in "abc"] == ["7", SUPPRESSED, PROTECTED]
    # 10 - 7 - 0 = 3 would single out the three of b: a goes too; a zero stays shown.
    cells = partition({"a": 7, "b": 3, "c": 0})
    assert [str(cells[k]) for k in "abc"] == [PROTECTED, SUPPRESSED, "0"]
    # Two small parts holding 5 together: neither can be worked out.
    cells = partition({"a": 7, "b": 2, "c": 3})
    assert [str(cells[k]) for k in "abc"] == ["7", SUPPRESSED, SUPPRESSED]
    assert not any(c.hidden for c in partition({"a": 5, "b": 9}).values())
    assert Cell(2.345).json() == 2.3  # one decimal everywhere
    assert Cell.of_ratio(80).json() == 80.0  # a percentage stays a float: 80.0, not 80
    assert isinstance(Cell.of_ratio(80).json(), float)
    assert isinstance(count(7).json(), int)
    assert str(percent(5, 10)) == "50.0"
    assert percent(5, 10).text(decimal=",") == "50,0"
    assert mean([1, 2, 2, 2, 2]).text(decimal=",") == "1,8"
    assert count(3).text("verborgen", ",") == SUPPRESSED
    assert Cell(None, protects=True).text("verborgen", ",") == "verborgen"
    assert Cell(None).json() == SUPPRESSED
    assert Cell(None, protects=True).json() == PROTECTED


def test_aggregates_never_read_the_free_text_column() -> None:
    source = inspect.getsource(aggregates)
    assert "AnswerRow.text" not in source
    assert "select(AnswerRow)" not in source


def values(data: Any) -> list[Any]:
    """Every leaf value in a JSON document."""
    if isinstance(data, dict):
        return [v for item in data.values() for v in values(item)]
    if isinstance(data, list):
        return [v for item in data for v in values(item)]
    return [data]


async def get_ok(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


async def test_overview_for_a_coordinator_of_one_group(login: Login, world: World) -> None:
    org = world.orgs["amsterdam"]
    cas = await login("cas")
    data = (await get_ok(cas, f"/orgs/{org}/data.json")).json()
    tables = {t["name"]: t for t in data["tables"]}
    assert [r["label"] for r in tables["groups"]["rows"]] == ["Noord"]  # not Zuid
    # Noord: 7 members, 6 of them started and finished. 7 next to 6 would give
    # away the one who never started, so the members count is hidden (it is large
    # itself: "hidden", not "< 5"); 6 next to 6 says nobody stopped, which singles
    # out nobody, so both are shown.
    assert tables["groups"]["rows"][0] == {
        "key": str(world.groups["noord"]),
        "label": "Noord",
        "members": PROTECTED,
        "started": 6,
        "finished": 6,
    }
    # Scooter is decided with Amsterdam as a whole (Noord and Zuid), whoever looks:
    # Amsterdam's count minus Noord's would give Zuid's three away.
    scooter = next(r for r in tables["exercises"]["rows"] if r["key"] == "scooter")
    assert (scooter["started"], scooter["finished"], scooter["completion_percent"]) == (
        PROTECTED,
        PROTECTED,
        PROTECTED,
    )
    drijfveren = next(r for r in tables["exercises"]["rows"] if r["key"] == "drijfveren")
    assert drijfveren["started"] == 0  # nobody started: zero singles out nobody
    assert drijfveren["completion_percent"] is None  # no percentage of nobody
    # What people answered (confidence, per question) is published per
    # organisation, and Cas coordinates one of its two groups: none of it here.
    assert "confidence" not in tables
    page = await get_ok(cas, f"/orgs/{org}")
    assert "Hoe mensen antwoordden, tonen we per organisatie" in page.text
    assert "<svg" in page.text
    assert 'role="img"' in page.text
    assert "<desc" in page.text
    assert "Zuid" not in page.text


async def test_small_group_shows_no_figure_anywhere(login: Login, world: World) -> None:
    org, zuid = world.orgs["amsterdam"], world.groups["zuid"]
    cora = await login("cora")
    overview = (await get_ok(cora, f"/orgs/{org}/data.json?group={zuid}")).json()
    stats = (await get_ok(cora, f"/orgs/{org}/exercises/scooter/data.json?group={zuid}")).json()
    assert (stats["funnel"], stats["distributions"]) == (None, [])  # answers: per organisation
    keuze = await cora.get(f"/orgs/{org}/exercises/scooter/data.json?group={zuid}&key=keuze")
    assert keuze.status_code == 404  # a clear refusal, never a figure
    for document in (overview, stats):
        numbers = [v for v in values(document) if isinstance(v, int | float) and v]
        assert numbers == [], numbers  # three people: no figure but "nobody" is shown
    assert overview["people"] == SUPPRESSED

    for path in (
        f"/orgs/{org}/export.csv?group={zuid}",
        f"/orgs/{org}/export.csv?group={zuid}&dialogue=scooter",
    ):
        rows = csv_dicts(await get_ok(cora, path))
        assert rows
        assert {row["Waarde"] for row in rows} <= {SUPPRESSED, HIDDEN_NL, "0", ""}, path
    for path in (
        f"/orgs/{org}/export.xlsx?group={zuid}",
        f"/orgs/{org}/export.xlsx?group={zuid}&dialogue=scooter",
    ):
        cells = figures(workbook(await get_ok(cora, path)))
        assert cells
        assert set(cells) <= {SUPPRESSED, HIDDEN_NL, 0, None}, path

    page = await get_ok(cora, f"/orgs/{org}/exercises/scooter?group={zuid}")
    shown = re.findall(r'class="num">([^<]*)<', page.text)
    assert set(shown) <= {"0"}, shown  # no shown figure in any table but "nobody"
    assert "&lt; 5" in page.text
    assert "<svg" not in page.text  # no chart of answers for a group


async def test_suppression_also_in_a_large_scope(login: Login, world: World) -> None:
    org, noord = world.orgs["amsterdam"], world.groups["noord"]
    cas = await login("cas")
    # A group publishes who takes part, not what they answered: refused for Noord.
    for path in (
        f"/orgs/{org}/exercises/scooter/data.json?group={noord}&key=keuze",
        f"/orgs/{org}/exercises/scooter/questions/keuze?group={noord}",
        f"/orgs/{org}/export.csv?dialogue=scooter&key=keuze&group={noord}",
    ):
        assert (await cas.get(path)).status_code == 404, path
    cora = await login("cora")  # coordinates Amsterdam as a whole
    keuze = (await get_ok(cora, f"/orgs/{org}/exercises/scooter/data.json?key=keuze")).json()
    options = {o["key"]: o["people"] for o in keuze["options"]}
    # 9 answered; melden is large, but shown next to the 9 it would say that the
    # other two options hold 1-4 people together: hidden to protect them.
    assert keuze["people"] == 9
    assert options == {"reageren": SUPPRESSED, "wegwuiven": SUPPRESSED, "melden": PROTECTED}
    voor = (await get_ok(cora, f"/orgs/{org}/exercises/scooter/data.json?key=zeker_voor")).json()
    assert (voor["people"], voor["average"]) == (9, 2.7)
    # With the average shown, a scale shows all its value counts or none.
    assert [o["people"] for o in voor["options"]] == [SUPPRESSED] * 4 + [PROTECTED]
    rows = csv_rows(await get_ok(cora, f"/orgs/{org}/export.csv?dialogue=scooter&key=keuze"))
    assert rows[0] == LONG_HEADER_NL
    keuze_rows = [r for r in rows[1:] if r[2] == "Vraag keuze"]
    assert [r[5] for r in keuze_rows if r[4] == "Mensen"] == [SUPPRESSED, SUPPRESSED, HIDDEN_NL]
    # A share of a hidden count is hidden too (never "< 5": it counts nobody).
    assert {r[5] for r in keuze_rows if r[4] != "Mensen"} == {HIDDEN_NL}
    assert [r[4:] for r in rows[1:] if r[2] == "Vragen"] == [["Beantwoord door", "9"]]
    page = await get_ok(cora, f"/orgs/{org}/exercises/scooter/questions/keuze")
    assert "&lt; 5" in page.text


async def test_free_text_is_refused_on_page_export_and_chart_data(
    login: Login, world: World
) -> None:
    org = world.orgs["amsterdam"]
    cora = await login("cora")
    for path in (
        f"/orgs/{org}/exercises/scooter/questions/kern",
        f"/orgs/{org}/exercises/scooter/questions/alternatief",
        f"/orgs/{org}/exercises/scooter/data.json?key=kern",
        f"/orgs/{org}/export.csv?dialogue=scooter&key=kern",
        f"/orgs/{org}/export.xlsx?dialogue=scooter&key=plan",
    ):
        response = await cora.get(path)
        assert response.status_code == 403, path
        assert SECRET not in response.text
        assert "Vrije tekst" in response.text
    assert (
        await cora.get(f"/orgs/{org}/exercises/scooter/questions/bestaat_niet")
    ).status_code == 404
    assert (await cora.get(f"/orgs/{org}/exercises/nope")).status_code == 404
    assert (await cora.get(f"/orgs/{org}/exercises/nope/data.json")).status_code == 404


async def test_no_coordinator_response_contains_free_text(
    login: Login, world: World, app: App
) -> None:
    org = world.orgs["amsterdam"]
    # Give the audit log something to show, too.
    tess = await login("tess")
    await get_ok(tess, f"/groups/{world.groups['noord']}/members/{world.people['p1']}")
    cora = await login("cora")
    paths = [
        f"/orgs/{org}",
        f"/orgs/{org}/data.json",
        f"/orgs/{org}/export.csv",
        f"/orgs/{org}/audit",
        f"/orgs/{org}/exercises/scooter",
        f"/orgs/{org}/exercises/scooter/data.json",
        f"/orgs/{org}/export.csv?dialogue=scooter",
        f"/orgs/{org}/exercises/scooter/questions/gevoel",
    ]
    for path in paths:
        text = (await get_ok(cora, path)).text
        assert SECRET not in text, path
        assert "kern van" not in text, path
    for path in (f"/orgs/{org}/export.xlsx", f"/orgs/{org}/export.xlsx?dialogue=scooter"):
        flat = " ".join(str(v) for v in every_cell(workbook(await get_ok(cora, path))))
        assert SECRET not in flat
        assert "kern van" not in flat


async def test_coordinator_cannot_reach_outside_their_groups(login: Login, world: World) -> None:
    amsterdam, utrecht = world.orgs["amsterdam"], world.orgs["utrecht"]
    cas = await login("cas")
    for path in (
        f"/orgs/{amsterdam}?group={world.groups['zuid']}",
        f"/orgs/{amsterdam}/data.json?group={world.groups['zuid']}",
        f"/orgs/{amsterdam}/export.csv?group={world.groups['zuid']}",
        f"/orgs/{amsterdam}?group={world.groups['centrum']}",
        f"/orgs/{utrecht}",
        f"/orgs/{utrecht}/data.json",
        f"/orgs/{utrecht}/audit",
        "/orgs/99999",
        f"/groups/{world.groups['noord']}",
        f"/groups/{world.groups['noord']}/members/{world.people['p1']}",
        f"/groups/{world.groups['noord']}/export.csv",
    ):
        response = await cas.get(path)
        assert response.status_code == 403, path
    assert (await cas.get(f"/orgs/{amsterdam}?group=abc")).status_code == 400
    token = csrf_of((await cas.get("/")).text)
    answer = world.answers[("p1", "kern")]
    response = await cas.post(
        f"/groups/{world.groups['noord']}/answers/{answer}/feedback",
        data={"csrf": token, "text": "hoi"},
    )
    assert response.status_code == 403


async def test_audit_log_for_coordinators_of_the_organisation(login: Login, world: World) -> None:
    org = world.orgs["amsterdam"]
    tess, tom = await login("tess"), await login("tom")
    await get_ok(tess, f"/groups/{world.groups['noord']}/members/{world.people['p2']}")
    await get_ok(tess, f"/groups/{world.groups['noord']}/export.csv")
    await get_ok(tom, f"/groups/{world.groups['zuid']}/members/{world.people['z1']}")
    cora = await login("cora")
    page = (await get_ok(cora, f"/orgs/{org}/audit")).text
    assert "Tess" in page
    assert "Tom" in page
    assert "antwoorden bekeken" in page
    assert "gedownload" in page
    assert ">P2<" not in page  # the subject appears by pseudonym only
    cas = await login("cas")
    page = (await get_ok(cas, f"/orgs/{org}/audit")).text
    assert "Tess" in page
    assert "Tom" not in page  # Zuid is not Cas's group
    assert (await tess.get(f"/orgs/{org}/audit")).status_code == 403
    await get_ok(cora, f"/orgs/{org}/export.csv")
    page = (await get_ok(cora, f"/orgs/{org}/audit")).text
    assert "aggregates overview csv" in page


def test_questions_in_reports_read_without_placeholders_and_scales_with_their_ends(
    app: App,
) -> None:
    """A report speaks of everyone: "‘{keuze}’" (one person's earlier answer) reads as a
    neutral "…"; a scale's ends carry their words, so "1" is read against its range."""
    texts = Texts(app.engine)
    for compiled in app.engine.dialogues.values():
        for state in compiled.spec.states.values():
            if state.input_kind:
                assert "{" not in texts.question(state, "nl"), (compiled.spec.id, state.says)
    scooter = app.engine.dialogue("scooter").spec
    labels = texts.options(scooter.states["intro"], "nl")
    assert labels["1"].startswith("1 (")
    assert labels["5"].startswith("5 (")
    assert labels["3"] == "3"
