"""Load, validate and version a set of dialogues with their texts.

This is the single entry point for everything that needs dialogues: the CLI's
`validate`, and `run`, `try` and `web`, which refuse to start on any problem.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.dialogues.checks import (
    check_dialogue,
    check_library_cards,
    check_repeated_support,
    check_texts,
)
from bot.dialogues.content import DEFAULT_LOCALE, Locale, available_locales, load_locale
from bot.dialogues.model import Dialogue
from bot.dialogues.problems import InvalidDialogues, Problem
from bot.dialogues.yamlsource import YamlDoc, YamlError, load_yaml

# Texts the engine and channels use for every dialogue; each locale must have them.
COMMON_KEYS: tuple[str, ...] = (
    "common.nav.back",
    "common.nav.pause",
    "common.nav.stop",
    "common.continue",
    "common.yes",
    "common.no",
    "common.confirm",
    "common.progress",
    "common.card",
    "common.reprompt.choice",
    "common.reprompt.multi_min",
    "common.reprompt.multi_max",
    "common.reprompt.scale",
    "common.reprompt.yesno",
    "common.reprompt.continue",
    "common.reprompt.text_empty",
    "common.reprompt.text_short",
    "common.reprompt.text_long",
    "common.reprompt.media",
    "common.reprompt.identifying",
    "common.identifying.bsn",
    "common.identifying.phone",
    "common.identifying.email",
    "common.identifying.iban",
    "common.identifying.postcode",
    "common.identifying.address",
    "common.identifying.plate",
    "common.identifying.birthdate",
    "common.identifying.handle",
    "common.identifying.name",
    "common.notice.paused",
    "common.notice.stopped",
    "common.notice.changed",
    "common.notice.stale",
    "common.notice.no_back",
    "common.echo",
    "common.privacy_reminder",
    "common.console.choice",
    "common.console.multi",
    "common.console.scale",
    "common.console.yesno",
    "common.console.text",
    "common.console.continue",
    "common.console.nav",
)


# Texts of the Telegram channel; checked like the common texts.
BOT_KEYS: tuple[str, ...] = (
    "bot.welcome",
    "bot.consent",
    "bot.consent_yes",
    "bot.consent_no",
    "bot.consent_declined",
    "bot.joined",
    "bot.joined_also",
    "bot.already_member",
    "bot.language_prompt",
    "bot.language_set",
    "bot.start_hint",
    "bot.no_invite",
    "bot.invite_invalid",
    "bot.invite_expired",
    "bot.invite_used_up",
    "bot.invite_removed",
    "bot.not_joined",
    "bot.help",
    "bot.unknown_command",
    "bot.nothing_open",
    "bot.edited",
    "bot.inactive_again",
    "bot.error",
    "bot.language_button_nl",
    "bot.language_button_en",
    "bot.consent_given",
    "bot.menu.title",
    "bot.menu.by_part",
    "bot.menu.parts_title",
    "bot.menu.back",
    "bot.menu.empty",
    "bot.menu.list_title",
    "bot.menu.minutes",
    "bot.menu.status_new",
    "bot.menu.status_in_progress",
    "bot.menu.status_done",
    "bot.menu.legend",
    "bot.menu.knowledge",
    "bot.menu.knowledge_title",
    "bot.kind.zelfkennis",
    "bot.kind.bewustwording",
    "bot.kind.straatscenario",
    "bot.part.kennis",
    "bot.part.bewustwording",
    "bot.part.handelingsintelligentie",
    "bot.part.zelfkennis",
    "bot.part.verbinding",
    "bot.commands.oefeningen",
    "bot.commands.hulp",
    "bot.commands.taal",
    "bot.commands.start",
)


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
    present = available_locales(content_dir)
    wanted = locales if locales is not None else present
    loaded_locales: dict[str, Locale] = {}
    for code in wanted:
        if code not in present:
            shown = ", ".join(present) or "none"
            problems.append(
                Problem(
                    _display(content_dir, root),
                    1,
                    f"unknown locale '{code}' (available: {shown})",
                    f"create {content_dir}/{code}/ or pick an available locale",
                )
            )
            continue
        locale, locale_problems = load_locale(content_dir, code, root)
        problems.extend(locale_problems)
        loaded_locales[code] = locale
        for key in (*COMMON_KEYS, *BOT_KEYS):
            if locale.get(key) is None:
                problems.append(
                    Problem(
                        _display(content_dir / code, root),
                        1,
                        f"required text '{key}' is missing in locale '{code}'",
                        f"add it to content/{code}/{key.split('.')[0]}.yaml",
                    )
                )
    problems.extend(_translation_gaps(loaded_locales))
    problems.extend(_incomplete_cards(loaded_locales))
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
    dialogues: dict[str, LoadedDialogue] = {}
    for path in files:
        name = _display(path, root)
        dialogue, doc, file_problems = parse_dialogue(path, name)
        problems.extend(file_problems)
        if dialogue is None or doc is None:
            continue
        if dialogue.id in dialogues:
            first = dialogues[dialogue.id].file
            problems.append(
                Problem(
                    name,
                    doc.line_of(("id",)),
                    f"duplicate dialogue id '{dialogue.id}' (also in {first})",
                    "every dialogue needs its own id",
                )
            )
            continue
        for locale in loaded_locales.values():
            problems.extend(check_texts(dialogue, doc, locale))
        dialogues[dialogue.id] = LoadedDialogue(dialogue, name, version_of(dialogue))
    for locale in loaded_locales.values():
        problems.extend(check_library_cards(locale))
        problems.extend(check_repeated_support([d.spec for d in dialogues.values()], locale))
    catalog = Catalog(dialogues, loaded_locales, files=[_display(f, root) for f in files])
    return catalog, sorted(set(problems))


CARD_FIELDS = ("title", "body", "source")


def _incomplete_cards(locales: dict[str, Locale]) -> list[Problem]:
    """Every knowledge-library card (`kennis.<id>`) needs a title, a body and a source."""
    problems = []
    for code, locale in locales.items():
        cards: dict[str, set[str]] = {}
        first: dict[str, Any] = {}
        for key, text in locale.texts.items():
            parts = key.split(".")
            if parts[0] != "kennis":
                continue
            if len(parts) != 3 or parts[2] not in CARD_FIELDS:
                problems.append(
                    Problem(
                        text.file,
                        text.line,
                        f"'{key}' is not a card field",
                        "use kennis.<id>.title, .body or .source",
                    )
                )
                continue
            cards.setdefault(parts[1], set()).add(parts[2])
            first.setdefault(parts[1], text)
        for card, fields in cards.items():
            for missing in [f for f in CARD_FIELDS if f not in fields]:
                text = first[card]
                problems.append(
                    Problem(
                        text.file,
                        text.line,
                        f"card 'kennis.{card}' has no {missing} in locale '{code}'",
                        f"add kennis.{card}.{missing}",
                    )
                )
    return problems


def _translation_gaps(locales: dict[str, Locale]) -> list[Problem]:
    """Every Dutch text must exist in each other locale checked, and the other way round."""
    reference = locales.get(DEFAULT_LOCALE)
    if reference is None:
        return []
    problems = []
    for code, locale in locales.items():
        if code == DEFAULT_LOCALE:
            continue
        for key in sorted(reference.texts.keys() - locale.texts.keys()):
            text = reference.texts[key]
            problems.append(
                Problem(
                    text.file,
                    text.line,
                    f"text '{key}' has no translation in locale '{code}'",
                    f"add it to content/{code}/",
                )
            )
        for key in sorted(locale.texts.keys() - reference.texts.keys()):
            text = locale.texts[key]
            problems.append(
                Problem(
                    text.file,
                    text.line,
                    f"text '{key}' exists in '{code}' but not in '{DEFAULT_LOCALE}'",
                    f"add the Dutch original to content/{DEFAULT_LOCALE}/ or remove it",
                )
            )
    return problems


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
        errors = _closest_alternatives(exc.errors(), doc.data)
        return None, doc, [_from_pydantic(error, doc) for error in errors]
    return dialogue, doc, check_dialogue(dialogue, doc)


def _closest_alternatives(errors: list[Any], data: object) -> list[Any]:
    """A value that fits no member of a union fails once per member (`say: Hallo`
    is neither a text key nor a list); keep only the member that came closest:
    deepest into the data, else more than a type mismatch, else the first."""
    groups: dict[tuple[Any, ...], dict[Any, list[Any]]] = {}
    for error in errors:
        loc = tuple(error["loc"])
        cut = _last_tag(data, loc[:-1] if error["type"] == "missing" else loc)
        key, tag = (loc[:cut], loc[cut]) if cut is not None else (loc, None)
        groups.setdefault(key, {}).setdefault(tag, []).append(error)

    def closeness(branch: list[Any]) -> tuple[int, bool]:
        depth = max(len(_data_path(data, e["loc"])) for e in branch)
        return depth, not all(e["type"].endswith("_type") for e in branch)

    kept: list[Any] = []
    for branches in groups.values():
        if len(branches) == 1:
            kept.extend(*branches.values())
        else:
            kept.extend(max(branches.values(), key=closeness))
    return kept


def _last_tag(data: object, loc: tuple[Any, ...]) -> int | None:
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


def _from_pydantic(error: Any, doc: YamlDoc) -> Problem:
    """Turn one pydantic error into a Problem on the right line, in author's words."""
    path = _data_path(doc.data, error["loc"])
    kind = error["type"]
    where = ".".join(str(p) for p in path) or "file"
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        close = difflib.get_close_matches(key, sorted(_known_keys()), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "remove it; see the format in README.md"
        return Problem(doc.file, doc.line_of(path), f"unknown key '{key}' in {_parent(path)}", hint)
    if kind == "missing":
        field_name = str(error["loc"][-1])
        return Problem(
            doc.file,
            doc.line_of(path),
            f"missing key '{field_name}' in {where}",
            f"add '{field_name}: ...'",
        )
    value = error.get("input")
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        if "\\." in pattern:
            return Problem(
                doc.file,
                doc.line_of(path),
                f"{where}: '{value}' is not a text key",
                "text keys look like 'dialogue_id.text_name' and live in content/<locale>/",
            )
        return Problem(
            doc.file,
            doc.line_of(path),
            f"{where}: '{value}' is not a valid name",
            "use lowercase letters, digits and '_', starting with a letter",
        )
    if kind in ("string_type", "str_type") and isinstance(value, bool):
        return Problem(
            doc.file,
            doc.line_of(path),
            f"{where}: YAML reads this value as {str(value).lower()}",
            "quote it: YAML reads true/false as booleans",
        )
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return Problem(
        doc.file, doc.line_of(path), f"{where}: {message} (got {_short(value)})", _type_hint(kind)
    )


def _type_hint(kind: str) -> str:
    hints = {
        "int_parsing": "write a whole number",
        "int_type": "write a whole number",
        "enum": "pick one of the values listed",
        "literal_error": "pick one of the values listed",
        "dict_type": "write a mapping (key: value lines)",
        "list_type": "write a list ([a, b] or '- item' lines)",
        "too_short": "add at least one entry",
    }
    return hints.get(kind, "")


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _parent(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path[:-1]) or "the top level"


def _data_path(data: object, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
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


def _known_keys() -> set[str]:
    """Every key the file format knows, for 'did you mean' hints."""
    from bot.dialogues import model as module

    models = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == module.__name__
    ]
    return {info.alias or name for m in models for name, info in m.model_fields.items()}


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)
