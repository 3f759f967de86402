"""A coordinator's figures as files they can use in Excel, in their own language.

The cells are the page's own, decided by the disclosure model (tables.py); this
module only lays them out and names them with texts from content/ (`web.export.*`).

- Excel: one sheet per table, wide like the page (a row per group, exercise, step
  or answer, a column per measure), because a coordinator reads and copies these
  tables into a report rather than pivoting them. A shown figure is a number (an
  int for a count, a float with one decimal for an average or a percentage), a
  hidden one its mark as text. A last sheet explains every sheet, column and mark.
- CSV: a file holds one table, and the tables differ in their columns, so the same
  figures go in the long format: one line per figure, the table and the measure
  named in the viewer's words, figures written as the page writes them ("4,4").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.services.exports import Sheet, Wording
from bot.services.reports.disclosure import RATIO_FORMAT, SUPPRESSED, Cell
from bot.services.reports.tables import Scope, Table

#: The funnel's extra column: the step a drop-off is counted from (Row.since).
SINCE = "dropped_off_since"


def kind_of(table: Table) -> str:
    """The part of a table's name its texts are keyed by ("question:keuze" -> "question")."""
    return table.name.partition(":")[0]


def figure_sheets(scope: Scope, tables: Sequence[Table], words: Wording) -> list[Sheet]:
    """One wide sheet per table: the unit, the row's label, then a column per measure."""
    protected = words("web.cell.protected")
    sheets = []
    for table in tables:
        kind, columns = kind_of(table), _columns(table)
        header = [
            words("web.export.unit"),
            words(f"web.export.item.{kind}"),
            *(words(f"web.export.column.{kind}.{column}") for column in columns),
        ]
        rows = [
            [
                scope.label,
                row.label,
                *(_figure(cell, protected) for cell in row.cells),
                *([row.since] if SINCE in columns else []),
            ]
            for row in table.rows
        ]
        sheets.append(Sheet(_title(table, words), header, rows, ratio_format=RATIO_FORMAT))
    return sheets


def figure_lines(scope: Scope, tables: Sequence[Table], words: Wording) -> list[list[object]]:
    """The long format for CSV: a header, then one line per figure of every table.
    A cell without a figure by its nature (no drop-off before the first step) has
    no line, as before; where a drop-off is counted from is a line of its own."""
    protected, decimal = words("web.cell.protected"), words("web.number.decimal")
    names = ("organisation", "unit", "table", "row", "measure", "value")
    lines: list[list[object]] = [[words(f"web.export.{name}") for name in names]]
    for table in tables:
        kind, title = kind_of(table), _title(table, words)
        for row in table.rows:
            head = [scope.organisation, scope.label, title, row.label]
            for column, cell in zip(table.columns, row.cells, strict=True):
                if cell.applicable:
                    measure = words(f"web.export.column.{kind}.{column}")
                    lines.append([*head, measure, cell.text(protected, decimal)])
            if row.since:
                lines.append([*head, words(f"web.export.column.{kind}.{SINCE}"), row.since])
    return lines


def figure_notes(
    scope: Scope, tables: Sequence[Table], sheets: Sequence[Sheet], words: Wording, made: datetime
) -> Sheet:
    """The explanation sheet: what the figures are about, the marks and the decimals,
    then every sheet and each of its columns (the CSV has no room for this; the
    README points to this sheet)."""
    protected = words("web.cell.protected")
    rows: list[list[object]] = [
        ["", words("web.export.organisation"), scope.organisation],
        ["", words("web.export.unit"), scope.label],
        ["", words("web.export.made"), made],
        ["", words("web.export.numbers"), words("web.export.explain.numbers")],
        ["", SUPPRESSED, words("web.export.explain.suppressed")],
        ["", protected, words("web.export.explain.protected")],
        ["", 0, words("web.export.explain.zero")],
        ["", words("web.export.empty"), words("web.export.explain.empty")],
    ]
    asked = {row.key: row.label for t in tables if t.name == "questions" for row in t.rows}
    for table, sheet in zip(tables, sheets, strict=True):
        kind, key = kind_of(table), table.name.partition(":")[2]
        about = words(f"web.export.about.{kind}", question=asked.get(key, key))
        rows.append([sheet.title, "", about])
        rows.append([sheet.title, sheet.header[0], words("web.export.explain.unit")])
        rows.append([sheet.title, sheet.header[1], words(f"web.export.explain.{kind}.item")])
        for column, head in zip(_columns(table), sheet.header[2:], strict=True):
            rows.append([sheet.title, head, words(f"web.export.explain.{kind}.{column}")])
    header = [words(f"web.export.notes_{name}") for name in ("sheet", "column", "meaning")]
    return Sheet(words("web.export.notes"), header, rows, wrap=True)


def _columns(table: Table) -> list[str]:
    """A table's measures, and for a funnel where each drop-off is counted from."""
    columns = list(table.columns)
    if kind_of(table) == "funnel" or any(row.since for row in table.rows):
        columns.append(SINCE)
    return columns


def _title(table: Table, words: Wording) -> str:
    """The sheet's name: the table's, a question's with its key ("Vraag keuze")."""
    return words(f"web.export.sheet.{kind_of(table)}", key=table.name.partition(":")[2])


def _figure(cell: Cell, protected: str) -> object:
    """A cell in a spreadsheet: its number, typed by the decimals policy, or its mark
    as text ("< 5", or the viewer's word for a protecting cell); empty when there is
    no figure by its nature."""
    if not cell.applicable:
        return None
    if cell.number is None:
        return protected if cell.protects else SUPPRESSED
    return cell.value
