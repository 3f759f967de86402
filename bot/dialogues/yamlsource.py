"""Safe YAML loading that remembers on which line every value stood.

PyYAML's safe loader forgets positions and silently keeps the last of two
equal keys; authors need both the line of a mistake and a duplicate-key error.
We compose the node tree with the safe loader and build plain data from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.dialogues.problems import Problem

PathKey = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """Plain data of one YAML file plus the line of every path in it (1-based)."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int:
        """The line of the deepest known prefix of `path`, so every error gets a line."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1

    def problem(self, path: PathKey, message: str, hint: str = "") -> Problem:
        """A problem on the line of `path` in this file: every check reports this way,
        so a message always points where the author has to look."""
        return Problem(self.file, self.line_of(path), message, hint)


def display_name(path: Path, root: Path | None) -> str:
    """`path` relative to `root` when it lies below it: problems name files the way
    the author sees them in the repository, not by an absolute path."""
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: faster


class _Loader(_Base):
    """The safe loader with YAML 1.2 booleans: only true/false, so yes/no stay words."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class YamlError(Exception):
    """A file that is not valid YAML (or has duplicate keys)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_yaml(path: Path, display: str | None = None) -> YamlDoc:
    """Load one YAML file into plain data with line numbers; raise YamlError if broken."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError([Problem(name, 1, f"cannot read file: {exc}")]) from exc
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlDoc:
    """Parse YAML text; see load_yaml."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context and "flow" in exc.context and exc.context_mark:
            mark = exc.context_mark  # an unclosed { or [: point at where it opened
        line = mark.line + 1 if mark else 1
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        raise YamlError(
            [Problem(name, line, f"YAML syntax error: {what}", _syntax_hint(what))]
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlError([Problem(name, 1, f"YAML error: {exc}")]) from exc
    doc = YamlDoc(name, None)
    problems: list[Problem] = []
    if node is not None:
        doc.data = _build(node, (), doc, problems)
    if problems:
        raise YamlError(problems)
    return doc


def _syntax_hint(what: str) -> str:
    if "mapping values are not allowed" in what:
        return "a text containing ': ' must be quoted"
    if "found character '\\t'" in what or "tab character" in what:
        return "indent with spaces, not tabs"
    if "while parsing a flow" in what:
        return "a '{' or '[' opened on this line is not closed"
    if "could not find expected ':'" in what:
        return "every key needs 'key: value'; check indentation and quotes on the line before"
    return "check indentation and quoting around this line"


def _build(node: yaml.Node, path: PathKey, doc: YamlDoc, problems: list[Problem]) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in result:
                problems.append(
                    Problem(
                        doc.file,
                        key_node.start_mark.line + 1,
                        f"duplicate key '{key}'",
                        "each key may appear once in a mapping; remove or rename one",
                    )
                )
                continue
            child = (*path, key)
            doc.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(value_node, child, doc, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    """Construct a scalar with the safe constructor (ints, bools, strings, ...)."""
    if not isinstance(node, yaml.ScalarNode):
        return str(node.start_mark)
    constructor = yaml.constructor.SafeConstructor()
    return constructor.construct_object(node, deep=True)
