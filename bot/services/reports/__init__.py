"""Reports: every figure about a group that someone other than its members' own
trainer sees, under one disclosure model (`disclosure.py`).

Where each job lives:

- `aggregates`: the `Aggregates` service and every query the reports run;
- `overview`, `exercise`, `questions`: the pages, from rows to decided cells;
- `report`: one report over every scope a coordinator can switch to;
- `disclosure`: the rule that decides which figures may be shown;
- `records`: the rows read, as plain values; `tables`: the results handed out;
- `texts`: titles, questions and option labels in the viewer's locale;
- `export`: the tables as a coordinator's CSV and Excel files, in their words.
"""

from bot.services.reports.aggregates import Aggregates
from bot.services.reports.disclosure import (
    DECIMALS,
    HIDDEN,
    MIN_CELL,
    NOT_APPLICABLE,
    PROTECTED,
    PROTECTING,
    RATIO_FORMAT,
    SUPPRESSED,
    Cell,
    Figures,
    Ledger,
    count,
    mean,
    partition,
    percent,
)
from bot.services.reports.export import figure_lines, figure_notes, figure_sheets
from bot.services.reports.tables import (
    Distribution,
    ExerciseStats,
    FreeTextRefused,
    NotPublished,
    Overview,
    Row,
    Scope,
    Table,
    UnknownQuestion,
    questions_table,
)

__all__ = [
    "DECIMALS",
    "HIDDEN",
    "MIN_CELL",
    "NOT_APPLICABLE",
    "PROTECTED",
    "PROTECTING",
    "RATIO_FORMAT",
    "SUPPRESSED",
    "Aggregates",
    "Cell",
    "Distribution",
    "ExerciseStats",
    "Figures",
    "FreeTextRefused",
    "Ledger",
    "NotPublished",
    "Overview",
    "Row",
    "Scope",
    "Table",
    "UnknownQuestion",
    "count",
    "figure_lines",
    "figure_notes",
    "figure_sheets",
    "mean",
    "partition",
    "percent",
    "questions_table",
]
