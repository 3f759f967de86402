"""Trainer views: groups, members, pushes, answers, feedback, exports, reveal, audit."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette

from bot.bootstrap import App
from bot.store.models import AuditEntry, Feedback, Push
from bot.store.repo import Repository
from tests.web.conftest import SECRET, Login, World, build_world, client_for, csrf_of, log_in
from tests.web.spreadsheets import (
    NOTES,
    csv_dicts,
    every_cell,
    sheet_dicts,
    sheet_rows,
    workbook,
)


async def audit_log(app: App) -> list[AuditEntry]:
    def work(session: Any) -> list[AuditEntry]:
        found = session.execute(select(AuditEntry).order_by(AuditEntry.id))
        return list(found.scalars())

    return await app.db.read(work)


async def pseudonym(app: App, person_id: int) -> str:
    def work(session: Any) -> str:
        return Repository(session).pseudonymiser()(person_id)

    return await app.db.write(work)


async def test_group_page_lists_members_by_pseudonym(login: Login, world: World, app: App) -> None:
    client = await login("tess")
    page = await client.get(f"/groups/{world.groups['noord']}")
    assert page.status_code == 200
    assert await pseudonym(app, world.people["p1"]) in page.text
    assert ">P1<" not in page.text  # first names stay hidden until revealed
    assert "Tess" in page.text  # the viewer themself


async def test_reveal_shows_names_and_is_audited(login: Login, world: World, app: App) -> None:
    noord = world.groups["noord"]
    client = await login("tess")
    page = await client.get(f"/groups/{noord}")
    done = await client.post(
        f"/groups/{noord}/reveal", data={"csrf": csrf_of(page.text), "show": "1"}
    )
    assert done.status_code == 303
    page = await client.get(f"/groups/{noord}")
    assert ">P1<" in page.text
    entries = await audit_log(app)
    assert [(e.action, e.group_id, e.actor_id) for e in entries] == [
        ("reveal_names", noord, world.people["tess"])
    ]
    hidden = await client.post(
        f"/groups/{noord}/reveal", data={"csrf": csrf_of(page.text), "show": "0"}
    )
    assert hidden.status_code == 303
    assert ">P1<" not in (await client.get(f"/groups/{noord}")).text


async def test_trainer_cannot_open_another_groups_urls(
    login: Login, world: World, app: App
) -> None:
    """Tom trains Zuid: every Noord URL, by id, is refused, and so are ids that do not exist."""
    noord, zuid = world.groups["noord"], world.groups["zuid"]
    tess = await login("tess")
    home = await tess.get("/")
    await tess.post(
        f"/groups/{noord}/pushes",
        data={"csrf": csrf_of(home.text), "dialogue": "scooter", "when": "morgen 9:00"},
    )
    push_id = (await app.pushes.list(world.people["tess"], noord))[0].id
    tom = await login("tom")
    token = csrf_of((await tom.get("/")).text)
    answer = world.answers[("p1", "kern")]
    for path in (
        f"/groups/{noord}",
        f"/groups/{noord}/members/{world.people['p1']}",
        f"/groups/{noord}/exercises/scooter",
        f"/groups/{noord}/pushes/{push_id}",
        f"/groups/{noord}/export.csv",
        f"/groups/{noord}/export.xlsx",
        "/groups/99999",
    ):
        response = await tom.get(path)
        assert response.status_code == 403, path
        assert SECRET not in response.text
    # Tom's own group, with Noord's ids in it: still nothing.
    assert (await tom.get(f"/groups/{zuid}/members/{world.people['p1']}")).status_code == 404
    assert (await tom.get(f"/groups/{zuid}/pushes/{push_id}")).status_code in (403, 404)
    for path, data in (
        (f"/groups/{noord}/answers/{answer}/feedback", {"text": "Hoi"}),
        (f"/groups/{zuid}/answers/{answer}/feedback", {"text": "Hoi"}),
        (f"/groups/{noord}/pushes", {"dialogue": "scooter", "when": "morgen 9:00"}),
        (f"/groups/{noord}/pushes/{push_id}/cancel", {}),
        (f"/groups/{zuid}/pushes/{push_id}/cancel", {}),
        (f"/groups/{noord}/reveal", {"show": "1"}),
    ):
        response = await tom.post(path, data={"csrf": token, **data})
        assert response.status_code in (403, 404), path

    def feedback_rows(session: Any) -> list[Feedback]:
        return list(session.execute(select(Feedback)).scalars())

    assert await app.db.read(feedback_rows) == []
    pushes = await app.pushes.list(world.people["tess"], noord)
    assert [p.status for p in pushes] == ["scheduled"]
    assert not [e for e in await audit_log(app) if e.actor_id == world.people["tom"]]


async def test_answers_per_person_and_feedback_stays_for_the_bot(
    login: Login, world: World, app: App
) -> None:
    noord, p1 = world.groups["noord"], world.people["p1"]
    client = await login("tess")
    path = f"/groups/{noord}/members/{p1}"
    page = await client.get(path)
    assert page.status_code == 200
    assert f"{SECRET} kern van p1" in page.text
    assert "kern van p2" not in page.text
    answer = world.answers[("p1", "kern")]
    done = await client.post(
        f"/groups/{noord}/answers/{answer}/feedback",
        data={"csrf": csrf_of(page.text), "text": "Sterk <b>benoemd</b>", "next": path},
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith(path)
    page = await client.get(done.headers["location"])
    assert "Sterk &lt;b&gt;benoemd&lt;/b&gt;" in page.text

    def feedback_rows(session: Any) -> list[Feedback]:
        return list(session.execute(select(Feedback)).scalars())

    [row] = await app.db.read(feedback_rows)
    assert row.delivered_at is None  # the bot delivers undelivered feedback
    assert row.trainer_id == world.people["tess"]
    actions = [(e.action, e.group_id, e.subject_id) for e in await audit_log(app)]
    assert ("view_answers", noord, p1) in actions
    # An open redirect through `next` is not possible.
    evil = await client.post(
        f"/groups/{noord}/answers/{answer}/feedback",
        data={"csrf": csrf_of(page.text), "text": "nog een", "next": "//evil.example/x"},
    )
    assert evil.headers["location"].startswith(f"/groups/{noord}")
    empty = await client.post(
        f"/groups/{noord}/answers/{answer}/feedback",
        data={"csrf": csrf_of(page.text), "text": "   "},
    )
    assert empty.status_code == 400


async def test_answers_per_exercise_are_audited(login: Login, world: World, app: App) -> None:
    noord = world.groups["noord"]
    client = await login("tess")
    page = await client.get(f"/groups/{noord}/exercises/scooter")
    assert page.status_code == 200
    for name in ("p1", "p6"):
        assert f"kern van {name}" in page.text
    assert "kern van z1" not in page.text  # Zuid is not Tess's group
    assert (await client.get(f"/groups/{noord}/exercises/nope")).status_code == 404
    entries = await audit_log(app)
    assert {(e.action, e.group_id, e.detail) for e in entries} == {
        ("view_answers", noord, "scooter")
    }
    assert {world.people[f"p{i}"] for i in range(1, 7)} <= {e.subject_id for e in entries}


async def test_very_long_free_text_is_escaped_and_wrapped(
    app: App, web: Starlette, settings: Any
) -> None:
    long_text = ("<script>alert('x')</script>" + "woord" * 3000 + " & meer ") * 3
    world = await build_world(app, long_text=long_text)
    async with client_for(web) as client:
        await log_in(client, app, world.people["tess"])
        page = await client.get(f"/groups/{world.groups['noord']}/exercises/scooter")
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert "woord" * 3000 in page.text  # shown whole, not cut
    assert 'class="text"' in page.text  # the cell class that wraps (pre-wrap, anywhere)
    css = (await client_for(web).get("/static/style.css")).text
    assert "overflow-wrap: anywhere" in css
    assert "table-layout: fixed" in css


async def test_schedule_and_cancel_a_push(login: Login, world: World, app: App) -> None:
    noord = world.groups["noord"]
    client = await login("tess")
    page = await client.get(f"/groups/{noord}")
    token = csrf_of(page.text)
    bad = await client.post(
        f"/groups/{noord}/pushes", data={"csrf": token, "dialogue": "scooter", "when": "ooit"}
    )
    assert bad.status_code == 400
    assert "begrijp ik niet" in bad.text
    past = await client.post(
        f"/groups/{noord}/pushes",
        data={"csrf": token, "dialogue": "scooter", "when": "2025-03-01 09:00"},
    )
    assert past.status_code == 400
    assert "voorbij" in past.text
    unknown = await client.post(
        f"/groups/{noord}/pushes", data={"csrf": token, "dialogue": "nope", "when": "nu"}
    )
    assert unknown.status_code == 400
    done = await client.post(
        f"/groups/{noord}/pushes",
        data={"csrf": token, "dialogue": "scooter", "when": "2025-03-11T23:30", "note": "Succes!"},
    )
    assert done.status_code == 303
    [push] = await app.pushes.list(world.people["tess"], noord)
    assert push.note == "Succes!"
    # Quiet hours as in the bot: 23:30 moves to 08:00 the next morning (Amsterdam, UTC+1).
    assert push.due_at.isoformat() == "2025-03-12T07:00:00+00:00"
    progress = await client.get(f"/groups/{noord}/pushes/{push.id}")
    assert progress.status_code == 200
    assert await pseudonym(app, world.people["p3"]) in progress.text
    cancel = await client.post(f"/groups/{noord}/pushes/{push.id}/cancel", data={"csrf": token})
    assert cancel.status_code == 303

    def statuses(session: Any) -> list[str]:
        return list(session.execute(select(Push.status)).scalars())

    assert await app.db.read(statuses) == ["cancelled"]


async def test_exports_are_readable_pseudonymised_and_audited(
    login: Login, world: World, app: App
) -> None:
    noord = world.groups["noord"]
    client = await login("tess")
    response = await client.get(f"/groups/{noord}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = csv_dicts(response)  # ";": the delimiter Dutch Excel splits on
    people = {row["Persoon"] for row in rows}
    assert people == {await pseudonym(app, world.people[f"p{i}"]) for i in range(1, 7)}
    assert {row["Antwoord"] for row in rows if row["Vraag (code)"] == "kern"} == {
        f"{SECRET} kern van p{i}" for i in range(1, 7)
    }
    assert "P1;" not in response.text
    assert {row["Soort vraag"] for row in rows} >= {"schaal", "keuze", "open vraag"}
    assert {row["Rol"] for row in rows} == {"professional"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[0]["Beantwoord op"])

    xlsx = await client.get(f"/groups/{noord}/export.xlsx")
    assert xlsx.status_code == 200
    book = workbook(xlsx)
    assert book.sheetnames == ["Antwoorden", NOTES]
    values = sheet_rows(book, "Antwoorden")
    assert values[0][:3] == ("Persoon", "Rol", "Oefening")
    assert len(values) == len(rows) + 1
    answers = sheet_dicts(book, "Antwoorden")
    scales = [r["Antwoord"] for r in answers if r["Vraag (code)"] == "zeker_voor"]
    assert sorted(scales) == [1, 2, 2, 3, 3, 4]  # numbers an Excel sheet can average
    assert all(isinstance(r["Poging"], int) for r in answers)
    assert all(isinstance(r["Beantwoord op"], datetime) for r in answers)
    assert all(r["Beantwoord op"].tzinfo is None for r in answers)  # Excel has no zones
    notes = sheet_rows(book, NOTES)
    assert notes[0] == ("Blad", "Kolom of teken", "Uitleg")
    explained = {(r[0], r[1]) for r in notes}
    assert {("Antwoorden", column) for column in values[0]} <= explained
    assert not [v for v in every_cell(book) if isinstance(v, str) and v.startswith("web.")]
    assert (await client.get(f"/groups/{noord}/export.pdf")).status_code == 404
    exports = [
        (e.action, e.group_id, e.detail) for e in await audit_log(app) if e.action == "export"
    ]
    assert exports == [("export", noord, "answers csv"), ("export", noord, "answers xlsx")]


async def test_export_follows_the_reveal_choice(login: Login, world: World, app: App) -> None:
    noord = world.groups["noord"]
    client = await login("tess")
    page = await client.get(f"/groups/{noord}")
    await client.post(f"/groups/{noord}/reveal", data={"csrf": csrf_of(page.text), "show": "1"})
    response = await client.get(f"/groups/{noord}/export.csv")
    assert "P1;" in response.text
    assert ("export", "answers csv (names)") in [(e.action, e.detail) for e in await audit_log(app)]
