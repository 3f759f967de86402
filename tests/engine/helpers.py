"""Helpers that make engine tests read like a chat."""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.dialogues.catalog import Catalog, load_valid_catalog
from bot.engine import Context, Engine, Input, Outcome, RunState, Say

HERE = Path(__file__).parent
REPO = HERE.parent.parent
FIXTURES = HERE / "fixtures"
LOCALES = ("nl", "en")
NL = Context("nl", "Sam")
EN = Context("en", "Sam")
UNFILLED = re.compile(r"\{[a-z_][a-z0-9_]*\}")


def shipped_files() -> list[Path]:
    """Every dialogue file the project ships (new ones are picked up by themselves)."""
    return sorted((REPO / "dialogues").glob("*.y*ml"))


@functools.cache
def shipped_catalog() -> Catalog:
    return load_valid_catalog([REPO / "dialogues"], REPO / "content", list(LOCALES), root=REPO)


@functools.cache
def shipped_engine() -> Engine:
    return Engine(shipped_catalog())


def shipped_id(path: Path) -> str:
    """The id of the dialogue loaded from `path`."""
    shown = path.relative_to(REPO).as_posix()
    return next(did for did, d in shipped_catalog().dialogues.items() if d.file == shown)


def shared_texts(code: str) -> list[Path]:
    """The real content files that belong to no shipped dialogue (common, channel, ...)."""
    dialogues = {p.stem for p in (REPO / "dialogues").glob("*.yaml")}
    return [p for p in (REPO / "content" / code).glob("*.yaml") if p.stem not in dialogues]


def content_dir(target: Path, extra: Path = FIXTURES / "content") -> Path:
    """The real shared texts plus the fixture dialogue's texts, per locale."""
    for code in LOCALES:
        folder = target / code
        folder.mkdir(parents=True, exist_ok=True)
        for path in shared_texts(code):
            shutil.copy(path, folder / path.name)
        for path in (extra / code).glob("*.yaml"):
            shutil.copy(path, folder / path.name)
    return target


def as_input(given: str | Input) -> Input:
    """A plain string is something typed."""
    return Say(given) if isinstance(given, str) else given


@dataclass
class Transcript:
    """Everything that happened in a walk: one outcome per input, the start first."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def last(self) -> Outcome:
        return self.outcomes[-1]

    @property
    def run(self) -> RunState:
        return self.last.run

    @property
    def statuses(self) -> list[str]:
        return [o.status for o in self.outcomes]


def walk(
    engine: Engine,
    dialogue_id: str,
    inputs: Iterable[str | Input],
    ctx: Context = NL,
    run: RunState | None = None,
) -> Transcript:
    """Start (or continue `run`) and apply each input in turn, like a person would."""
    transcript = Transcript()
    if run is None:
        transcript.outcomes.append(engine.start(dialogue_id, ctx))
        run = transcript.run
    for given in inputs:
        transcript.outcomes.append(engine.handle(run, as_input(given), ctx))
        run = transcript.run
    return transcript


def texts(outcome: Outcome) -> list[str]:
    return [reply.text for reply in outcome.replies]


def text(outcome: Outcome) -> str:
    """All reply texts of an outcome as one string, for `in` checks."""
    return "\n".join(texts(outcome))
