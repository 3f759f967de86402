"""Diagrams generated from the dialogue files (mermaid and Graphviz dot), and the
graph they are drawn from (`graph`) for renderers that lay it out themselves."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from bot.dialogues.model import AllOf, AnyOf, Compare, Condition, Dialogue, NotCond


def edges(dialogue: Dialogue) -> Iterator[tuple[str, str, str]]:
    """(source, target, label) for every way a state can lead to another."""
    for name, state in dialogue.states.items():
        nxt = state.next
        if isinstance(nxt, str):
            yield name, nxt, ""
        elif isinstance(nxt, dict):
            for option, target in nxt.items():
                yield name, target, option
        elif isinstance(nxt, list):
            for rule in nxt:
                yield name, rule.to, describe(rule.if_) if rule.if_ is not None else "else"


@dataclass(frozen=True)
class Node:
    """One state: its input kind ("end" for an end state) and its depth, the fewest
    transitions from the start."""

    name: str
    kind: str
    depth: int
    start: bool = False

    @property
    def end(self) -> bool:
        return self.kind == "end"


@dataclass(frozen=True)
class Edge:
    """One way from a state to the next: the option id, the condition or "" (always)."""

    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Graph:
    """The states reachable from the start (by depth, then file order) and the
    transitions between them (in file order), as `edges` yields them."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def graph(dialogue: Dialogue) -> Graph:
    """The dialogue as nodes and edges, for a layered drawing (states by depth).

    Only states reachable from the start are included (the validator already
    refuses unreachable ones; a renderer should not have to guess where to put
    them)."""
    found = [Edge(*edge) for edge in edges(dialogue)]
    depth = {dialogue.start: 0}
    todo = deque([dialogue.start])
    while todo:
        name = todo.popleft()
        for edge in found:
            if edge.source == name and edge.target in dialogue.states and edge.target not in depth:
                depth[edge.target] = depth[name] + 1
                todo.append(edge.target)
    order = {name: index for index, name in enumerate(dialogue.states)}
    nodes = tuple(
        Node(
            name,
            "end" if dialogue.states[name].end else dialogue.states[name].input_kind or "",
            depth[name],
            name == dialogue.start,
        )
        for name in sorted(depth, key=lambda n: (depth[n], order[n]))
    )
    kept = tuple(e for e in found if e.source in depth and e.target in depth)
    return Graph(nodes, kept)


def describe(condition: Condition) -> str:
    """A condition in short readable form, e.g. `zekerheid <= 2`."""
    if isinstance(condition, AllOf):
        return " and ".join(describe(c) for c in condition.all)
    if isinstance(condition, AnyOf):
        return " or ".join(describe(c) for c in condition.any)
    if isinstance(condition, NotCond):
        return f"not ({describe(condition.not_)})"
    return " and ".join(_compare(key, cmp) for key, cmp in condition.items())


_OPS = {
    "eq": "=",
    "ne": "!=",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "in": "in",
    "not_in": "not in",
    "contains": "has",
    "answered": "answered",
    # Against another answer of the same run: `zeker_na < zeker_voor`.
    "eq_answer": "=",
    "ne_answer": "!=",
    "lt_answer": "<",
    "lte_answer": "<=",
    "gt_answer": ">",
    "gte_answer": ">=",
}


def _compare(key: str, compare: Compare) -> str:
    parts = compare.model_dump(by_alias=True, exclude_none=True)
    return " and ".join(f"{key} {_OPS[op]} {value}" for op, value in parts.items())


def _node_label(dialogue: Dialogue, name: str) -> str:
    state = dialogue.states[name]
    kind = "end" if state.end else state.input_kind
    return f"{name} ({kind})"


def mermaid(dialogue: Dialogue) -> str:
    """A mermaid state diagram."""
    lines = ["stateDiagram-v2", f"    [*] --> {dialogue.start}"]
    for name in dialogue.states:
        lines.append(f"    {name} : {_node_label(dialogue, name)}")
    for source, target, label in edges(dialogue):
        suffix = f" : {_mermaid_text(label)}" if label else ""
        lines.append(f"    {source} --> {target}{suffix}")
    for name, state in dialogue.states.items():
        if state.end:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines) + "\n"


def _mermaid_text(label: str) -> str:
    return label.replace(":", " ").replace(";", ",")


def dot(dialogue: Dialogue) -> str:
    """A Graphviz digraph."""
    lines = [
        f'digraph "{dialogue.id}" {{',
        "    rankdir=TB;",
        "    node [shape=box, style=rounded];",
    ]
    lines.append('    "__start" [shape=point];')
    lines.append(f'    "__start" -> "{dialogue.start}";')
    for name, state in dialogue.states.items():
        shape = ", shape=doublecircle" if state.end else ""
        lines.append(f'    "{name}" [label="{_dot_text(_node_label(dialogue, name))}"{shape}];')
    for source, target, label in edges(dialogue):
        attr = f' [label="{_dot_text(label)}"]' if label else ""
        lines.append(f'    "{source}" -> "{target}"{attr};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def markdown(dialogue: Dialogue, title: str) -> str:
    """A page for docs/dialogues/: what the dialogue is, and its diagram."""
    tags = ", ".join(dialogue.tags) or "-"
    lines = [
        f"# {title} (`{dialogue.id}`)",
        "",
        "Generated by `straatwijs graph --all --output docs/dialogues` from "
        f"`dialogues/{dialogue.id}.yaml`; do not edit by hand.",
        "",
        f"- kind: {dialogue.kind.value}",
        f"- part: {dialogue.part.value}",
        f"- minutes: {dialogue.minutes}",
        f"- method: {dialogue.method or '-'}",
        f"- tags: {tags}",
        "",
        "```mermaid",
        mermaid(dialogue).rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)
