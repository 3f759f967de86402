"""Export answers as CSV or Excel: one row per answer, pseudonymised."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple, fields

from bot.store.repo import ExportRow

COLUMNS = [f.name for f in fields(ExportRow)]


def to_csv(rows: Sequence[ExportRow]) -> str:
    """CSV text with a header row; timestamps in ISO 8601 UTC."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in astuple(row)])
    return buffer.getvalue()


def to_xlsx(rows: Sequence[ExportRow]) -> bytes:
    """An Excel workbook with one sheet `answers`."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "answers"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([_cell(v) for v in astuple(row)])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="seconds")  # type: ignore[union-attr]
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never let a spreadsheet run an answer as a formula
    return value
