"""Running compiled statements on the driver's cursor (see bot/store/direct.py for why).

`Prepared` compiles a statement once per dialect and keeps the column types' own
value converters, so JSON and UTC datetimes read and write exactly as through the
ORM; `Direct` executes prepared statements inside a transaction that its caller
opened and will commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import ClauseElement, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for one dialect, with its value converters."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, cast(ClauseElement, statement).compile(dialect=dialect))
        self.sql = compiled.string
        params = {name: param for param, name in compiled.bind_names.items()}
        positions = compiled.positiontup or []
        self.names: Sequence[str] = positions if dialect.positional else list(params)
        self.defaults = {n: p.value for n, p in params.items() if not p.required}
        self.binders: dict[str, Processor] = {
            n: p.type.dialect_impl(dialect).bind_processor(dialect) for n, p in params.items()
        }
        columns = getattr(statement, "selected_columns", None)
        if columns is None:  # INSERT ... RETURNING
            columns = getattr(statement, "exported_columns", ())
        self.readers: list[Processor] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns or ()
        ]
        self.positional = dialect.positional

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        merged = {**self.defaults, **values}
        converted = {}
        for name in self.names:
            value = merged[name]
            binder = self.binders[name]
            converted[name] = binder(value) if binder is not None else value
        return [converted[n] for n in self.names] if self.positional else converted

    def convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            reader(value) if reader is not None else value
            for reader, value in zip(self.readers, row, strict=True)
        )


Builder = Callable[[str], Executable]


class Statements:
    """Statements compiled on first use, per builder and dialect (once per process).

    A builder is a module-level function that makes the statement for a dialect
    name; modules keep their builders next to the code that runs them.
    """

    def __init__(self) -> None:
        self._compiled: dict[tuple[Builder, str], Prepared] = {}
        self._lock = threading.Lock()

    def get(self, builder: Builder, dialect: Dialect) -> Prepared:
        key = (builder, dialect.name)
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                found = Prepared(builder(dialect.name), dialect)
                self._compiled[key] = found
        return found


STATEMENTS = Statements()


class Direct:
    """Statements on a driver cursor, inside a transaction opened by the caller."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect
        self.postgres = dialect.name == "postgresql"

    @classmethod
    def of(cls, session: Session) -> Direct:
        """The same transaction as `session` (its connection's driver cursor)."""
        connection = session.connection()
        return cls(connection.connection.driver_connection.cursor(), connection.dialect)  # type: ignore[union-attr]

    def rows(self, builder: Builder, **values: Any) -> list[tuple[Any, ...]]:
        prepared = STATEMENTS.get(builder, self.dialect)
        self.cursor.execute(prepared.sql, prepared.parameters(values))
        return [prepared.convert(row) for row in self.cursor.fetchall()]

    def first(self, builder: Builder, **values: Any) -> tuple[Any, ...] | None:
        found = self.rows(builder, **values)
        return found[0] if found else None

    def run(self, builder: Builder, **values: Any) -> int:
        """Execute a write; the number of rows it touched."""
        prepared = STATEMENTS.get(builder, self.dialect)
        self.cursor.execute(prepared.sql, prepared.parameters(values))
        return int(self.cursor.rowcount)
