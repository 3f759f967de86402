"""Reading the dashboard's downloads as a coordinator's Excel would.

The CSV is read with the delimiter of the viewer's language (";" in Dutch), the
workbook by sheet name; the explanation sheet is never taken for data.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook

#: The Dutch texts a test expects (content/nl/web.yaml), spelled out on purpose: a
#: renamed key or a missing text must fail a test, not follow along.
NOTES = "Toelichting"
HIDDEN_NL = "verborgen"
SINCE_NL = "Afgehaakt sinds"
LONG_HEADER_NL = ["Organisatie", "Eenheid", "Tabel", "Onderdeel", "Meting", "Waarde"]


def csv_rows(response: httpx.Response, delimiter: str = ";") -> list[list[str]]:
    """Every line of a CSV download, header included."""
    body = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body), delimiter=delimiter))


def csv_dicts(response: httpx.Response, delimiter: str = ";") -> list[dict[str, str]]:
    """The lines of a CSV download under their header."""
    body = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body), delimiter=delimiter))


def workbook(response: httpx.Response) -> Workbook:
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(book: Workbook, name: str) -> list[tuple[Any, ...]]:
    """A sheet's rows, header first."""
    return list(book[name].iter_rows(values_only=True))


def sheet_dicts(book: Workbook, name: str) -> list[dict[str, Any]]:
    """A sheet's rows under their header."""
    header, *rows = sheet_rows(book, name)
    return [dict(zip(header, row, strict=True)) for row in rows]


def figures(book: Workbook) -> list[Any]:
    """Every figure cell of the data sheets: past the unit and label columns, and not
    the funnel's 'since' column (a step's name, no figure)."""
    found = []
    for sheet in book.worksheets:
        if sheet.title == NOTES:
            continue
        header, *rows = list(sheet.iter_rows(values_only=True))
        columns = [i for i, name in enumerate(header) if i >= 2 and name != SINCE_NL]
        found += [row[i] for row in rows for i in columns]
    return found


def every_cell(book: Workbook) -> list[Any]:
    """Every value of every sheet, the explanation included."""
    sheets = book.worksheets
    return [v for sheet in sheets for row in sheet.iter_rows(values_only=True) for v in row]
