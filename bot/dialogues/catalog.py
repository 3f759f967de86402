"""Load, validate and version a set of dialogues with their texts.

This is the single entry point for everything that needs dialogues: the CLI's
`validate`, and `run`, `try` and `web`, which refuse to start on any problem.
Loading gathers every problem rather than stopping at the first, so an author
fixes a whole file in one round; the checks themselves live in `checks/`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from bot.dialogues.checks import (
    check_dialogue,
    check_incomplete_cards,
    check_library_cards,
    check_repeated_support,
    check_required_texts,
    check_texts,
    check_translation_gaps,
)
from bot.dialogues.checks.texts import text_keys
from bot.dialogues.contacts import contact_key
from bot.dialogues.content import (
    DEFAULT_LOCALE,
    Locale,
    available_locales,
    load_locale,
    placeholders,
)
from bot.dialogues.model import Dialogue
from bot.dialogues.problems import InvalidDialogues, Problem
from bot.dialogues.validation_errors import explain_errors
from bot.dialogues.yamlsource import YamlDoc, YamlError, display_name, load_yaml


@dataclass(frozen=True)
class LoadedDialogue:
    """A valid dialogue with its source file and content hash."""

    spec: Dialogue
    file: str
    version: str


@dataclass
class Catalog:
    """A valid set of dialogues and the locales they are written in."""

    dialogues: dict[str, LoadedDialogue]
    locales: dict[str, Locale]
    default_locale: str = DEFAULT_LOCALE
    files: list[str] = field(default_factory=list)

    def cards(self) -> list[str]:
        """Ids of the knowledge library's cards (`kennis.<id>.title` in the default locale)."""
        locale = self.locales.get(self.default_locale)
        if locale is None:
            return []
        ids = {
            k.split(".")[1] for k in locale.texts if k.startswith("kennis.") and k.count(".") == 2
        }
        return sorted(ids)

    def contact_dialogues(self) -> frozenset[str]:
        """Ids of the dialogues with a `{contact.*}` placeholder in some locale: only
        their runs need the person's local contacts looked up."""
        found = set()
        for did, loaded in self.dialogues.items():
            for key, _ in text_keys(loaded.spec):
                texts = (locale.get(key) or "" for locale in self.locales.values())
                if any(contact_key(name) for text in texts for name in placeholders(text)):
                    found.add(did)
                    break
        return frozenset(found)

    def text(self, locale: str, key: str) -> str:
        """A text in `locale`, falling back to the default locale, then to the key itself."""
        for code in (locale, self.default_locale):
            loc = self.locales.get(code)
            value = loc.get(key) if loc else None
            if value is not None:
                return value
        return key


def version_of(dialogue: Dialogue) -> str:
    """Content hash of a dialogue's structure; a run pins the version it started on."""
    canonical = json.dumps(
        dialogue.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def dialogue_files(paths: list[Path]) -> list[Path]:
    """The YAML files named, or found (not recursively) in the folders named."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    return files


def load_catalog(
    dialogue_paths: list[Path],
    content_dir: Path,
    locales: list[str] | None = None,
    root: Path | None = None,
) -> tuple[Catalog, list[Problem]]:
    """Load dialogues and texts; return what is valid plus every problem found.

    `locales` are the locales whose texts are checked (default: all present).
    """
    problems: list[Problem] = []
    loaded_locales = _load_locales(content_dir, locales, root, problems)
    files = dialogue_files(dialogue_paths)
    if not files:
        problems.append(
            Problem(
                ", ".join(str(p) for p in dialogue_paths) or ".",
                1,
                "no dialogue files found",
                "dialogue files end in .yaml",
            )
        )
    dialogues = _load_dialogues(files, loaded_locales, root, problems)
    specs = [d.spec for d in dialogues.values()]
    for locale in loaded_locales.values():
        problems.extend(check_library_cards(locale))
        problems.extend(check_repeated_support(specs, locale))
    catalog = Catalog(dialogues, loaded_locales, files=[display_name(f, root) for f in files])
    return catalog, sorted(set(problems))


def _load_locales(
    content_dir: Path, wanted: list[str] | None, root: Path | None, problems: list[Problem]
) -> dict[str, Locale]:
    """The locales asked for (all present when None), checked on their own and
    against each other; their problems go to `problems`."""
    present = available_locales(content_dir)
    loaded: dict[str, Locale] = {}
    for code in wanted if wanted is not None else present:
        if code not in present:
            shown = ", ".join(present) or "none"
            problems.append(
                Problem(
                    display_name(content_dir, root),
                    1,
                    f"unknown locale '{code}' (available: {shown})",
                    f"create {content_dir}/{code}/ or pick an available locale",
                )
            )
            continue
        locale, locale_problems = load_locale(content_dir, code, root)
        problems.extend(locale_problems)
        problems.extend(check_required_texts(locale, content_dir, root))
        loaded[code] = locale
    problems.extend(check_translation_gaps(loaded))
    problems.extend(check_incomplete_cards(loaded))
    return loaded


def _load_dialogues(
    files: list[Path], locales: dict[str, Locale], root: Path | None, problems: list[Problem]
) -> dict[str, LoadedDialogue]:
    """The dialogues that parse, each with its texts checked in every locale; a
    second file with a taken id is refused, so the first one keeps its runs."""
    dialogues: dict[str, LoadedDialogue] = {}
    for path in files:
        name = display_name(path, root)
        dialogue, doc, file_problems = parse_dialogue(path, name)
        problems.extend(file_problems)
        if dialogue is None or doc is None:
            continue
        if dialogue.id in dialogues:
            first = dialogues[dialogue.id].file
            problems.append(
                doc.problem(
                    ("id",),
                    f"duplicate dialogue id '{dialogue.id}' (also in {first})",
                    "every dialogue needs its own id",
                )
            )
            continue
        for locale in locales.values():
            problems.extend(check_texts(dialogue, doc, locale))
        dialogues[dialogue.id] = LoadedDialogue(dialogue, name, version_of(dialogue))
    return dialogues


def load_valid_catalog(
    dialogue_paths: list[Path],
    content_dir: Path,
    locales: list[str] | None = None,
    root: Path | None = None,
) -> Catalog:
    """Load a catalog or raise InvalidDialogues with every problem."""
    catalog, problems = load_catalog(dialogue_paths, content_dir, locales, root)
    if problems:
        raise InvalidDialogues(problems)
    return catalog


def parse_dialogue(path: Path, name: str) -> tuple[Dialogue | None, YamlDoc | None, list[Problem]]:
    """Parse and check one dialogue file."""
    try:
        doc = load_yaml(path, name)
    except YamlError as exc:
        return None, None, exc.problems
    if not isinstance(doc.data, dict):
        return (
            None,
            doc,
            [
                Problem(
                    name, 1, "a dialogue file must be a mapping with id, kind, part, ... and states"
                )
            ],
        )
    try:
        dialogue = Dialogue.model_validate(doc.data)
    except ValidationError as exc:
        return None, doc, explain_errors(exc.errors(), doc)
    return dialogue, doc, check_dialogue(dialogue, doc)
