"""Turn a state into outgoing messages, in the person's locale.

Rendering runs for nearly every input, so whatever depends only on the catalog
is worked out once: each locale's texts are merged with the default locale's
(one dict lookup per text instead of a fallback walk), and each (dialogue,
state, locale) gets a `Prepared` plan holding its texts, its placeholders and
its ready-made buttons. The caches are keyed by dialogue, state and locale
only, never by person, so they are bounded by the catalog; what belongs to a
person (their name, their answers, the step, what they ticked, whether they
can go back) is filled in on every call. The catalog is treated as immutable
once a Renderer is built, as the Engine already does when it compiles it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.dialogues.catalog import Catalog
from bot.dialogues.compile import CompiledDialogue
from bot.dialogues.contacts import CONTACT_KEYS, contact_key, placeholder
from bot.dialogues.content import fill_split, placeholders, split
from bot.dialogues.model import State
from bot.engine.types import Context, Option, Progress, Reply, RunState, Widget

_NO_NAMES: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Piece:
    """One message of a state (a say, or the card) in one locale, ready to fill.

    `ready` is the finished Reply when the texts use no placeholder, so most
    messages are never filled at all.
    """

    kind: str  # "say" or "card"
    text: str
    title: str | None  # a card's raw title
    names: frozenset[str]  # placeholders used by text and title
    ready: Reply | None


@dataclass(frozen=True, slots=True)
class _Frame:
    """Per locale: the common texts every state uses."""

    progress: str
    nav_first: tuple[Option, ...]  # no way back yet
    nav_back: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """All of one state in one locale that does not depend on the person."""

    state: State
    input_kind: str | None  # State.input_kind, which is costly to recompute
    end: bool
    pieces: tuple[Piece, ...]
    names: frozenset[str]  # placeholders used by any piece
    widget_kind: str
    options: tuple[Option, ...]  # the buttons (unticked, for multi)
    ticked: tuple[Option, ...]  # multi only: the same buttons, ticked
    confirm: str | None
    low: str | None
    high: str | None
    min: int | None
    max: int | None
    option_ids: tuple[str, ...]  # choice and yesno: what a Pick may name
    option_labels: tuple[str, ...]  # and how each reads, for typed answers
    remaining: int  # the longest way ahead from here, for the progress
    frame: _Frame  # the locale's common texts
    echoes: dict[Any, str]  # choice, yesno, scale: each possible answer read back
    # Progress per number of steps done; filled as people pass, up to the
    # dialogue's number of states (only a loop could go further: not kept).
    progress: dict[int, Progress]
    most_done: int


class Renderer:
    """Builds Reply data from states and texts; shared by every channel."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        default = catalog.locales.get(catalog.default_locale)
        base = {k: t.value for k, t in default.texts.items()} if default else {}
        # `Catalog.text`'s fallback (own locale, default locale, the key) as one dict each.
        self._texts: dict[str, dict[str, str]] = {catalog.default_locale: base}
        for code, locale in catalog.locales.items():
            if code != catalog.default_locale:
                self._texts[code] = base | {k: t.value for k, t in locale.texts.items()}
        self._frames: dict[str, _Frame] = {}
        self._prepared: dict[tuple[str, str, str, str], Prepared] = {}
        self._labelled: dict[tuple[str, str], dict[str, State]] = {}
        self._splits: dict[str, tuple[str, ...]] = {}  # catalog text -> its `split`

    # -- texts -----------------------------------------------------------------

    def _table(self, locale: str) -> dict[str, str]:
        """The texts of `locale`; an unknown locale reads the default one, as Catalog.text."""
        table = self._texts.get(locale)
        return self._texts[self.catalog.default_locale] if table is None else table

    def _code(self, locale: str) -> str:
        """The locale code caches are keyed by: unknown codes share the default's entry."""
        return locale if locale in self._texts else self.catalog.default_locale

    def _fill(self, text: str, values: dict[str, str]) -> str:
        """`fill`, cutting each text at its placeholders only once (texts come from the catalog)."""
        parts = self._splits.get(text)
        if parts is None:
            parts = self._splits[text] = split(text)
        return fill_split(parts, values)

    def text(self, ctx: Context, key: str, **values: object) -> str:
        """A common or dialogue text with placeholders filled."""
        raw = self._table(ctx.locale).get(key, key)
        if not values or "{" not in raw:
            return raw  # filling with nothing changes nothing: unknown placeholders stay
        return self._fill(raw, {k: str(v) for k, v in values.items()})

    # -- whole states ------------------------------------------------------------

    def state(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> list[Reply]:
        """All messages of the run's current state; the last carries the widget."""
        plan = self.prepared(compiled, run.state, ctx)
        values = self._values(compiled, plan.names, run.answers, ctx) if plan.names else None
        replies = [self._piece(piece, values, ctx) for piece in plan.pieces]
        if plan.end:
            return replies
        replies.append(self._with_widget(plan, replies.pop(), run))
        return replies

    def question(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> Reply:
        """Only the message that carries the widget (for re-prompts and toggles)."""
        plan = self.prepared(compiled, run.state, ctx)
        piece = plan.pieces[-1]
        values = self._values(compiled, piece.names, run.answers, ctx) if piece.names else None
        last = self._piece(piece, values, ctx)
        return last if plan.end else self._with_widget(plan, last, run)

    def _piece(self, piece: Piece, values: dict[str, str] | None, ctx: Context) -> Reply:
        if piece.ready is not None:
            return piece.ready
        assert values is not None
        if piece.kind == "say":
            return Reply(self._fill(piece.text, values), "say")
        return self._card(piece.text, piece.title or "", values, ctx)

    def _with_widget(self, plan: Prepared, last: Reply, run: RunState) -> Reply:
        return Reply(
            last.text, last.kind, last.title, self._widget(plan, run), self._progress(plan, run)
        )

    def card(self, key: str, ctx: Context, values: Mapping[str, str]) -> Reply:
        """A knowledge card: a title and a body."""
        table = self._table(ctx.locale)
        title, body = f"{key}.title", f"{key}.body"
        return self._card(table.get(body, body), table.get(title, title), dict(values), ctx)

    def _card(self, body: str, title: str, values: dict[str, str], ctx: Context) -> Reply:
        shown = self._fill(title, values)
        return Reply(
            self._fill(body, values), "card", title=self.text(ctx, "common.card", title=shown)
        )

    # -- widgets ------------------------------------------------------------------

    def widget(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> Widget:
        """The input of the current state, with navigation."""
        plan = self.prepared(compiled, run.state, ctx)
        return self._widget(plan, run)

    def _widget(self, plan: Prepared, run: RunState) -> Widget:
        options = plan.options
        if plan.ticked and run.pending:
            chosen = set(run.pending)
            options = tuple(
                ticked if ticked.id in chosen else plain
                for plain, ticked in zip(plan.options, plan.ticked, strict=True)
            )
        return Widget(
            plan.widget_kind,
            options,
            plan.frame.nav_back if run.history else plan.frame.nav_first,
            plan.confirm,
            plan.low,
            plan.high,
            plan.min,
            plan.max,
            run.step,
        )

    def nav(self, run: RunState, ctx: Context) -> tuple[Option, ...]:
        """Pause and stop always; back when there is a step to go back to."""
        frame = self._frame(ctx.locale)
        return frame.nav_back if run.history else frame.nav_first

    def options(self, options: Mapping[str, str], ctx: Context) -> tuple[Option, ...]:
        table = self._table(ctx.locale)
        return tuple(Option(oid, table.get(key, key)) for oid, key in options.items())

    def progress(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> Progress:
        """`step n of total`: steps done plus the longest way still ahead."""
        plan = self.prepared(compiled, run.state, ctx)
        return self._progress(plan, run)

    def _progress(self, plan: Prepared, run: RunState) -> Progress:
        done = len(run.history)
        found = plan.progress.get(done)
        if found is None:
            step, total = done + 1, done + plan.remaining
            label = self._fill(plan.frame.progress, {"step": str(step), "total": str(total)})
            found = Progress(step, total, label)
            if done <= plan.most_done:
                plan.progress[done] = found
        return found

    # -- answers ------------------------------------------------------------------

    def echo(self, plan: Prepared, value: Any, ctx: Context) -> str:
        """`common.echo` with the answer as it reads back (the line that confirms it)."""
        if not isinstance(value, list):  # a multi answer is a list: too many to keep
            found = plan.echoes.get(value)
            if found is not None:
                return found
        return self.text(ctx, "common.echo", answer=self.answer_label(plan.state, value, ctx))

    def answer_label(self, state: State, value: Any, ctx: Context) -> str:
        """How an answer reads back to the person (labels, not option ids)."""
        ask = state.ask
        if ask is None:
            return str(value)
        spec = ask.choice or ask.multi
        if spec is not None:
            ids = value if isinstance(value, list) else [value]
            return ", ".join(self.text(ctx, spec.options[i]) for i in ids if i in spec.options)
        if ask.yesno:
            return self.text(ctx, f"common.{value}")
        return str(value)

    def placeholder_values(
        self, compiled: CompiledDialogue, answers: Mapping[str, Any], ctx: Context
    ) -> dict[str, str]:
        """`{first_name}`, the local contacts and every stored answer, as the person
        would read them."""
        values = {"first_name": ctx.first_name, **self.contacts(ctx)}
        for name, state in compiled.spec.states.items():
            key = state.store
            if key and key in answers and key not in values:
                values[key] = self.answer_label(compiled.spec.states[name], answers[key], ctx)
        return values

    def _values(
        self,
        compiled: CompiledDialogue,
        names: frozenset[str],
        answers: Mapping[str, Any],
        ctx: Context,
    ) -> dict[str, str]:
        """`placeholder_values`, but only for the placeholders a text actually uses."""
        labelled = self._labelling(compiled)
        values: dict[str, str] = {}
        for name in names:
            if name == "first_name":
                values[name] = ctx.first_name
            elif (contact := contact_key(name)) is not None:
                values[name] = self.contact(ctx, contact)
            elif name in answers and (state := labelled.get(name)) is not None:
                values[name] = self.answer_label(state, answers[name], ctx)
        return values

    def contact(self, ctx: Context, key: str) -> str:
        """A local contact as the person reads it: their organisation's value, else the
        national route (the text `contact.<key>` of their locale)."""
        value = ctx.contacts.get(key)
        if value:
            return value
        name = placeholder(key)
        return self._table(ctx.locale).get(name, "{" + name + "}")

    def contacts(self, ctx: Context) -> dict[str, str]:
        """Every local contact's placeholder value, set or fallen back."""
        return {placeholder(key): self.contact(ctx, key) for key in CONTACT_KEYS}

    def _labelling(self, compiled: CompiledDialogue) -> dict[str, State]:
        """Answer key -> the first state storing it (whose options label the answer)."""
        key = (compiled.spec.id, compiled.version)
        found = self._labelled.get(key)
        if found is None:
            found = {}
            for state in compiled.spec.states.values():
                if state.store and state.store != "first_name":
                    found.setdefault(state.store, state)
            self._labelled[key] = found
        return found

    # -- the caches ---------------------------------------------------------------

    def prepared(self, compiled: CompiledDialogue, state: str, ctx: Context) -> Prepared:
        """The person-independent plan of `state` in the person's locale (built once)."""
        code = self._code(ctx.locale)
        key = (compiled.spec.id, compiled.version, state, code)
        plan = self._prepared.get(key)
        if plan is None:
            plan = self._prepare(compiled, state, code)
            self._prepared[key] = plan
        return plan

    def _frame(self, locale: str) -> _Frame:
        code = self._code(locale)
        frame = self._frames.get(code)
        if frame is None:
            table = self._table(code)

            def nav(actions: tuple[str, ...]) -> tuple[Option, ...]:
                keys = [(a, f"common.nav.{a}") for a in actions]
                return tuple(Option(a, table.get(k, k)) for a, k in keys)

            frame = _Frame(
                table.get("common.progress", "common.progress"),
                nav(("pause", "stop")),
                nav(("back", "pause", "stop")),
            )
            self._frames[code] = frame
        return frame

    def _prepare(self, compiled: CompiledDialogue, name: str, code: str) -> Prepared:
        state = compiled.spec.states[name]
        table = self._table(code)
        ctx = Context(code)  # nobody in particular: what is prepared here is nobody's

        def get(key: str) -> str:
            return table.get(key, key)

        pieces = self._pieces(state, get, ctx)
        widget = _widget(state, get)
        every = frozenset().union(*(p.names for p in pieces)) if pieces else _NO_NAMES
        answers: list[Any] = []
        if state.input_kind in ("choice", "yesno"):
            answers = list(widget.ids)
        elif state.input_kind == "scale" and widget.low_n is not None and widget.high_n is not None:
            answers = list(range(widget.low_n, widget.high_n + 1))
        echoes = {
            value: self.text(ctx, "common.echo", answer=self.answer_label(state, value, ctx))
            for value in answers
        }
        return Prepared(
            state=state,
            input_kind=state.input_kind,
            end=state.end,
            pieces=pieces,
            names=every,
            widget_kind=widget.shown,
            options=widget.options,
            ticked=widget.ticked,
            confirm=widget.confirm,
            low=widget.low,
            high=widget.high,
            min=widget.low_n,
            max=widget.high_n,
            option_ids=widget.ids,
            option_labels=widget.labels,
            remaining=compiled.remaining.get(name, 1),
            frame=self._frame(code),
            echoes=echoes,
            progress={},
            most_done=len(compiled.spec.states),
        )

    def _pieces(self, state: State, get: Callable[[str], str], ctx: Context) -> tuple[Piece, ...]:
        """The state's texts and card, rendered now where they need nobody's answers."""
        pieces: list[Piece] = []
        for key in state.says:
            text = get(key)
            names = frozenset(placeholders(text)) or _NO_NAMES
            pieces.append(Piece("say", text, None, names, None if names else Reply(text, "say")))
        if state.card:
            body, title = get(f"{state.card}.body"), get(f"{state.card}.title")
            names = frozenset(placeholders(body) | placeholders(title)) or _NO_NAMES
            ready = None
            if not names:
                ready = self._card(body, title, {}, ctx)
            pieces.append(Piece("card", body, title, names, ready))
        return tuple(pieces)


@dataclass(frozen=True)
class _Widget:
    """How a state asks for its answer: buttons, a scale, free text, or just "continue"."""

    shown: str
    options: tuple[Option, ...] = ()
    ticked: tuple[Option, ...] = ()
    confirm: str | None = None
    low: str | None = None
    high: str | None = None
    low_n: int | None = None
    high_n: int | None = None
    ids: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


def _widget(state: State, get: Callable[[str], str]) -> _Widget:
    """The widget for the state's question, with its labels in one locale."""
    ask = state.ask
    kind = state.input_kind
    if kind == "choice" and ask and ask.choice:
        options = tuple(Option(oid, get(k)) for oid, k in ask.choice.options.items())
        return _Widget(kind, options, ids=tuple(ask.choice.options), labels=_labels(options))
    if kind == "multi" and ask and ask.multi:
        options = tuple(Option(oid, get(k)) for oid, k in ask.multi.options.items())
        ticked = tuple(Option(o.id, o.label, True) for o in options)
        confirm = get("common.confirm")
        return _Widget(kind, options, ticked, confirm, low_n=ask.multi.min, high_n=ask.multi.max)
    if kind == "scale" and ask and ask.scale:
        scale = ask.scale
        return _Widget(
            kind,
            tuple(Option(str(n), str(n)) for n in range(scale.min, scale.max + 1)),
            low=get(scale.low) if scale.low else None,
            high=get(scale.high) if scale.high else None,
            low_n=scale.min,
            high_n=scale.max,
        )
    if kind == "yesno":
        options = (Option("yes", get("common.yes")), Option("no", get("common.no")))
        return _Widget(kind, options, ids=("yes", "no"), labels=_labels(options))
    if kind == "text" and ask and ask.text:
        return _Widget(kind, low_n=ask.text.min, high_n=ask.text.max)
    return _Widget("continue", (Option("continue", get("common.continue")),))


def _labels(options: tuple[Option, ...]) -> tuple[str, ...]:
    return tuple(o.label for o in options)
