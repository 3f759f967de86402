"""Callback data carried by inline buttons, at most 64 bytes.

Run buttons carry the run id and the step they were made for, so a press on
an old message, a finished run or another run is recognised and answered kindly
instead of changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import Confirm, Continue, Input, Nav, Pick, Toggle

MAX_BYTES = 64
# Ids in callback data end up in SQL; a number beyond the integer columns is forged.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class RunPress:
    run_id: int
    step: int
    given: Input


@dataclass(frozen=True)
class MenuPress:
    view: str  # "top", "parts", "k:<kind>", "p:<part>"


@dataclass(frozen=True)
class OpenPress:
    dialogue_id: str


@dataclass(frozen=True)
class LocalePress:
    locale: str


@dataclass(frozen=True)
class ConsentPress:
    code: str | None  # None: declined


Press = RunPress | MenuPress | OpenPress | LocalePress | ConsentPress

_RUN_CODES = {
    "c": Confirm(),
    "n": Continue(),
    "b": Nav("back"),
    "z": Nav("pause"),
    "x": Nav("stop"),
}


def run_button(run_id: int, step: int, code: str, option: str | None = None) -> str:
    """`r:<run>:<step>:<code>[:<option>]`: p pick, t toggle, c confirm, n continue, b/z/x nav."""
    data = f"r:{run_id}:{step}:{code}" + (f":{option}" if option is not None else "")
    return _checked(data)


def nav_code(action: str) -> str:
    return {"back": "b", "pause": "z", "stop": "x"}[action]


def menu_button(view: str) -> str:
    return _checked(f"m:{view}")


def open_button(dialogue_id: str) -> str:
    return _checked(f"o:{dialogue_id}")


def locale_button(locale: str) -> str:
    return _checked(f"l:{locale}")


def consent_button(code: str | None) -> str:
    return _checked(f"j:{code}" if code else "j-")


def parse(data: str | None) -> Press | None:
    """The press a button stands for, or None for data we never made."""
    if not data:
        return None
    head, _, rest = data.partition(":")
    if head == "r":
        return _parse_run(rest)
    if head == "m" and rest:
        return MenuPress(rest)
    if head == "o" and rest:
        return OpenPress(rest)
    if head == "l" and rest:
        return LocalePress(rest)
    if head == "j" and rest:
        return ConsentPress(rest)
    if data == "j-":
        return ConsentPress(None)
    return None


def _parse_run(rest: str) -> RunPress | None:
    parts = rest.split(":", 3)
    if len(parts) < 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    run_id, step, code = int(parts[0]), int(parts[1]), parts[2]
    if run_id > MAX_ID or step > MAX_ID:
        return None
    option = parts[3] if len(parts) == 4 else None
    if code == "p" and option:
        return RunPress(run_id, step, Pick(option))
    if code == "t" and option:
        return RunPress(run_id, step, Toggle(option))
    if code in _RUN_CODES and option is None:
        return RunPress(run_id, step, _RUN_CODES[code])
    return None


def in_range(arg: str) -> bool:
    """False for a number too large for an id column (only forged data has one)."""
    try:
        return abs(int(arg)) <= MAX_ID
    except ValueError:
        return True  # not a number: the handlers refuse it themselves


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data
