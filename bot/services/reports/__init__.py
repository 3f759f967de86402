"""Reports: every figure about a group that someone other than its members' own
trainer sees, under one disclosure model (`disclosure.py`).

Where each job lives:

- `aggregates`: the `Aggregates` service and every query the reports run;
- `overview`, `exercise`, `questions`: the pages, from rows to decided cells;
- `report`: one report over every scope a coordinator can switch to;
- `disclosure`: the rule that decides which figures may be shown;
- `records`: the rows read, as plain values; `tables`: the results handed out;
- `texts`: titles, questions and option labels in the viewer's locale.
"""

from bot.services.reports.aggregates import Aggregates
from bot.services.reports.disclosure import (
    HIDDEN,
    MIN_CELL,
    NOT_APPLICABLE,
    PROTECTED,
    PROTECTING,
    SUPPRESSED,
    Cell,
    Figures,
    Ledger,
    count,
    mean,
    partition,
    percent,
)
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
    export_rows,
)

__all__ = [
    "HIDDEN",
    "MIN_CELL",
    "NOT_APPLICABLE",
    "PROTECTED",
    "PROTECTING",
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
    "export_rows",
    "mean",
    "partition",
    "percent",
]
