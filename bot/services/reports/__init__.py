"""Reports: every figure about a group that someone other than its members' own
trainer sees, under one disclosure model (`disclosure.py`)."""

from bot.services.reports.aggregates import (
    Aggregates,
    Distribution,
    ExerciseStats,
    FreeTextRefused,
    Overview,
    Scope,
    Table,
    UnknownQuestion,
    export_rows,
)
from bot.services.reports.disclosure import (
    HIDDEN,
    MIN_CELL,
    NOT_APPLICABLE,
    SUPPRESSED,
    Cell,
    Figures,
    Ledger,
    count,
    mean,
    partition,
    percent,
)

__all__ = [
    "HIDDEN",
    "MIN_CELL",
    "NOT_APPLICABLE",
    "SUPPRESSED",
    "Aggregates",
    "Cell",
    "Distribution",
    "ExerciseStats",
    "Figures",
    "FreeTextRefused",
    "Ledger",
    "Overview",
    "Scope",
    "Table",
    "UnknownQuestion",
    "count",
    "export_rows",
    "mean",
    "partition",
    "percent",
]
