"""CSV and Excel files: the one exporter, for the dashboard and the command line.

Callers build the rows from what the viewer may see (a trainer's group answers,
a coordinator's figures from the reports service, an operator's pseudonymised
answers); this module only writes them, and defuses every cell a spreadsheet
would run as a formula, the same way for every export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple, fields
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.privacy import TextCipher
from bot.services.audit import record_export_in
from bot.store.db import Database
from bot.store.repo import ExportRow, Pseudonymiser, Repository

#: The header of an operator's answer export, one column per ExportRow field.
ANSWER_COLUMNS = [f.name for f in fields(ExportRow)]


def to_csv(rows: Sequence[Sequence[object]], excel: bool = True) -> bytes:
    """UTF-8 CSV. For Excel (the dashboard's downloads) with a byte order mark, so
    accented letters open correctly, and CRLF line ends; plain for pipes otherwise."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if excel else "\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return (("\ufeff" if excel else "") + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Sequence[object]], sheet_name: str) -> bytes:
    """One sheet, the first row frozen as the header."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_name[:31]
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


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
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        # Excel strips or rejects control characters; a formula must stay text.
        value = "".join(ch for ch in value if ch in "\t\n" or ch >= " ")
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


async def pseudonymiser(db: Database) -> Pseudonymiser:
    """Keyed pseudonyms for people (stable in this database, meaningless outside it);
    the first call stores the key."""

    def work(session: Session) -> Pseudonymiser:
        return Repository(session).pseudonymiser()

    return await db.write(work)
