"""How a dialogue flows: where each state leads, what is reachable, from where an
end can be reached, and how many steps remain.

Computed from the spec alone, so the validator, the compiled machine and the
progress count all agree on the same graph (drawing it is `diagram`'s job).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Set as AbstractSet

from bot.dialogues.model import Dialogue, Rule, State


def targets(state: State) -> list[str]:
    """The states `state` can lead to, in the order written."""
    nxt = state.next
    if nxt is None:
        return []
    if isinstance(nxt, str):
        return [nxt]
    if isinstance(nxt, dict):
        return list(dict.fromkeys(nxt.values()))
    return list(dict.fromkeys(rule.to for rule in nxt if isinstance(rule, Rule)))


def reachable(dialogue: Dialogue) -> set[str]:
    """States reachable from the start (targets that do not exist are skipped)."""
    return reachable_from(dialogue, dialogue.start)


def reachable_from(
    dialogue: Dialogue, start: str, avoid: AbstractSet[str] = frozenset()
) -> set[str]:
    """States reachable from `start` without passing through `avoid`: what lies
    behind a step is what only that step leads to (see the support checks)."""
    seen: set[str] = set()
    queue = deque([start] if start in dialogue.states and start not in avoid else [])
    while queue:
        name = queue.popleft()
        if name in seen:
            continue
        seen.add(name)
        queue.extend(
            t for t in targets(dialogue.states[name]) if t in dialogue.states and t not in avoid
        )
    return seen


def predecessors(dialogue: Dialogue) -> dict[str, list[str]]:
    """For each state, the states that lead to it, in file order: walking back is
    how the checks find what came just before a step."""
    incoming: dict[str, list[str]] = {name: [] for name in dialogue.states}
    for name, state in dialogue.states.items():
        for target in targets(state):
            if target in incoming:
                incoming[target].append(name)
    return incoming


def dominators(dialogue: Dialogue) -> dict[str, set[str]]:
    """For each reachable state, the states every path from the start passes on the
    way to it (itself included). Whoever answered a question asked in such a state
    also answered the questions of its dominators: their counts are nested, which
    the reports must know to keep the difference from singling anyone out."""
    names = reachable(dialogue)
    incoming = predecessors(dialogue)
    found = {name: set(names) for name in names}
    found[dialogue.start] = {dialogue.start}
    changed = True
    while changed:  # the classic iterative data-flow: shrinks until it settles
        changed = False
        for name in names - {dialogue.start}:
            before = [found[p] for p in incoming[name] if p in names]
            mine = set.intersection(*before) | {name} if before else {name}
            if mine != found[name]:
                found[name], changed = mine, True
    return found


def can_end(dialogue: Dialogue) -> set[str]:
    """States from which some end state can be reached."""
    incoming = predecessors(dialogue)
    good = {name for name, state in dialogue.states.items() if state.end}
    queue = deque(good)
    while queue:
        for source in incoming[queue.popleft()]:
            if source not in good:
                good.add(source)
                queue.append(source)
    return good


def remaining_steps(dialogue: Dialogue) -> dict[str, int]:
    """For each state, the most steps (states with an input) still ahead, itself included.

    Progress shows `step n of total` with total = steps done + this number. The
    longest path keeps the total from growing mid-way; loops are cut where they
    close, so a dialogue with a loop still gets a finite count.
    """
    memo: dict[str, int] = {}

    def walk(name: str, stack: frozenset[str]) -> int:
        if name in memo:
            return memo[name]
        state = dialogue.states[name]
        if state.end:
            return 0
        ahead = [
            walk(t, stack | {name})
            for t in targets(state)
            if t in dialogue.states and t not in stack and t != name
        ]
        result = 1 + max(ahead, default=0)
        if not stack & _closing(dialogue, name):
            memo[name] = result
        return result

    for name in dialogue.states:
        walk(name, frozenset())
    return memo | {n: walk(n, frozenset()) for n in dialogue.states if n not in memo}


def _closing(dialogue: Dialogue, name: str) -> set[str]:
    """States reachable from `name`; a result computed on a stack among them is partial."""
    seen: set[str] = set()
    queue = deque(targets(dialogue.states[name]))
    while queue:
        current = queue.popleft()
        if current in seen or current not in dialogue.states:
            continue
        seen.add(current)
        queue.extend(targets(dialogue.states[current]))
    return seen
