"""Exports a coordinator can use in Excel (issue #14).

Opened as Excel opens them: numbers are numbers (counts whole, averages and
percentages with one decimal, the same figures as the JSON chart data), marks
stay text, headers and sheet names are in the viewer's language, the workbook
explains itself on a last sheet, the CSV splits into columns in Dutch Excel, and
no cell is run as a formula. The world is West (tests/web/test_disclosure.py):
27 of 30 started `scooter`, 10 finished, confidence 2.9 before and 4.4 after.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from starlette.applications import Starlette

from bot.bootstrap import App
from bot.services.exports import Sheet, to_csv, to_workbook
from bot.services.reports import SUPPRESSED
from bot.store.models import Person
from tests.web.conftest import client_for, log_in
from tests.web.spreadsheets import (
    HIDDEN_NL,
    LONG_HEADER_NL,
    NOTES,
    csv_dicts,
    csv_rows,
    every_cell,
    sheet_dicts,
    sheet_rows,
    workbook,
)
from tests.web.test_disclosure import City, build_city, west

EVIL = '=HYPERLINK("http://evil.example","klik")'


@pytest.fixture
async def westland(app: App) -> City:
    """West on its own; its coordinator Wes reads Dutch, Wendy English."""
    city = await build_city(app, west(), {"wes": ("west",), "wendy": ("west",)}, name="Westland")

    def english(session: Any) -> None:
        session.execute(update(Person).where(Person.id == city.people["wendy"]).values(locale="en"))

    await app.db.write(english)
    return city


async def client_of(web: Starlette, app: App, person_id: int) -> httpx.AsyncClient:
    client = client_for(web)
    await log_in(client, app, person_id)
    return client


@pytest.fixture
async def wes(app: App, web: Starlette, westland: City) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web) as client:
        await log_in(client, app, westland.people["wes"])
        yield client


@pytest.fixture
async def wendy(app: App, web: Starlette, westland: City) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web) as client:
        await log_in(client, app, westland.people["wendy"])
        yield client


async def get(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response


def row_of(rows: list[dict[str, Any]], column: str, label: str) -> dict[str, Any]:
    return next(r for r in rows if r[column] == label)


# -- Excel: numbers, marks, Dutch words ---------------------------------------------------------


async def test_the_overview_workbook_holds_numbers_in_dutch(
    wes: httpx.AsyncClient, westland: City
) -> None:
    org = westland.org
    book = workbook(await get(wes, f"/orgs/{org}/export.xlsx"))
    assert book.sheetnames == ["Groepen", "Trainingsonderdelen", "Oefeningen", "Zekerheid", NOTES]
    assert sheet_rows(book, "Oefeningen")[0] == (
        "Eenheid",
        "Oefening",
        "Begonnen",
        "Afgemaakt",
        "Afgemaakt (%)",
    )
    exercises = sheet_dicts(book, "Oefeningen")
    scooter = next(r for r in exercises if r["Begonnen"] == 27)
    assert scooter["Eenheid"] == "Westland"
    assert (scooter["Afgemaakt"], scooter["Afgemaakt (%)"]) == (10, 37.0)
    assert type(scooter["Begonnen"]) is int
    line = next(r for r in book["Oefeningen"].iter_rows(min_row=2) if r[2].value == 27)
    assert line[2].data_type == line[4].data_type == "n"  # numbers, not text
    assert line[4].number_format == "0.0"  # 37.0 (Dutch Excel: 37,0), one decimal as every ratio
    assert line[2].number_format == "General"  # a count: a whole number
    nobody = [r for r in exercises if r["Begonnen"] == 0]
    assert nobody  # other exercises: zero is shown, a percentage of nobody is empty
    assert {r["Afgemaakt (%)"] for r in nobody} == {None}

    confidence = row_of(sheet_dicts(book, "Zekerheid"), "Mensen", 10)
    assert (confidence["Zekerheid voor"], confidence["Zekerheid na"]) == (2.9, 4.4)
    assert sheet_rows(book, "Zekerheid")[0][1:] == (
        "Straatscenario",
        "Mensen",
        "Zekerheid voor",
        "Zekerheid na",
    )
    # 30 members next to 27 who started would say that 3 never did: a text mark.
    west_row = sheet_dicts(book, "Groepen")[0]
    assert west_row["Groep"] == "West"
    assert west_row["Leden"] == HIDDEN_NL

    # Excel shows every average and percentage with one decimal (in Dutch: "37,0").
    formats = {
        cell.number_format
        for sheet in ("Oefeningen", "Zekerheid")
        for line in book[sheet].iter_rows(min_row=2)
        for cell in line
        if isinstance(cell.value, float)
    }
    assert formats == {"0.0"}
    assert book["Oefeningen"].freeze_panes == "A2"
    assert book["Oefeningen"]["C1"].font.bold
    assert not [v for v in every_cell(book) if isinstance(v, str) and v.startswith("web.")]


async def test_the_numbers_are_the_chart_datas_numbers(
    wes: httpx.AsyncClient, westland: City
) -> None:
    """One decimals policy: the JSON, the workbook and the CSV carry the same figure."""
    org = westland.org
    data = (await get(wes, f"/orgs/{org}/data.json")).json()
    exercises = next(t for t in data["tables"] if t["name"] == "exercises")
    scooter = next(r for r in exercises["rows"] if r["key"] == "scooter")
    assert scooter["completion_percent"] == 37.0
    assert isinstance(scooter["completion_percent"], float)
    confidence = next(t for t in data["tables"] if t["name"] == "confidence")["rows"]
    confidence = next(r for r in confidence if r["key"] == "scooter")
    assert (confidence["before"], confidence["after"]) == (2.9, 4.4)

    lines = csv_dicts(await get(wes, f"/orgs/{org}/export.csv"))
    figure = {(r["Tabel"], r["Onderdeel"], r["Meting"]): r["Waarde"] for r in lines}
    title = scooter["label"]
    assert figure[("Oefeningen", title, "Afgemaakt (%)")] == "37,0"
    assert figure[("Oefeningen", title, "Begonnen")] == "27"
    assert figure[("Zekerheid", title, "Zekerheid voor")] == "2,9"
    page = (await get(wes, f"/orgs/{org}")).text
    assert "37,0%" in page  # the page writes it the same way


async def test_an_exercise_workbook_has_a_sheet_per_table(
    wes: httpx.AsyncClient, westland: City
) -> None:
    book = workbook(await get(wes, f"/orgs/{westland.org}/export.xlsx?dialogue=scooter"))
    names = book.sheetnames
    assert names[:3] == ["Oefening", "Stappen", "Vragen"]
    head = sheet_dicts(book, "Oefening")
    assert [(r["Begonnen"], r["Afgemaakt"]) for r in head] == [(27, 10)]
    assert {"Vraag zeker_voor", "Vraag keuze", "Vraag zeker_na"} <= set(names)
    assert names[-2:] == ["Zekerheid per maand", NOTES]
    questions = sheet_dicts(book, "Vragen")
    after = next(r for r in questions if r["Gemiddelde"] == 4.4)
    assert after["Beantwoord door"] == 10
    assert type(after["Beantwoord door"]) is int
    keuze = sheet_dicts(book, "Vraag keuze")
    assert [r["Mensen"] for r in keuze] == [SUPPRESSED, SUPPRESSED, HIDDEN_NL]
    assert sheet_rows(book, "Vraag keuze")[0] == (
        "Eenheid",
        "Antwoord",
        "Mensen",
        "% van wie antwoordde",
    )
    # The single-question export: its answered count and its options.
    one = workbook(
        await get(wes, f"/orgs/{westland.org}/export.xlsx?dialogue=scooter&key=zeker_na")
    )
    assert one.sheetnames == ["Vragen", "Vraag zeker_na", NOTES]
    assert [(r["Beantwoord door"], r["Gemiddelde"]) for r in sheet_dicts(one, "Vragen")] == [
        (10, 4.4)
    ]


async def test_the_explanation_sheet_explains_every_column_and_mark(
    wes: httpx.AsyncClient, westland: City
) -> None:
    book = workbook(await get(wes, f"/orgs/{westland.org}/export.xlsx?dialogue=scooter"))
    notes = sheet_rows(book, NOTES)
    assert notes[0] == ("Blad", "Kolom of teken", "Uitleg")
    meaning = {(sheet, what): text for sheet, what, text in notes[1:]}
    assert "1 tot 4 mensen" in meaning[(None, SUPPRESSED)]
    assert "klein getal" in meaning[(None, HIDDEN_NL)]
    assert "Niemand" in meaning[(None, 0)]
    assert "één decimaal" in meaning[(None, "Getallen")]
    assert meaning[(None, "Organisatie")] == "Westland"
    assert isinstance(meaning[(None, "Gemaakt op")], datetime)
    for sheet in book.sheetnames[:-1]:
        header = sheet_rows(book, sheet)[0]
        for column in header:
            assert meaning.get((sheet, column)), (sheet, column)  # every column explained
        assert meaning[(sheet, None)]  # and what the sheet holds
    assert "veiligheid" in meaning[("Vraag zeker_voor", None)]  # the question as asked
    assert not [v for v in every_cell(book) if isinstance(v, str) and v.startswith("web.")]


# -- CSV: Dutch Excel splits it into columns ---------------------------------------------------


async def test_the_csv_is_for_dutch_excel(wes: httpx.AsyncClient, westland: City) -> None:
    response = await get(wes, f"/orgs/{westland.org}/export.csv?dialogue=scooter")
    assert response.content.startswith(b"\xef\xbb\xbf")  # accents open right
    assert b"\r\n" in response.content
    rows = csv_rows(response)
    assert rows[0] == LONG_HEADER_NL
    assert {len(r) for r in rows} == {6}  # ";" splits every line into the six columns
    values = {(r[2], r[4]): r[5] for r in rows[1:] if r[2] == "Vragen" and r[5] == "4,4"}
    assert values == {("Vragen", "Gemiddelde"): "4,4"}
    keuze = [r[5] for r in rows if r[2] == "Vraag keuze" and r[4] == "Mensen"]
    assert keuze == [SUPPRESSED, SUPPRESSED, HIDDEN_NL]
    assert not [c for r in rows for c in r if c.startswith("web.")]


# -- the English locale ------------------------------------------------------------------------


async def test_an_english_coordinator_gets_english_files(
    wendy: httpx.AsyncClient, westland: City
) -> None:
    org = westland.org
    book = workbook(await get(wendy, f"/orgs/{org}/export.xlsx"))
    assert book.sheetnames == ["Groups", "Training parts", "Exercises", "Confidence", "Explanation"]
    assert sheet_rows(book, "Exercises")[0] == (
        "Unit",
        "Exercise",
        "Started",
        "Finished",
        "Finished (%)",
    )
    assert sheet_dicts(book, "Groups")[0]["Members"] == "hidden"
    assert row_of(sheet_dicts(book, "Exercises"), "Started", 27)["Finished (%)"] == 37.0
    assert sheet_rows(book, "Explanation")[0] == ("Sheet", "Column or mark", "Meaning")
    lines = csv_dicts(await get(wendy, f"/orgs/{org}/export.csv"), delimiter=",")
    assert list(lines[0]) == ["Organisation", "Unit", "Table", "Item", "Measure", "Value"]
    assert {r["Value"] for r in lines if r["Measure"] == "Finished (%)"} >= {"37.0"}
    assert not [v for v in every_cell(book) if isinstance(v, str) and v.startswith("web.")]


# -- formula injection -------------------------------------------------------------------------


def test_the_writer_defuses_formulas_in_every_sheet() -> None:
    nasty = [EVIL, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    rows = [[nasty[0], 1], *([v, 2.5] for v in nasty[1:])]
    sheets = [Sheet("data", ["=header", "b"], rows), Sheet(NOTES, ["a"], [["=notes"]], wrap=True)]
    book = load_workbook(io.BytesIO(to_workbook(sheets)))
    cells = [c for sheet in book.worksheets for line in sheet.iter_rows() for c in line]
    assert [c.value for c in book["data"]["A"]] == [
        "'=header",
        "'" + EVIL,
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "x",  # a control character Excel would refuse is dropped
    ]
    assert book[NOTES]["A2"].value == "'=notes"
    assert all(c.data_type != "f" for c in cells)  # nothing Excel would run
    body = to_csv([[EVIL, 1.5]], delimiter=";").decode("utf-8-sig")
    assert body.startswith("\"'=HYPERLINK(")
    assert "1.5" in body  # a float reaches the CSV only as the caller wrote it


async def test_an_organisation_named_like_a_formula_stays_text(app: App, web: Starlette) -> None:
    city = await build_city(app, west(), {"eve": ("west",)}, name=EVIL)
    async with client_for(web) as eve:
        await log_in(eve, app, city.people["eve"])
        book = workbook(await get(eve, f"/orgs/{city.org}/export.xlsx"))
        lines = csv_rows(await get(eve, f"/orgs/{city.org}/export.csv"))
    assert sheet_dicts(book, "Oefeningen")[0]["Eenheid"] == "'" + EVIL
    assert {r[0] for r in lines[1:]} == {"'" + EVIL}
    formulas = [
        c.coordinate
        for sheet in book.worksheets
        for r in sheet.iter_rows()
        for c in r
        if c.data_type == "f"
    ]
    assert formulas == []
