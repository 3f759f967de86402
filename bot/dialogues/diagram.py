"""Diagrams generated from the dialogue files (mermaid and Graphviz dot)."""

from __future__ import annotations

from collections.abc import Iterator

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
