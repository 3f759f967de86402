"""Pydantic's validation errors, retold as problems in the author's words.

Pydantic reports a location in its own terms (union members, `if_` for `if`)
and in a programmer's vocabulary; an author needs the line in the file, the key
as written, and what to type instead.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from bot.dialogues import model
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import PathKey, YamlDoc

Loc = tuple[int | str, ...]
# A pydantic error, the path into the data it concerns, the file -> the problem to report.
Explain = Callable[[ErrorDetails, PathKey, YamlDoc], Problem]

_TYPE_HINTS = {
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "enum": "pick one of the values listed",
    "literal_error": "pick one of the values listed",
    "dict_type": "write a mapping (key: value lines)",
    "list_type": "write a list ([a, b] or '- item' lines)",
    "too_short": "add at least one entry",
}


def explain_errors(errors: list[ErrorDetails], doc: YamlDoc) -> list[Problem]:
    """One problem per mistake, on its line (a union reports a mistake once per member)."""
    return [_explain(error, doc) for error in _closest_alternatives(errors, doc.data)]


def _closest_alternatives(errors: list[ErrorDetails], data: object) -> list[ErrorDetails]:
    """A value that fits no member of a union fails once per member (`say: Hallo`
    is neither a text key nor a list); keep only the member that came closest:
    deepest into the data, else more than a type mismatch, else the first."""
    groups: dict[Loc, dict[int | str | None, list[ErrorDetails]]] = {}
    for error in errors:
        loc = tuple(error["loc"])
        cut = _last_tag(data, loc[:-1] if error["type"] == "missing" else loc)
        key, tag = (loc[:cut], loc[cut]) if cut is not None else (loc, None)
        groups.setdefault(key, {}).setdefault(tag, []).append(error)

    def closeness(branch: list[ErrorDetails]) -> tuple[int, bool]:
        depth = max(len(_data_path(data, e["loc"])) for e in branch)
        return depth, not all(e["type"].endswith("_type") for e in branch)

    kept: list[ErrorDetails] = []
    for branches in groups.values():
        closest = max(branches.values(), key=closeness)
        kept.extend(closest)
    return kept


def _last_tag(data: object, loc: Loc) -> int | None:
    """Index of the last loc entry that names a union member rather than data."""
    last = None
    current = data
    for index, part in enumerate(loc):
        if isinstance(current, dict) and isinstance(part, str):
            key = part if part in current else part.rstrip("_")
            if key in current:
                current = current[key]
                continue
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            continue
        last = index
    return last


def _data_path(data: object, loc: Loc) -> PathKey:
    """Keep only loc entries that index the actual data (pydantic adds union tags)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        key: Any = part
        if isinstance(current, dict):
            if key not in current and key.rstrip("_") in current:
                key = key.rstrip("_")
            if key in current:
                path.append(key)
                current = current[key]
        elif isinstance(current, list) and isinstance(key, int) and 0 <= key < len(current):
            path.append(key)
            current = current[key]
    return tuple(path)


def _explain(error: ErrorDetails, doc: YamlDoc) -> Problem:
    """Turn one pydantic error into a Problem on the right line, in author's words."""
    path = _data_path(doc.data, error["loc"])
    explain = _EXPLAIN.get(error["type"], _as_reported)
    return explain(error, path, doc)


def _unknown_key(error: ErrorDetails, path: PathKey, doc: YamlDoc) -> Problem:
    key = str(path[-1]) if path else "?"
    close = difflib.get_close_matches(key, sorted(_known_keys()), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "remove it; see the format in README.md"
    return doc.problem(path, f"unknown key '{key}' in {_parent(path)}", hint)


def _missing_key(error: ErrorDetails, path: PathKey, doc: YamlDoc) -> Problem:
    field_name = str(error["loc"][-1])
    return doc.problem(
        path, f"missing key '{field_name}' in {_where(path)}", f"add '{field_name}: ...'"
    )


def _not_a_name(error: ErrorDetails, path: PathKey, doc: YamlDoc) -> Problem:
    """A pattern mismatch: a text key (the pattern has a dot) or an identifier."""
    value = error.get("input")
    pattern = error.get("ctx", {}).get("pattern", "")
    if "\\." in pattern:
        return doc.problem(
            path,
            f"{_where(path)}: '{value}' is not a text key",
            "text keys look like 'dialogue_id.text_name' and live in content/<locale>/",
        )
    return doc.problem(
        path,
        f"{_where(path)}: '{value}' is not a valid name",
        "use lowercase letters, digits and '_', starting with a letter",
    )


def _not_a_string(error: ErrorDetails, path: PathKey, doc: YamlDoc) -> Problem:
    """`yes`, `no`, `true` unquoted: YAML made a boolean of what was meant as a word."""
    value = error.get("input")
    if not isinstance(value, bool):
        return _as_reported(error, path, doc)
    return doc.problem(
        path,
        f"{_where(path)}: YAML reads this value as {str(value).lower()}",
        "quote it: YAML reads true/false as booleans",
    )


def _as_reported(error: ErrorDetails, path: PathKey, doc: YamlDoc) -> Problem:
    """Pydantic's own message (our validators' messages are written for authors)."""
    message = error["msg"].removeprefix("Value error, ")
    return doc.problem(
        path,
        f"{_where(path)}: {message} (got {_short(error.get('input'))})",
        _TYPE_HINTS.get(error["type"], ""),
    )


_EXPLAIN: dict[str, Explain] = {
    "extra_forbidden": _unknown_key,
    "missing": _missing_key,
    "string_pattern_mismatch": _not_a_name,
    "string_type": _not_a_string,
    "str_type": _not_a_string,
}


def _where(path: PathKey) -> str:
    return ".".join(str(p) for p in path) or "file"


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _parent(path: PathKey) -> str:
    return ".".join(str(p) for p in path[:-1]) or "the top level"


def _known_keys() -> set[str]:
    """Every key the file format knows, for 'did you mean' hints."""
    models = [
        obj
        for obj in vars(model).values()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == model.__name__
    ]
    return {info.alias or name for m in models for name, info in m.model_fields.items()}
