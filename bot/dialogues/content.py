"""Texts per locale, loaded from `content/<locale>/*.yaml`.

Files hold nested mappings; a text's key is its path joined with dots, so
`drijfveren: {intro: "..."}` defines `drijfveren.intro`. Dutch (`nl`) is the
reference locale: every other locale must define the same keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import YamlDoc, YamlError, display_name, load_yaml

# `{first_name}`, `{answer_key}`, and one dotted level for named groups such as the
# local contacts (`{contact.meldpunt}`, bot/dialogues/contacts.py).
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\}")
DEFAULT_LOCALE = "nl"


@dataclass(frozen=True)
class Text:
    """One text and where it was written."""

    value: str
    file: str
    line: int


@dataclass
class Locale:
    """All texts of one locale."""

    code: str
    texts: dict[str, Text] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        """The text for `key`, or None when this locale lacks it."""
        text = self.texts.get(key)
        return text.value if text else None

    def has_prefix(self, prefix: str) -> bool:
        """Whether some key lies below `prefix` (used for knowledge cards)."""
        dotted = prefix + "."
        return any(key.startswith(dotted) for key in self.texts)


def placeholders(text: str) -> set[str]:
    """Names of the `{placeholders}` a text uses."""
    return set(PLACEHOLDER.findall(text))


def fill(text: str, values: dict[str, str]) -> str:
    """Replace known placeholders; unknown ones stay visible rather than crash."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def split(text: str) -> tuple[str, ...]:
    """A text cut at its placeholders: literal, name, literal, ..., literal.

    For a text filled again and again (the engine renders the same few hundred
    texts for everybody): cut it once, then `fill_split` it, at half the cost
    of `fill`'s regular expression.
    """
    return tuple(PLACEHOLDER.split(text))


def fill_split(parts: tuple[str, ...], values: dict[str, str]) -> str:
    """`fill` for a text cut by `split`: the same result, unknown placeholders kept."""
    if len(parts) == 1:
        return parts[0]
    out = list(parts)
    for i in range(1, len(out), 2):
        name = out[i]
        out[i] = values.get(name, "{" + name + "}")
    return "".join(out)


def available_locales(content_dir: Path) -> list[str]:
    """Locale codes that have a folder under the content directory."""
    if not content_dir.is_dir():
        return []
    return sorted(p.name for p in content_dir.iterdir() if p.is_dir() and _is_locale(p.name))


def _is_locale(name: str) -> bool:
    return re.fullmatch(r"[a-z]{2}", name) is not None


def load_locale(
    content_dir: Path, code: str, root: Path | None = None
) -> tuple[Locale, list[Problem]]:
    """Load one locale's texts; problems are returned, never raised."""
    locale = Locale(code)
    problems: list[Problem] = []
    folder = content_dir / code
    for path in sorted(folder.rglob("*.yaml")):  # kennis/ and other subfolders too
        name = display_name(path, root)
        try:
            doc = load_yaml(path, name)
        except YamlError as exc:
            problems.extend(exc.problems)
            continue
        _flatten(doc, doc.data, (), locale, problems)
    return locale, problems


def _flatten(
    doc: YamlDoc, data: object, path: tuple[str, ...], locale: Locale, problems: list[Problem]
) -> None:
    if data is None:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten(doc, value, (*path, str(key)), locale, problems)
        return
    key = ".".join(path)
    line = doc.line_of(path)
    if not isinstance(data, str | int | float) or isinstance(data, bool):
        problems.append(Problem(doc.file, line, f"text '{key}' must be a string", "quote the text"))
        return
    if key in locale.texts:
        first = locale.texts[key]
        problems.append(
            Problem(
                doc.file,
                line,
                f"text '{key}' is defined twice (also at {first.file}:{first.line})",
                "keep one of them",
            )
        )
        return
    locale.texts[key] = Text(str(data).strip(), doc.file, line)
