"""CSV and Excel files for the dashboard's exports.

The rows are built by the views from what the viewer may see (a trainer's
group answers, a coordinator's suppressed aggregates); this module only writes
them, defusing cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime


def to_csv(rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 with a byte order mark, so Excel opens accented letters correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Sequence[object]], sheet_name: str) -> bytes:
    """One sheet, the first row frozen as the header."""
    from openpyxl import Workbook

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


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        # Excel strips or rejects control characters; a formula must stay text.
        value = "".join(ch for ch in value if ch in "\t\n" or ch >= " ")
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value
