"""Derived numbers: no figure about fewer than 5 people can be worked out either.

Hiding each small cell is not enough when a reader can subtract: a funnel of 27
at step 1 next to 26 at step 2 says one person stopped, a total of 20 next to
16 for one option says 4 chose otherwise, and an organisation next to one of its
groups gives away the other group. The rule lives in bot/services/reports/disclosure.py;
these tests check it on its own and on the three ways out (page, export, chart
data) in a world large enough to show figures:

Rotterdam has West (30 professionals) and Oost (12). Rita coordinates both,
Rob coordinates West only. In `scooter`, West: 3 never start, 1 stops at step 1,
6 at step 3, 2 at step 5, 8 at step 8, 10 finish; Oost: 2 never start, 3 stop
at step 3, 7 finish.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from html import unescape
from itertools import pairwise
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from starlette.applications import Starlette

from bot.bootstrap import App
from bot.services.reports import MIN_CELL, PROTECTED, SUPPRESSED, Aggregates, Cell, Ledger
from bot.store.models import (
    Delivery,
    Group,
    Membership,
    Organisation,
    Person,
    Push,
    Run,
)
from tests.web.conftest import SCOOTER_PATH, START, answer_row, client_for, log_in
from tests.web.spreadsheets import HIDDEN_NL, csv_dicts, csv_rows, sheet_dicts, workbook

# -- the rule on its own ------------------------------------------------------------------


def people(start: int, n: int) -> set[int]:
    return set(range(start, start + n))


def test_a_funnel_shows_no_drop_off_under_five() -> None:
    ledger = Ledger()
    sizes = [27, 26, 20, 20, 18, 10, 10]  # nested: everyone of a step is in the one above
    keys = [("step", i) for i in range(len(sizes))]
    for i, n in enumerate(sizes):
        ledger.count(keys[i], people(0, n), rank=(1 if 0 < i < len(sizes) - 1 else 0,))
    ledger.chain(keys)
    found = ledger.resolve()
    # 26 and 18 are hidden (marked "hidden", not "< 5": they are large themselves) so
    # that the drop-offs of 1 and 2 cannot be worked out; equal steps are both shown.
    assert [str(found.cell(k)) for k in keys] == [
        "27",
        PROTECTED,
        "20",
        "20",
        PROTECTED,
        "10",
        "10",
    ]
    drops = found.drops(keys)
    assert [str(c) for c, _ in drops] == ["", PROTECTED, "7", "0", PROTECTED, "10", "0"]
    assert [since for _, since in drops] == [None, None, 0, None, None, 3, None]
    # A difference of zero singles out nobody: full participation is shown.
    ledger = Ledger()
    ledger.count("started", people(0, 9), rank=(0,))
    ledger.count("finished", people(0, 9), rank=(1,))
    ledger.within("started", "finished")
    found = ledger.resolve()
    assert (str(found.cell("started")), str(found.cell("finished"))) == ("9", "9")
    assert found.percent("finished", "started").number == 100


def test_nesting_is_transitive_through_hidden_counts() -> None:
    ledger = Ledger()
    ledger.count("members", people(0, 30), rank=(0,))
    ledger.count("started", people(0, 28), rank=(2,))  # hidden: 2 never started
    ledger.count("answered", people(0, 27), rank=(1,))
    ledger.chain(["members", "started", "answered"])
    found = ledger.resolve()
    # 30 - 27 = 3 even though `started` is hidden between them.
    assert found.shown("members")
    assert not found.shown("answered")
    assert not found.shown("started")


def test_parts_of_a_shown_total_hide_together() -> None:
    ledger = Ledger()
    ledger.count("answered", people(0, 20), rank=(0,))
    for name, start, n in (("melden", 0, 15), ("reageren", 15, 3), ("wegwuiven", 18, 2)):
        ledger.count(name, people(start, n), rank=(1,))
    ledger.adds_up("answered", ["melden", "reageren", "wegwuiven"])
    found = ledger.resolve()
    # Two hidden, holding 5 people together: 20 - 15 = 5 is no small number.
    assert [found.shown(k) for k in ("answered", "melden", "reageren", "wegwuiven")] == [
        True,
        True,
        False,
        False,
    ]
    ledger = Ledger()
    ledger.count("answered", people(0, 20), rank=(0,))
    for name, start, n in (("melden", 0, 16), ("reageren", 16, 2), ("wegwuiven", 18, 2)):
        ledger.count(name, people(start, n), rank=(1,))
    ledger.adds_up("answered", ["melden", "reageren", "wegwuiven"])
    found = ledger.resolve()
    assert found.shown("answered")
    assert not found.shown("melden")  # 20 - 16 = 4 would be the two others together
    assert str(found.cell("melden")) == PROTECTED
    # A hidden total must not come back as the sum of its parts.
    ledger = Ledger()
    ledger.count("answered", people(0, 12), rank=(2,))
    ledger.count("a", people(0, 6), rank=(1,))
    ledger.count("b", people(6, 6), rank=(1,))
    ledger.count("started", people(0, 14), rank=(0,))
    ledger.within("started", "answered")
    ledger.adds_up("answered", ["a", "b"])
    found = ledger.resolve()
    assert not found.shown("answered")
    assert [found.shown("a"), found.shown("b")].count(True) == 1


def test_a_scale_with_its_average_shows_all_values_or_none() -> None:
    ledger = Ledger()
    ledger.count("answered", people(0, 20), rank=(0,))
    values = {"3": people(0, 8), "4": people(8, 7), "5": people(15, 3), "2": people(18, 2)}
    for value, found in values.items():
        ledger.count(value, found, rank=(1,))
    ledger.adds_up("answered", list(values), all_or_none=True)
    found = ledger.resolve()
    assert found.shown("answered")
    assert not any(found.shown(v) for v in values)
    assert not found.mean("answered", [3.0] * 20).hidden


def test_an_alias_is_one_figure() -> None:
    ledger = Ledger()
    ledger.count("started", people(0, 9), rank=(0,))
    ledger.same("part_started", "started")
    ledger.count("anyone", people(0, 20), rank=(1,))
    ledger.within("anyone", "part_started")
    found = ledger.resolve()
    assert found.cell("part_started") == found.cell("started")
    assert found.shown("anyone")


# -- a world large enough to show figures ------------------------------------------------

NEVER, FINISHED = 0, 99


@dataclass(frozen=True)
class Member:
    group: str
    stop: int  # the step the run stopped at; NEVER (no run) or FINISHED
    before: int | None = None
    choice: str | None = None
    after: int | None = None
    feelings: tuple[str, ...] = ()


def west() -> list[Member]:
    befores = iter([3] * 10 + [4] * 8 + [2] * 5 + [5] * 2 + [1])
    choices = iter(["melden"] * 16 + ["reageren"] * 2 + ["wegwuiven"] * 2)
    afters = iter([4] * 6 + [5] * 4)
    found = [Member("west", NEVER) for _ in range(3)] + [Member("west", 1)]
    found += [Member("west", 3, next(befores)) for _ in range(6)]
    for stop, n in ((5, 2), (8, 8)):
        found += [Member("west", stop, next(befores), next(choices)) for _ in range(n)]
    found += [
        Member("west", FINISHED, next(befores), next(choices), next(afters)) for _ in range(10)
    ]
    return found


def oost() -> list[Member]:
    befores = iter([3] * 4 + [4] * 6)
    choices = iter(["melden"] * 5 + ["reageren"] * 2)
    found = [Member("oost", NEVER) for _ in range(2)]
    found += [Member("oost", 3, next(befores)) for _ in range(3)]
    found += [Member("oost", FINISHED, next(befores), next(choices), 4) for _ in range(7)]
    return found


@dataclass
class City:
    org: int
    groups: dict[str, int]
    people: dict[str, int]


async def build_city(
    app: App,
    members: Sequence[Member],
    coordinators: dict[str, tuple[str, ...]],
    name: str = "Rotterdam",
    others: Mapping[str, tuple[Sequence[int], Sequence[int]]] | None = None,
    trainers: Mapping[str, tuple[str, ...]] | None = None,
) -> City:
    """An organisation whose groups are named by the members, each with a scooter run
    that stopped where the member says (answers as far as they got); `others` adds
    runs of more exercises without answers: dialogue -> (who started, who finished),
    as indices into `members`."""
    version = app.engine.dialogue("scooter").version

    def work(session: Any) -> City:
        org = Organisation(name=name)
        names = sorted({m.group for m in members})
        groups = {g: Group(organisation=org, name=g.title()) for g in names}
        session.add_all(groups.values())
        staff = {
            **{who: ("coordinator", places) for who, places in coordinators.items()},
            **{who: ("trainer", places) for who, places in (trainers or {}).items()},
        }
        everyone = [*staff, *(f"m{i}" for i in range(len(members)))]
        persons = {
            who: Person(
                channel="telegram",
                external_id=f"{name}-{i}",
                first_name=who.title(),
                locale="nl",
                consented_at=START - timedelta(days=30),
            )
            for i, who in enumerate(everyone)
        }
        session.add_all(persons.values())
        session.flush()
        for who, (role, places) in staff.items():
            for group in places:
                session.add(
                    Membership(person_id=persons[who].id, group_id=groups[group].id, role=role)
                )
        for i, member in enumerate(members):
            person = persons[f"m{i}"]
            session.add(
                Membership(
                    person_id=person.id, group_id=groups[member.group].id, role="professional"
                )
            )
            if member.stop == NEVER:
                continue
            done = member.stop == FINISHED
            history = list(SCOOTER_PATH if done else SCOOTER_PATH[: member.stop - 1])
            run = Run(
                person_id=person.id,
                dialogue_id="scooter",
                version=version,
                state="slot" if done else SCOOTER_PATH[member.stop - 1],
                history=list(history),
                status="finished" if done else "active",
                step=len(history),
                started_at=START - timedelta(days=3),
                finished_at=START - timedelta(days=3) if done else None,
            )
            session.add(run)
            session.flush()
            for state, key, kind, value in (
                ("intro", "zeker_voor", "scale", member.before),
                ("keuze", "keuze", "choice", member.choice),
                ("gevoel", "gevoel", "multi", list(member.feelings) or None),
                ("zeker_na", "zeker_na", "scale", member.after),
            ):
                if value is not None:
                    session.add(answer_row(run, state, key, kind, value))
        for dialogue_id, (started, finished) in (others or {}).items():
            compiled = app.engine.dialogue(dialogue_id)
            for i in started:
                done = i in finished
                session.add(
                    Run(
                        person_id=persons[f"m{i}"].id,
                        dialogue_id=dialogue_id,
                        version=compiled.version,
                        state=compiled.spec.start,
                        history=[],
                        status="finished" if done else "active",
                        started_at=START - timedelta(days=5),
                        finished_at=START - timedelta(days=5) if done else None,
                    )
                )
        session.flush()
        return City(
            org.id, {k: g.id for k, g in groups.items()}, {k: p.id for k, p in persons.items()}
        )

    return await app.db.write(work)


@pytest.fixture
async def city(app: App) -> City:
    return await build_city(app, west() + oost(), {"rita": ("west", "oost"), "rob": ("west",)})


@pytest.fixture
async def westside(app: App) -> City:
    """West on its own: an organisation of one group, so its figures relate to no other."""
    return await build_city(app, west(), {"wes": ("west",)}, name="Westland")


@pytest.fixture
async def wes(app: App, web: Starlette, westside: City) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web) as client:
        await log_in(client, app, westside.people["wes"])
        yield client


@pytest.fixture
async def rita(app: App, web: Starlette, city: City) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web) as client:
        await log_in(client, app, city.people["rita"])
        yield client


@pytest.fixture
async def rob(app: App, web: Starlette, city: City) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web) as client:
        await log_in(client, app, city.people["rob"])
        yield client


async def get(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response


def number(value: Any) -> int | float | None:
    """A shown figure, or None for "< 5" (and for empty cells)."""
    if value in (None, "", SUPPRESSED, PROTECTED, "verborgen"):
        return None
    return float(value) if isinstance(value, str) else value


def not_small(n: float) -> bool:
    """Zero people, or at least MIN_CELL: a number that singles out nobody."""
    return n == 0 or n >= MIN_CELL


def check_funnel(reached: Sequence[Any], dropped: Sequence[Any] | None = None) -> None:
    """Shown counts of a funnel: each none or at least 5, and any two equal or at
    least 5 apart (every step is nested in the ones above it); a drop-off is the
    difference to the last shown step above."""
    shown = [(i, number(v)) for i, v in enumerate(reached) if number(v) is not None]
    for _, n in shown:
        assert n is not None
        assert not_small(n), reached
    for (_, a), (_, b) in pairwise(shown):
        assert a is not None
        assert b is not None
        assert not_small(a - b), reached
    if dropped is not None:
        last = None
        for i, value in enumerate(reached):
            n = number(value)
            if n is not None and last is not None:
                assert number(dropped[i]) == last - n, (reached, dropped)
            elif i > 0:
                assert number(dropped[i]) is None, (reached, dropped)
            if n is not None:
                last = n


def base(city: City) -> str:
    return f"/orgs/{city.org}"


# -- the funnel: drop-offs per step, never under five ------------------------------------


async def test_the_funnel_shows_drop_offs_of_five_or_more_in_the_chart_data(
    wes: httpx.AsyncClient, westside: City
) -> None:
    path = base(westside)
    data = (await get(wes, f"{path}/exercises/scooter/data.json")).json()
    rows = data["funnel"]["rows"]
    reached = [r["people"] for r in rows]
    dropped = [r["dropped_off"] for r in rows]
    check_funnel(reached, dropped)
    by_key = {r["key"]: r for r in rows}
    assert (data["started"], data["finished"]) == (27, 10)
    # The rows are the questions every way asks, named by the question, in order.
    assert [r["key"] for r in rows] == [
        "started",
        "zeker_voor",
        "keuze",
        "gevoel",
        "bedoeling",
        "zeker_na",
        "finished",
    ]
    assert by_key["keuze"]["label"] == "Wat doe je, daar en in de uren erna?"
    # 27 -> 26 -> 20: the confidence question would show that one person stopped;
    # it is large itself, so it reads "hidden", not "< 5".
    assert (by_key["zeker_voor"]["people"], by_key["zeker_voor"]["dropped_off"]) == (
        PROTECTED,
        PROTECTED,
    )
    assert (by_key["keuze"]["people"], by_key["keuze"]["dropped_off"]) == (20, 7)
    assert by_key["keuze"]["dropped_off_since"] == "Begonnen"
    # 20 -> 10: ten stopped after the choice; nobody after that (a drop-off of
    # zero singles out nobody).
    assert (by_key["gevoel"]["people"], by_key["gevoel"]["dropped_off"]) == (10, 10)
    assert "dropped_off_since" not in by_key["gevoel"]
    assert (by_key["finished"]["people"], by_key["finished"]["dropped_off"]) == (10, 0)
    assert by_key["started"]["dropped_off"] is None  # nothing above the first row


async def test_the_funnel_on_the_page_and_in_its_charts(
    wes: httpx.AsyncClient, westside: City
) -> None:
    path = base(westside)
    html = (await get(wes, f"{path}/exercises/scooter")).text
    descs = [unescape(d) for d in re.findall(r"<desc[^>]*>([^<]*)</desc>", html)]
    funnel = next(d for d in descs if d.startswith("Begonnen:"))
    reached = [item.rsplit(": ", 1)[1] for item in funnel.split("; ")]
    check_funnel(reached)
    assert (reached[0], reached[1], reached[2], reached[-1]) == ("27", "verborgen", "20", "10")
    drops = next(d for d in descs if d.startswith("Hoe zeker voel je je over"))
    assert "Wat doe je, daar en in de uren erna? (sinds Begonnen): 7" in drops
    assert "Wat voelde je, of wat zou jij voelen?: 10" in drops
    # The bars: every value shown in the funnel chart keeps the distance too.
    chart = html[html.index('<svg class="chart chart-bars"') :]
    chart = chart[: chart.index("</svg>")]
    values = [unescape(v) for v in re.findall(r'<text class="value"[^>]*>([^<]*)</text>', chart)]
    check_funnel(values)
    # The table: reached and dropped off per step, "verborgen" in Dutch.
    table = html[html.index('<table class="figures">') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r'<td data-label="[^"]*" class="(num|suppressed|na)">([^<]*)', table)
    reached_cells = [unescape(v) for _, v in cells[0::2]]
    dropped_cells = [unescape(v).strip() for _, v in cells[1::2]]
    check_funnel(reached_cells, dropped_cells)
    assert reached_cells == reached
    assert "sinds Begonnen" in table
    assert "hidden" not in table


async def test_the_funnel_in_the_exports(wes: httpx.AsyncClient, westside: City) -> None:
    path = base(westside)
    body = await get(wes, f"{path}/export.csv?dialogue=scooter")
    rows = [r for r in csv_dicts(body) if r["Tabel"] == "Stappen"]
    reached = [r["Waarde"] for r in rows if r["Meting"] == "Bereikt"]
    dropped = {r["Onderdeel"]: r["Waarde"] for r in rows if r["Meting"] == "Afgehaakt"}
    items = [r["Onderdeel"] for r in rows if r["Meting"] == "Bereikt"]
    assert "Begonnen" not in dropped  # nothing above the first row: no drop-off at all
    check_funnel(reached, [dropped.get(item, "") for item in items])
    keuze = "Wat doe je, daar en in de uren erna?"
    assert dropped[keuze] == "7"
    since = {r["Onderdeel"]: r["Waarde"] for r in rows if r["Meting"] == "Afgehaakt sinds"}
    assert since == {keuze: "Begonnen"}
    book = workbook(await get(wes, f"{path}/export.xlsx?dialogue=scooter"))
    steps = sheet_dicts(book, "Stappen")
    assert [r["Stap"] for r in steps] == items
    counts = [r["Bereikt"] for r in steps]
    assert [str(v) if v is not None else "" for v in counts] == reached
    assert all(isinstance(v, int) for v in counts if v not in (SUPPRESSED, HIDDEN_NL))
    assert {r["Stap"]: r["Afgehaakt"] for r in steps}[keuze] == 7
    assert {r["Stap"]: r["Afgehaakt sinds"] for r in steps if r["Afgehaakt sinds"]} == since
    assert steps[0]["Afgehaakt"] is None  # no figure by its nature: an empty cell


# -- partitions: a total minus the visible parts ---------------------------------------------


async def test_a_total_minus_the_shown_options_is_no_small_number(
    wes: httpx.AsyncClient, westside: City
) -> None:
    path = base(westside)
    keuze = (await get(wes, f"{path}/exercises/scooter/data.json?key=keuze")).json()
    options = {o["key"]: o["people"] for o in keuze["options"]}
    # 20 answered, 16 chose melden: showing both says 4 chose something else, so
    # melden (large itself) is hidden to protect the two small ones.
    assert keuze["people"] == 20
    assert options == {"reageren": SUPPRESSED, "wegwuiven": SUPPRESSED, "melden": PROTECTED}
    # Confidence before: 26 of the 27 who started answered, so that count (and its
    # average) is hidden; the values shown do not add up to it.
    before = (await get(wes, f"{path}/exercises/scooter/data.json?key=zeker_voor")).json()
    assert before["people"] == PROTECTED
    assert before["average"] == PROTECTED
    assert [o["people"] for o in before["options"]] == [SUPPRESSED, 5, 10, 8, SUPPRESSED]
    # Confidence after: people and average shown, so no single value count (with two
    # hidden values the average would give them away), zeros included.
    after = (await get(wes, f"{path}/exercises/scooter/data.json?key=zeker_na")).json()
    assert (after["people"], after["average"]) == (10, 4.4)
    assert [o["people"] for o in after["options"]] == [PROTECTED] * 4 + [SUPPRESSED]
    # The same on the question page and in its export.
    page = (await get(wes, f"{path}/exercises/scooter/questions/keuze")).text
    assert ">16<" not in page
    lines = csv_rows(await get(wes, f"{path}/export.csv?dialogue=scooter&key=keuze"))
    people = [r[5] for r in lines if r[2] == "Vraag keuze" and r[4] == "Mensen"]
    assert people == [SUPPRESSED, SUPPRESSED, HIDDEN_NL]


# -- the organisation and its groups ---------------------------------------------------------


def tables(data: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    """(table, row, column) -> value of an overview document."""
    found = {}
    for table in data["tables"]:
        for row in table["rows"]:
            for column in table["columns"]:
                found[(table["name"], row["key"], column)] = row[column]
    return found


async def test_the_organisation_minus_a_group_gives_nothing_away(
    rita: httpx.AsyncClient, rob: httpx.AsyncClient, city: City
) -> None:
    path = base(city)
    org = (await get(rita, f"{path}/exercises/scooter/data.json")).json()
    west_rita = (
        await get(rita, f"{path}/exercises/scooter/data.json?group={city.groups['west']}")
    ).json()
    oost_rita = (
        await get(rita, f"{path}/exercises/scooter/data.json?group={city.groups['oost']}")
    ).json()
    # Oost: 10 started, 7 finished is a drop-off of 3, so finished is hidden there;
    # Rotterdam's 17 minus West's 10 would give it back, so West's is hidden too.
    assert (oost_rita["started"], oost_rita["finished"]) == (10, PROTECTED)
    assert (org["started"], org["finished"]) == (37, 17)
    assert west_rita["finished"] == PROTECTED
    # Rob coordinates West only. Figures are decided per unit, not per viewer: he
    # sees West exactly as Rita does, or his 10 next to her 17 would give Oost's 7
    # back (the attack of two coordinators, two suppressions). He has no
    # organisation-wide view: it would cover a group that is not his.
    west_rob = (await get(rob, f"{path}/exercises/scooter/data.json")).json()
    assert west_rob == west_rita
    assert (await get(rob, f"{path}/data.json")).json() == (
        await get(rita, f"{path}/data.json?group={city.groups['west']}")
    ).json()
    # Every count of the overview: where Rotterdam's is shown, its groups never show
    # all but one of theirs.
    documents = {
        None: (await get(rita, f"{path}/data.json")).json(),
        **{
            g: (await get(rita, f"{path}/data.json?group={gid}")).json()
            for g, gid in city.groups.items()
        },
    }
    cells = {scope: tables(doc) for scope, doc in documents.items()}
    checked = 0
    for key, total in cells[None].items():
        if key[0] == "groups" or key[2] not in ("started", "finished", "people"):
            continue
        if key[0] == "confidence":  # answers: published for the organisation only
            assert all(key not in cells[g] for g in city.groups)
            continue
        if number(total) is not None:
            parts = [number(cells[g][key]) for g in city.groups]
            assert parts.count(None) != 1, (key, total, parts)
            checked += 1
    assert checked >= 2
    for key in ("started", "finished"):
        parts = [number(d[key]) for d in (west_rita, oost_rita)]
        assert parts.count(None) != 1, key


async def test_overview_exercise_and_question_pages_agree(
    rita: httpx.AsyncClient, rob: httpx.AsyncClient, city: City
) -> None:
    """The same figure reads the same on every page, or one page would undo another."""
    path = base(city)
    for client, scopes in ((rita, [None, *city.groups.values()]), (rob, [city.groups["west"]])):
        for gid in scopes:
            query = f"?group={gid}" if gid else ""
            and_group = f"&group={gid}" if gid else ""
            overview = tables((await get(client, f"{path}/data.json{query}")).json())
            stats = (await get(client, f"{path}/exercises/scooter/data.json{query}")).json()
            assert overview[("exercises", "scooter", "started")] == stats["started"]
            assert overview[("exercises", "scooter", "finished")] == stats["finished"]
            for distribution in stats["distributions"]:
                alone = (
                    await get(
                        client,
                        f"{path}/exercises/scooter/data.json?key={distribution['key']}{and_group}",
                    )
                ).json()
                assert alone == distribution
            if gid is not None:  # a group publishes who takes part, not what they answered
                assert (stats["funnel"], stats["distributions"]) == (None, [])
                continue
            check_funnel(
                [r["people"] for r in stats["funnel"]["rows"]],
                [r["dropped_off"] for r in stats["funnel"]["rows"]],
            )


# -- random worlds: the rule holds across every page and scope ------------------------------

STOPS = (NEVER, 1, 2, 3, 4, 5, 8, 12, FINISHED, FINISHED, FINISHED)
FEELINGS = ("schrik", "angst", "boos", "pal", "schaamte", "twijfel", "weinig")


def random_members(rng: random.Random) -> list[Member]:
    found = []
    for group in ("a", "b", "c")[: rng.randint(2, 3)]:
        for _ in range(rng.randint(3, 28)):
            stop = rng.choice(STOPS)
            found.append(
                Member(
                    group,
                    stop,
                    rng.randint(1, 5) if stop >= 2 else None,
                    rng.choice(["melden", "melden", "reageren", "wegwuiven"])
                    if stop >= 4
                    else None,
                    rng.choice([3, 4, 4, 5]) if stop == FINISHED else None,
                    tuple(rng.sample(FEELINGS, rng.randint(1, 2))) if stop >= 8 else (),
                )
            )
    return found


def check_shown(cells: Sequence[Cell], parts: Sequence[Sequence[Cell]]) -> None:
    """An organisation's counts next to its groups': never exactly one group hidden."""
    for total, mine in zip(cells, zip(*parts, strict=True), strict=True):
        if not total.hidden:
            assert [c.hidden for c in mine].count(True) != 1, (total, mine)


def check_nested(outer: Cell, inner: Cell) -> None:
    if not outer.hidden and not inner.hidden:
        assert outer.number is not None
        assert inner.number is not None
        assert not_small(outer.number - inner.number), (outer, inner)


@pytest.mark.parametrize("seed", range(6))
async def test_random_worlds_keep_the_rule_on_every_page(app: App, seed: int) -> None:
    rng = random.Random(seed)
    members = random_members(rng)
    groups = tuple(sorted({m.group for m in members}))
    city = await build_city(app, members, {"cleo": groups}, name=f"Stad {seed}")
    figures = Aggregates(app.db, app.engine)
    whole = await figures.scope(city.people["cleo"], city.org, None)
    scopes = [whole] + [replace(whole, group_id=city.groups[g]) for g in groups]
    stats = [await figures.exercise(s, "scooter", "nl") for s in scopes]
    overviews = [await figures.overview(s, "nl") for s in scopes]
    for scope, found, overview in zip(scopes, stats, overviews, strict=True):
        # The pages agree on every figure they share.
        row = next(r for r in overview.exercises.rows if r.key == "scooter")
        assert (row.cells[0], row.cells[1]) == (found.started, found.finished)
        for distribution in found.distributions:
            assert await figures.question(scope, "scooter", distribution.key, "nl") == distribution
        # Nested counts keep their distance; a funnel's drop-offs are explicit.
        if scope.group_id is not None:  # a group: participation only
            assert (found.funnel, found.distributions, found.over_time) == (None, (), None)
            check_nested(found.started, found.finished)
            continue
        assert found.funnel is not None
        rows = found.funnel.rows
        check_funnel([str(r.cells[0]) for r in rows], [str(r.cells[1]) for r in rows])
        check_nested(found.started, found.finished)
        for distribution in found.distributions:
            check_nested(found.started, distribution.people)
            for option in distribution.options.rows:
                check_nested(distribution.people, option.cells[0])
                check_nested(found.started, option.cells[0])
            if distribution.kind != "multi" and not distribution.people.hidden:
                hidden = [r.cells[0] for r in distribution.options.rows if r.cells[0].hidden]
                assert [c.protects for c in hidden] != [False]  # one "< 5" = the rest
                shown = sum(r.cells[0].number or 0 for r in distribution.options.rows)
                assert distribution.people.number is not None
                assert not hidden or not_small(distribution.people.number - shown)
    # The organisation minus its shown groups is never one small group.
    org, parts = stats[0], stats[1:]
    check_shown([org.started, org.finished], [[p.started, p.finished] for p in parts])
    check_shown(
        [c for r in overviews[0].exercises.rows for c in r.cells[:2]],
        [[c for r in o.exercises.rows for c in r.cells[:2]] for o in overviews[1:]],
    )


async def test_confidence_before_and_after_in_the_overview(
    wes: httpx.AsyncClient, westside: City
) -> None:
    """The 10 who finished have a before/after pair; 26 answered "before", so the 16
    who stopped on the way are no small number, and the pair count is shown."""
    city = westside
    data = tables((await get(wes, f"{base(city)}/data.json")).json())
    assert data[("confidence", "scooter", "people")] == 10
    assert data[("confidence", "scooter", "before")] == 2.9
    assert data[("confidence", "scooter", "after")] == 4.4
    assert (
        data[("exercises", "scooter", "started")],
        data[("exercises", "scooter", "finished")],
    ) == (27, 10)
    assert data[("exercises", "scooter", "completion_percent")] == 37
    # 30 members next to 27 who started would say that 3 never did.
    assert data[("groups", str(city.groups["west"]), "members")] == PROTECTED


# -- the trainer's view of one push -----------------------------------------------------------


async def test_a_trainer_sees_how_the_group_chose_in_a_push_as_it_is(
    app: App, web: Starlette
) -> None:
    city = await build_city(app, west(), {}, trainers={"tina": ("west",)})
    group = city.groups["west"]

    def push_it(session: Any) -> int:
        push = Push(
            group_id=group,
            dialogue_id="scooter",
            created_by=city.people["tina"],
            scheduled_at=START - timedelta(days=4),
            due_at=START - timedelta(days=4),
            status="sent",
        )
        session.add(push)
        session.flush()
        members = [city.people[f"m{i}"] for i in range(len(west()))]
        for person in members:
            session.add(
                Delivery(
                    push_id=push.id,
                    person_id=person,
                    status="delivered",
                    delivered_at=START - timedelta(days=4),
                )
            )
        session.execute(update(Run).where(Run.person_id.in_(members)).values(push_id=push.id))
        return push.id

    push_id = await app.db.write(push_it)
    async with client_for(web) as tina:
        await log_in(tina, app, city.people["tina"])
        html = (await get(tina, f"/groups/{group}/pushes/{push_id}")).text
    section = html[html.index("Hoe de groep koos") : html.index("Antwoorden bij deze oefening")]
    tables = re.findall(r'<table class="figures">(.*?)</table>', section, re.S)
    cells = [
        [unescape(v) for v in re.findall(r'<td data-label="[^"]*" class="[^"]*">([^<]*)', t)]
        for t in tables
    ]
    # The trainer reads these answers one by one further down the page, so the
    # group's own tallies are shown as they are (no published unit: no suppression).
    people = [c[0::2] for c in cells]  # people, then their share, per option
    assert people[0] == ["1", "5", "10", "8", "2"]  # zeker_voor 1..5
    assert cells[0][1::2] == ["3,8", "19,2", "38,5", "30,8", "7,7"]  # % of the 26 answering
    assert sorted(people[1], key=int) == ["2", "2", "16"]  # keuze
    assert "Beantwoord door: 20" in section
    assert "Gemiddelde: 4,4" in section  # a Dutch page writes a decimal comma
    assert SUPPRESSED not in section
