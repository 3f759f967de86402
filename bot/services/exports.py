"""CSV and Excel files: the one exporter, for the dashboard and the command line.

Callers build the rows from what the viewer may see (a trainer's group answers,
a coordinator's figures from the reports service, an operator's pseudonymised
answers), in the viewer's words; this module only writes them, and defuses every
cell a spreadsheet would run as a formula, the same way for every export.

Values keep their type on the way out: an int or a float becomes an Excel number
(a float with the sheet's `ratio_format`, so Excel shows the decimals the reports
rounded to), a local wall-clock time an Excel date, and text (a mark such as
"< 5" included) stays text. A CSV file has no types: the caller writes figures as
text in the viewer's language, and chooses the delimiter Excel in that language
splits on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.privacy import TextCipher
from bot.services.audit import record_export_in
from bot.store.db import Database
from bot.store.repo import ExportRow, Pseudonymiser, Repository

#: The header of an operator's answer export, one column per ExportRow field.
ANSWER_COLUMNS = [f.name for f in fields(ExportRow)]
#: How Excel shows a local time: as the dashboard's pages write it.
TIME_FORMAT = "yyyy-mm-dd hh:mm"
#: Characters Excel refuses in a sheet's name, and the length it allows.
_NOT_IN_TITLES = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_TITLE_LENGTH = 31
_WIDEST = 60


class Wording(Protocol):
    """A text of the viewer's language by its content key, placeholders filled:
    export headers and explanations come from content/, never from code."""

    def __call__(self, key: str, /, **values: object) -> str: ...


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its name, a header row and the rows under it.

    `ratio_format` is Excel's number format for floats (averages and percentages);
    `wrap` wraps long texts in their cells (the explanation sheet)."""

    title: str
    header: Sequence[object]
    rows: Sequence[Sequence[object]]
    ratio_format: str = "General"
    wrap: bool = False


def to_csv(rows: Sequence[Sequence[object]], excel: bool = True, delimiter: str = ",") -> bytes:
    """UTF-8 CSV. For Excel (the dashboard's downloads) with a byte order mark, so
    accented letters open correctly, and CRLF line ends; plain for pipes otherwise.
    `delimiter` is the one Excel splits on in the reader's language (";" in Dutch,
    where the comma is the decimal separator)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if excel else "\n")
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return (("\ufeff" if excel else "") + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Sequence[object]], sheet_name: str) -> bytes:
    """One sheet, the first row frozen as the header."""
    return to_workbook([Sheet(sheet_name, rows[0] if rows else (), rows[1:])])


def to_workbook(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook, one sheet per `Sheet` in order: a bold header row that
    stays in view and filters, numbers as numbers, columns wide enough to read."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    used: set[str] = set()
    for spec in sheets:
        _fill(book.create_sheet(_title(spec.title, used)), spec)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Worksheet, spec: Sheet) -> None:
    sheet.append([_cell(v) for v in spec.header])
    for row in spec.rows:
        sheet.append([_cell(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths: dict[str, int] = {}
    for line in sheet.iter_rows():
        for cell in line:
            width = _style(cell, spec)
            widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), width)
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = min(width + 2, _WIDEST)
    sheet.freeze_panes = "A2"
    if spec.rows:
        sheet.auto_filter.ref = sheet.dimensions


def _style(cell: Any, spec: Sheet) -> int:
    """Give a cell its number format (Excel shows a float with the reports' decimals,
    a time as the pages do); returns how wide it reads, in characters."""
    value = cell.value
    if spec.wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if isinstance(value, float):
        cell.number_format = spec.ratio_format
    elif isinstance(value, datetime):
        cell.number_format = TIME_FORMAT
        return len(TIME_FORMAT)
    return 0 if value is None else len(str(value))


def _title(wanted: str, used: set[str]) -> str:
    """A sheet name Excel accepts: no forbidden characters, 31 at most, unique."""
    base = wanted.translate(_NOT_IN_TITLES).strip("' ")[:_TITLE_LENGTH] or "-"
    title, number = base, 2
    while title.casefold() in used:
        suffix = f" ({number})"
        title, number = base[: _TITLE_LENGTH - len(suffix)] + suffix, number + 1
    used.add(title.casefold())
    return title


def answers_table(rows: Sequence[ExportRow]) -> list[list[object]]:
    """An operator's answer export as a table: the header, then one row per answer."""
    return [list(ANSWER_COLUMNS), *(list(astuple(row)) for row in rows)]


async def operator_answers(
    db: Database, cipher: TextCipher, clock: Clock, how: str
) -> list[ExportRow]:
    """Every answer, pseudonymised, for an operator (`straatwijs export`); the export
    is written to the audit log in the same transaction that reads the rows."""

    def work(session: Session) -> list[ExportRow]:
        found = Repository(session, cipher).export_rows()
        record_export_in(session, clock.now(), None, found, how)
        return found

    return await db.write(work)  # may create the pseudonym salt once


def _cell(value: object) -> object:
    """A value as a spreadsheet may take it. A time with its zone (the operator's
    export, read by machines) becomes ISO 8601 text; a local wall-clock time (the
    dashboard's, read by people) stays a time, Excel's own date type."""
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.isoformat(timespec="seconds")
    if isinstance(value, str):
        # Excel strips or rejects control characters; a formula must stay text.
        value = "".join(ch for ch in value if ch in "\t\n" or ch >= " ")
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def _csv_cell(value: object) -> object:
    """A value in a CSV file: a local time as the pages write it (Excel reads it as a
    date in any language), everything else as `_cell` leaves it."""
    found = _cell(value)
    return found.strftime("%Y-%m-%d %H:%M") if isinstance(found, datetime) else found


async def pseudonymiser(db: Database) -> Pseudonymiser:
    """Keyed pseudonyms for people (stable in this database, meaningless outside it);
    the first call stores the key."""

    def work(session: Session) -> Pseudonymiser:
        return Repository(session).pseudonymiser()

    return await db.write(work)
