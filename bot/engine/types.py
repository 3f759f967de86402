"""Plain data that goes in and out of the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RunStatus = Literal["active", "paused", "stopped", "finished"]
NavAction = Literal["back", "pause", "stop"]
OutcomeStatus = Literal[
    "started",  # a new run shows its first state
    "resumed",  # a paused or interrupted run shows its current state again
    "relocated",  # the run's state vanished from a new version; moved and shown
    "advanced",  # the answer was accepted and the next state is shown
    "finished",  # the answer was accepted and an end state is shown
    "rejected",  # the input did not fit; a re-prompt is shown, nothing changed
    "toggled",  # a multi-choice option was switched; the question is shown again
    "back",  # went back one step
    "paused",
    "stopped",
    "stale",  # the input belongs to an earlier step; nothing changed
    "flagged",  # free text seems to identify someone: asked to rephrase or send again
]


@dataclass(frozen=True)
class RunState:
    """One person's place in one dialogue: all the engine needs, nothing of storage.

    `step` increases on every change, so a channel can put it into a button and
    recognise a press on an old message. `pending` holds the options ticked so
    far in a multiple choice, or, at a free-text question, the fingerprint of a
    text that was flagged as identifying and awaits confirmation.
    """

    dialogue_id: str
    version: str
    state: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    status: RunStatus = "active"
    step: int = 0


@dataclass(frozen=True)
class Context:
    """Who the engine talks to: the locale, the name used in `{first_name}`, and the
    local contacts of their organisation (key -> value) for `{contact.<key>}`; a
    contact missing here reads as its national fallback text."""

    locale: str = "nl"
    first_name: str = ""
    contacts: Mapping[str, str] = field(default_factory=dict, hash=False)


# Inputs. `Say` is anything typed; the others come from buttons.
@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Pick:
    option: str


@dataclass(frozen=True)
class Toggle:
    option: str


@dataclass(frozen=True)
class Confirm:
    pass


@dataclass(frozen=True)
class Continue:
    pass


@dataclass(frozen=True)
class Nav:
    action: NavAction


@dataclass(frozen=True)
class Media:
    """Something that is not text: a sticker, photo, voice note, location, ..."""

    kind: str


Input = Say | Pick | Toggle | Confirm | Continue | Nav | Media


@dataclass(frozen=True)
class Option:
    """A button: the id the channel sends back and the label shown."""

    id: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class Progress:
    step: int
    total: int
    label: str


@dataclass(frozen=True)
class Widget:
    """The input a message asks for, for the channel to render as it likes."""

    kind: str  # choice, multi, scale, yesno, continue, text
    options: tuple[Option, ...] = ()
    nav: tuple[Option, ...] = ()
    confirm: str | None = None
    low: str | None = None
    high: str | None = None
    min: int | None = None
    max: int | None = None
    step: int = 0


@dataclass(frozen=True)
class Reply:
    """One outgoing message. `text` is plain text: the channel escapes it."""

    text: str
    kind: Literal["say", "card", "notice", "reprompt"] = "say"
    title: str | None = None
    widget: Widget | None = None
    progress: Progress | None = None


@dataclass(frozen=True)
class Answer:
    """An answer to store: under `key`, given in `state`."""

    key: str
    state: str
    kind: str
    value: Any


@dataclass(frozen=True)
class Outcome:
    """What one input did: the new run, what to store or forget, and what to show."""

    status: OutcomeStatus
    run: RunState
    replies: tuple[Reply, ...] = ()
    answer: Answer | None = None
    forget: tuple[str, ...] = ()
    echo: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the run must be saved."""
        return self.status not in ("rejected", "stale")
