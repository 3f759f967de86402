"""Checks on one parsed dialogue: its graph, its conditions and its texts."""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from bot.dialogues.content import Locale, Text, placeholders
from bot.dialogues.graph import can_end, reachable, targets
from bot.dialogues.model import (
    CRAFT_ELEMENTS,
    METHODS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Dialogue,
    Kind,
    NotCond,
    Rule,
    State,
)
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import YamlDoc

Path = tuple[str | int, ...]
Report = Callable[..., Problem]

# Placeholders every text may use besides the dialogue's stored answers.
GLOBAL_PLACEHOLDERS = frozenset({"first_name"})

# The longest message or card body a phone shows comfortably (docs/content-guide.md).
MAX_MESSAGE = 600
# A support sentence may recur in at most this many exercises before it reads as a formula.
MAX_SUPPORT_REPEATS = 3
# Shorter sentences ("Dat is rugdekking.") may recur; a formula is longer.
MIN_SUPPORT_WORDS = 4
# The shared privacy reminder; a dialogue's own reminder has a key ending in `privacy...`.
PRIVACY_REMINDER = "common.privacy_reminder"


def check_dialogue(dialogue: Dialogue, doc: YamlDoc) -> list[Problem]:
    """Structural problems: targets, reachability, ends, branches and conditions."""
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        problems.append(Problem(doc.file, doc.line_of(path), message, hint))

    names = list(dialogue.states)
    if dialogue.start not in dialogue.states:
        add(
            ("start",),
            f"start state '{dialogue.start}' does not exist",
            _suggest(dialogue.start, names),
        )
    stored = stored_keys(dialogue)
    problems.extend(_check_conventions(dialogue, stored, doc))
    problems.extend(_check_question_tags(dialogue, doc))
    problems.extend(_check_privacy_reminders(dialogue, doc))
    for name, state in dialogue.states.items():
        base = ("states", name)
        problems.extend(_check_state(dialogue, name, state, stored, doc))
        for target, path in _target_paths(state, base):
            if target not in dialogue.states:
                add(
                    path,
                    f"state '{name}' goes to unknown state '{target}'",
                    _suggest(target, names),
                )
    if dialogue.start in dialogue.states:
        seen = reachable(dialogue)
        for name in dialogue.states:
            if name not in seen:
                add(
                    ("states", name),
                    f"state '{name}' is unreachable from start '{dialogue.start}'",
                    "point a 'next' to it or remove it",
                )
        ending = can_end(dialogue)
        for name in dialogue.states:
            if name in seen and name not in ending:
                add(
                    ("states", name),
                    f"no end can be reached from state '{name}'",
                    "add a path to a state with 'end: true'",
                )
    return problems


def _check_conventions(dialogue: Dialogue, stored: dict[str, str], doc: YamlDoc) -> list[Problem]:
    """House rules: a named method, and for street scenarios the craft elements
    trained and confidence before and after (the dashboard compares the two)."""
    found: list[Problem] = []

    def add(path: tuple[str | int, ...], message: str, hint: str) -> None:
        found.append(Problem(doc.file, doc.line_of(path), message, hint))

    if dialogue.method is not None and dialogue.method not in METHODS:
        add(("method",), f"unknown method '{dialogue.method}'", "use one of: " + ", ".join(METHODS))
    if dialogue.kind != Kind.STRAATSCENARIO:
        return found
    if dialogue.method is None:
        add(
            ("id",), "a street scenario needs 'method'", "name the reflection structure, e.g. ALACT"
        )
    if not set(dialogue.tags) & set(CRAFT_ELEMENTS):
        add(
            ("tags",) if dialogue.tags else ("id",),
            "a street scenario needs 'tags' with the craft elements it trains",
            "use: " + ", ".join(CRAFT_ELEMENTS),
        )
    for key in ("zeker_voor", "zeker_na"):
        state = dialogue.states.get(stored.get(key, ""))
        if state is None or state.input_kind != "scale":
            add(
                ("states",),
                f"a street scenario stores confidence as a scale answer '{key}'",
                f"add a 1-5 scale with 'store: {key}'",
            )
    return found


def _check_question_tags(dialogue: Dialogue, doc: YamlDoc) -> Iterator[Problem]:
    """A craft element the dialogue is tagged with must be worked on by a question:
    the question carries the tag (`tags:` on the state). Question tags are the
    dialogue's own, and only questions carry them."""

    def problem(path: Path, message: str, hint: str) -> Problem:
        return Problem(doc.file, doc.line_of(path), message, hint)

    asked: set[str] = set()
    for name, state in dialogue.states.items():
        if not state.tags:
            continue
        base: Path = ("states", name, "tags")
        if state.input_kind in (None, "continue"):
            yield problem(
                base,
                f"state '{name}' has 'tags' but asks nothing",
                "put 'tags' on the question that works on them",
            )
            continue
        asked.update(state.tags)
        for i, tag in enumerate(state.tags):
            if tag not in dialogue.tags:
                yield problem(
                    (*base, i),
                    f"state '{name}' is tagged '{tag}', which the dialogue's 'tags' do not list",
                    _suggest(tag, dialogue.tags) or f"add '{tag}' to the dialogue's 'tags'",
                )
    for i, tag in enumerate(dialogue.tags):
        if tag in CRAFT_ELEMENTS and tag not in asked:
            yield problem(
                ("tags", i),
                f"the dialogue is tagged with craft element '{tag}', but no question works on it",
                f"add 'tags: [{tag}]' to the question that trains it, or remove the tag",
            )


def is_privacy_reminder(key: str) -> bool:
    """The shared reminder, or a dialogue's own (`<id>.privacy`, `<id>.privacy_kort`, ...)."""
    return key == PRIVACY_REMINDER or key.rsplit(".", 1)[-1].startswith("privacy")


def _check_privacy_reminders(dialogue: Dialogue, doc: YamlDoc) -> Iterator[Problem]:
    """One privacy reminder per block of free-text questions: a reminder shown again
    while the person is still writing (only free text and information steps since
    the last one) reads like a sermon."""
    reminding = {
        name
        for name, state in dialogue.states.items()
        if any(is_privacy_reminder(key) for key in state.says)
    }
    incoming = _incoming(dialogue)
    for name in dialogue.states:
        state = dialogue.states[name]
        if name not in reminding or state.input_kind not in ("text", "continue"):
            continue
        earlier = _reminder_before(dialogue, name, reminding, incoming)
        if earlier is None:
            continue
        index = next(i for i, key in enumerate(state.says) if is_privacy_reminder(key))
        path: Path = ("states", name, "say")
        if isinstance(state.say, list):
            path = (*path, index)
        yield Problem(
            doc.file,
            doc.line_of(path),
            f"state '{name}' repeats the privacy reminder that '{earlier}' showed "
            "in the same row of free-text questions",
            "keep one reminder per block of free-text questions, at its first question",
        )


def _incoming(dialogue: Dialogue) -> dict[str, list[str]]:
    incoming: dict[str, list[str]] = {name: [] for name in dialogue.states}
    for name, state in dialogue.states.items():
        for target in targets(state):
            if target in incoming and name not in incoming[target]:
                incoming[target].append(name)
    return incoming


def _reminder_before(
    dialogue: Dialogue, name: str, reminding: set[str], incoming: dict[str, list[str]]
) -> str | None:
    """A state with a reminder that can come just before `name`, with only free-text
    questions and information steps in between; None if there is none."""
    seen = {name}
    queue = deque(incoming[name])
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        if current in reminding:
            return current
        if dialogue.states[current].input_kind in ("text", "continue"):
            queue.extend(incoming[current])
    return None


def _check_state(
    dialogue: Dialogue, name: str, state: State, stored: dict[str, str], doc: YamlDoc
) -> Iterator[Problem]:
    base: tuple[str | int, ...] = ("states", name)

    def problem(path: tuple[str | int, ...], message: str, hint: str = "") -> Problem:
        return Problem(doc.file, doc.line_of(path), message, hint)

    if state.end:
        for key in ("ask", "next", "store"):
            if getattr(state, key) is not None:
                yield problem(
                    (*base, key),
                    f"end state '{name}' has '{key}'",
                    f"remove '{key}' or 'end: true'",
                )
        if not state.says and state.card is None:
            yield problem(base, f"end state '{name}' says nothing", "add 'say' with a closing text")
        return
    if not state.says and state.card is None:
        yield problem(base, f"state '{name}' has no 'say' or 'card'", "add the text to show")
    if state.next is None:
        yield problem(
            base,
            f"state '{name}' has no 'next' and is not an end",
            "add 'next: <state>' or 'end: true'",
        )
    kind = state.input_kind
    if state.store and kind == "continue":
        yield problem(
            (*base, "store"),
            f"state '{name}' stores an answer but asks for none",
            "remove 'store' or add 'ask'",
        )
    if state.ask and state.ask.kind in ("choice", "multi"):
        spec = state.ask.choice or state.ask.multi
        if spec is not None and not spec.options:
            yield problem(
                (*base, "ask"),
                f"state '{name}' offers a choice without options",
                "list at least one option under 'options'",
            )
    if state.ask and state.ask.multi and state.ask.multi.max is not None:
        multi = state.ask.multi
        if multi.max is not None and (multi.max < multi.min or multi.max > len(multi.options)):
            yield problem(
                (*base, "ask"),
                f"state '{name}': multi max must lie between min and the number of options",
            )
    if isinstance(state.next, dict):
        yield from _check_option_map(name, state, base, problem)
    elif isinstance(state.next, list):
        for i, rule in enumerate(state.next):
            path = (*base, "next", i)
            if rule.if_ is None and i != len(state.next) - 1:
                yield problem(
                    path,
                    f"state '{name}': rule {i + 1} has no 'if', so later rules never apply",
                    "move it to the end",
                )
            if rule.if_ is not None:
                yield from _check_condition(rule.if_, (*path, "if"), stored, dialogue, problem)
        if state.next and state.next[-1].if_ is not None:
            yield problem(
                (*base, "next"),
                f"state '{name}': the last rule has an 'if', so no rule may match",
                "end with a rule without 'if', e.g. {to: <state>}",
            )


def _check_option_map(name: str, state: State, base: Path, problem: Report) -> Iterator[Problem]:
    path = (*base, "next")
    kind = state.input_kind
    if kind == "choice" and state.ask and state.ask.choice:
        expected: list[object] = list(state.ask.choice.options)
    elif kind == "yesno":
        expected = ["yes", "no"]
    else:
        yield problem(
            path,
            f"state '{name}': 'next' maps options, but the state asks for {kind}",
            "use 'next: <state>' or rules with 'if'",
        )
        return
    given = list(state.next)
    for option in expected:
        if option not in given:
            yield problem(
                path,
                f"state '{name}': option '{option}' has no target in 'next'",
                f"add '{option}: <state>'",
            )
    for option in given:
        if option not in expected:
            words = ", ".join(str(o) for o in expected)
            yield problem(
                path,
                f"state '{name}': 'next' names '{option}', which is not an option",
                f"options are: {words}",
            )


def _check_condition(
    cond: Condition, path: Path, stored: dict[str, str], dialogue: Dialogue, problem: Report
) -> Iterator[Problem]:
    if isinstance(cond, AllOf):
        for i, sub in enumerate(cond.all):
            yield from _check_condition(sub, (*path, "all", i), stored, dialogue, problem)
    elif isinstance(cond, AnyOf):
        for i, sub in enumerate(cond.any):
            yield from _check_condition(sub, (*path, "any", i), stored, dialogue, problem)
    elif isinstance(cond, NotCond):
        yield from _check_condition(cond.not_, (*path, "not"), stored, dialogue, problem)
    else:
        for key, compare in cond.items():
            if key not in stored:
                yield problem(
                    (*path, key),
                    f"condition on answer '{key}', which no state stores",
                    _suggest(key, list(stored))
                    or "add 'store: " + key + "' to the state that asks it",
                )
                continue
            yield from _check_values(key, compare, stored[key], dialogue, (*path, key), problem)
            yield from _check_others(key, compare, stored, dialogue, (*path, key), problem)


def _check_others(
    key: str,
    compare: Compare,
    stored: dict[str, str],
    dialogue: Dialogue,
    path: Path,
    problem: Report,
) -> Iterator[Problem]:
    """`*_answer` operators name a stored answer of a kind that can be compared."""
    kind = dialogue.states[stored[key]].input_kind
    for op, other in compare.other_answers.items():
        if other not in stored:
            yield problem(
                (*path, op),
                f"'{op}' compares with answer '{other}', which no state stores",
                _suggest(other, list(stored)) or "name an answer a state stores",
            )
            continue
        other_kind = dialogue.states[stored[other]].input_kind
        if op in ("eq_answer", "ne_answer"):
            if other_kind != kind:
                yield problem(
                    (*path, op),
                    f"'{op}' compares a {kind} answer '{key}' with a {other_kind} answer '{other}'",
                    "compare two answers of the same kind",
                )
        elif kind != "scale" or other_kind != "scale":
            yield problem(
                (*path, op),
                f"'{op}' orders '{key}' ({kind}) and '{other}' ({other_kind}), "
                "but only scale answers are numbers",
                "use eq_answer or ne_answer, or compare two scale answers",
            )


def _check_values(
    key: str, compare: Compare, state_name: str, dialogue: Dialogue, path: Path, problem: Report
) -> Iterator[Problem]:
    state = dialogue.states[state_name]
    kind = state.input_kind
    numeric = any(v is not None for v in (compare.lt, compare.lte, compare.gt, compare.gte))
    if numeric and kind != "scale":
        yield problem(
            path,
            f"condition compares answer '{key}' as a number, but it is a {kind} answer",
            "use eq, in or contains",
        )
    if compare.contains is not None and kind != "multi":
        yield problem(
            path, f"'contains' needs a multi answer; '{key}' is a {kind} answer", "use eq or in"
        )
    spec = state.ask.choice or state.ask.multi if state.ask else None
    values = [
        compare.eq,
        compare.ne,
        compare.contains,
        *(compare.in_ or []),
        *(compare.not_in or []),
    ]
    options = list(spec.options) if spec is not None else ["yes", "no"] if kind == "yesno" else None
    if options is not None:
        for value in values:
            if value is not None and value not in options:
                yield problem(
                    path,
                    f"condition on '{key}' tests '{value}', which is not one of its options",
                    "options are: " + ", ".join(options),
                )
    scale = state.ask.scale if state.ask else None
    if scale is not None:
        for value in (compare.eq, compare.ne, *(compare.in_ or []), *(compare.not_in or [])):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            whole = number and float(value).is_integer()
            if value is not None and not (whole and scale.min <= value <= scale.max):
                yield problem(
                    path,
                    f"condition on '{key}' tests '{value}', which is not on its scale",
                    f"the scale runs from {scale.min} to {scale.max}",
                )


def _target_paths(
    state: State, base: tuple[str | int, ...]
) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    nxt = state.next
    if isinstance(nxt, str):
        yield nxt, (*base, "next")
    elif isinstance(nxt, dict):
        for option, target in nxt.items():
            yield target, (*base, "next", option)
    elif isinstance(nxt, list):
        for i, rule in enumerate(nxt):
            if isinstance(rule, Rule):
                yield rule.to, (*base, "next", i, "to")


def stored_keys(dialogue: Dialogue) -> dict[str, str]:
    """Answer name -> the (first) state that stores it."""
    result: dict[str, str] = {}
    for name, state in dialogue.states.items():
        if state.store and state.store not in result:
            result[state.store] = name
    return result


def text_keys(dialogue: Dialogue) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every content key the dialogue uses, with the path where it is named."""
    yield dialogue.title, ("title",)
    if dialogue.summary:
        yield dialogue.summary, ("summary",)
    for name, state in dialogue.states.items():
        base: tuple[str | int, ...] = ("states", name)
        for i, key in enumerate(state.says):
            yield key, (*base, "say", i) if isinstance(state.say, list) else (*base, "say")
        if state.card:
            yield f"{state.card}.title", (*base, "card")
            yield f"{state.card}.body", (*base, "card")
        ask = state.ask
        if ask is None:
            continue
        spec = ask.choice or ask.multi
        if spec is not None:
            for option, key in spec.options.items():
                yield key, (*base, "ask", ask.kind, "options", option)
        if ask.scale is not None:
            for end in ("low", "high"):
                key = getattr(ask.scale, end)
                if key:
                    yield key, (*base, "ask", "scale", end)


def message_keys(dialogue: Dialogue) -> Iterator[str]:
    """The keys of the messages a dialogue sends: its `say` texts and card bodies."""
    for state in dialogue.states.values():
        yield from state.says
        if state.card:
            yield f"{state.card}.body"


def check_texts(dialogue: Dialogue, doc: YamlDoc, locale: Locale) -> list[Problem]:
    """Missing texts, unknown placeholders and overlong messages for one locale."""
    problems: list[Problem] = []
    allowed = GLOBAL_PLACEHOLDERS | set(stored_keys(dialogue))
    messages = set(message_keys(dialogue))
    for key, path in text_keys(dialogue):
        text = locale.texts.get(key)
        if text is None:
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(path),
                    f"text '{key}' is missing in locale '{locale.code}'",
                    f"add it to content/{locale.code}/{key.split('.')[0]}.yaml",
                )
            )
            continue
        if key in messages and len(text.value) > MAX_MESSAGE:
            problems.append(_too_long(key, text))
        for name in sorted(placeholders(text.value) - allowed):
            problems.append(
                Problem(
                    text.file,
                    text.line,
                    f"text '{key}' uses placeholder '{{{name}}}', which dialogue "
                    f"'{dialogue.id}' does not provide",
                    "use {first_name} or the name of an answer the dialogue stores",
                )
            )
    return problems


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _too_long(key: str, text: Text) -> Problem:
    size = len(text.value)
    if key.endswith(".body"):
        card = key.removesuffix(".body")
        return Problem(
            text.file,
            text.line,
            f"card '{card}' is {size} characters long, more than {MAX_MESSAGE}",
            "split it into two cards (a second step, or a second library card) or cut it",
        )
    return Problem(
        text.file,
        text.line,
        f"text '{key}' is {size} characters long, more than {MAX_MESSAGE}",
        "split it over several messages (say: [a, b]) or cut it",
    )


def check_library_cards(locale: Locale) -> list[Problem]:
    """Cards of the knowledge library (`kennis.<id>.body`) fit on a phone too."""
    return [
        _too_long(key, text)
        for key, text in locale.texts.items()
        if key.startswith("kennis.") and key.endswith(".body") and len(text.value) > MAX_MESSAGE
    ]


def check_repeated_support(dialogues: Iterable[Dialogue], locale: Locale) -> list[Problem]:
    """The same support sentence in more than MAX_SUPPORT_REPEATS exercises.

    A support step is what a low answer on a scale leads to (e.g. confidence after
    `lte: 2`, or below confidence before), with the steps only reachable through
    it. Written once and copied, "thank you for your honesty" reads like a formula
    by the fourth exercise; each exercise says it in its own words.
    """
    found: dict[str, list[tuple[str, str, Text]]] = {}
    for dialogue in dialogues:
        seen: set[str] = set()
        for key in _support_keys(dialogue):
            text = locale.texts.get(key)
            if text is None:
                continue
            for sentence in _sentences(text.value):
                norm = " ".join(sentence.lower().split()).rstrip(".!?…:")
                if norm in seen:
                    continue
                seen.add(norm)
                found.setdefault(norm, []).append((dialogue.id, sentence, text))
    problems = []
    for uses in found.values():
        if len({dialogue_id for dialogue_id, _, _ in uses}) <= MAX_SUPPORT_REPEATS:
            continue
        uses.sort(key=lambda use: use[0])
        names = ", ".join(dialogue_id for dialogue_id, _, _ in uses)
        for dialogue_id, sentence, text in uses[MAX_SUPPORT_REPEATS:]:
            problems.append(
                Problem(
                    text.file,
                    text.line,
                    f"support sentence '{sentence}' recurs in {len(uses)} exercises "
                    f"({names}); at most {MAX_SUPPORT_REPEATS} may share one",
                    f"write the support step of '{dialogue_id}' in its own words",
                )
            )
    return problems


def _support_keys(dialogue: Dialogue) -> Iterator[str]:
    for name in sorted(support_states(dialogue)):
        state = dialogue.states[name]
        yield from state.says
        if state.card:
            yield f"{state.card}.title"
            yield f"{state.card}.body"


def support_states(dialogue: Dialogue) -> set[str]:
    """States reached by a low answer on a scale, plus those only reachable through them."""
    stored = stored_keys(dialogue)
    scales = {key for key, name in stored.items() if dialogue.states[name].input_kind == "scale"}
    entries = {
        rule.to
        for state in dialogue.states.values()
        if isinstance(state.next, list)
        for rule in state.next
        if rule.if_ is not None and _is_low(rule.if_, scales) and rule.to in dialogue.states
    }
    region: set[str] = set()
    for entry in entries:
        region |= _walk(dialogue, entry, set()) - _walk(dialogue, dialogue.start, {entry})
    return region


def _walk(dialogue: Dialogue, start: str, avoid: set[str]) -> set[str]:
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


def _is_low(cond: Condition, scales: set[str]) -> bool:
    """Whether a condition holds for a low scale answer (below a number or another answer)."""
    if isinstance(cond, AllOf):
        return any(_is_low(sub, scales) for sub in cond.all)
    if isinstance(cond, AnyOf):
        return any(_is_low(sub, scales) for sub in cond.any)
    if isinstance(cond, NotCond):
        return False
    return any(
        key in scales and any(v is not None for v in (c.lt, c.lte, c.lt_answer, c.lte_answer))
        for key, c in cond.items()
    )


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_BULLET = re.compile(r"^(?:[•\-–*]|\d+[.)])\s*")


def _sentences(text: str) -> Iterator[str]:
    """Sentences of at least MIN_SUPPORT_WORDS words, bullets stripped."""
    for part in _SENTENCE_END.split(text):
        sentence = _BULLET.sub("", part.strip()).strip()
        if len(sentence.split()) >= MIN_SUPPORT_WORDS:
            yield sentence
