"""Every kind of button the bot makes, with the callback data it carries.

One list, so the wire format can be read (and kept) in one place: buttons already
in people's chats are pressed after a deploy, so a prefix or field order never
changes meaning. Run buttons carry the run id and the step they were made for, so a
press on an old message, a finished run or another run is recognised and answered
kindly instead of changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Self

from bot.engine import Confirm, Continue, Input, Nav, Pick, Toggle
from bot.telegram.callbacks import Button, checked, number

# -- exercises, menus, joining (bot/telegram/channel.py routes these) -------------------------

_PLAIN: dict[str, Input] = {
    "c": Confirm(),
    "n": Continue(),
    "b": Nav("back"),
    "z": Nav("pause"),
    "x": Nav("stop"),
}
_NAV: dict[str, Nav] = {"back": Nav("back"), "pause": Nav("pause"), "stop": Nav("stop")}


@dataclass(frozen=True)
class RunPress(Button, prefix="r"):
    """An answer by button: `r:<run>:<step>:<code>[:<option>]`, where the code is
    p (pick) or t (toggle) with an option, or c, n, b, z, x (confirm, continue, back,
    pause, stop) without one."""

    run_id: int
    step: int
    given: Input

    @classmethod
    def decode(cls, args: str | None) -> Self | None:
        parts = (args or "").split(":", 3)
        if len(parts) < 3:
            return None
        run_id, step = number(parts[0]), number(parts[1])
        given = _given(parts[2], parts[3] if len(parts) == 4 else None)
        if run_id is None or step is None or given is None:
            return None
        return cls(run_id, step, given)

    @property
    def data(self) -> str:
        code, option = _code(self.given)
        tail = f":{option}" if option is not None else ""
        return checked(f"{self.prefix}:{self.run_id}:{self.step}:{code}{tail}")


def navigation(action: str) -> Nav:
    """The input of a navigation button (back, pause, stop)."""
    return _NAV[action]


def _given(code: str, option: str | None) -> Input | None:
    if option is None:
        return _PLAIN.get(code)
    if option and code == "p":
        return Pick(option)
    if option and code == "t":
        return Toggle(option)
    return None


def _code(given: Input) -> tuple[str, str | None]:
    if isinstance(given, Pick):
        return "p", given.option
    if isinstance(given, Toggle):
        return "t", given.option
    for code, plain in _PLAIN.items():
        if plain == given:
            return code, None
    raise ValueError(f"no button gives {given!r}")


@dataclass(frozen=True)
class MenuPress(Button, prefix="m"):
    """A screen of the exercise menu: "top", "parts", "kb", "k:<kind>", "p:<part>", "kc:<card>"."""

    view: str


@dataclass(frozen=True)
class OpenPress(Button, prefix="o"):
    """Start or resume an exercise."""

    dialogue_id: str


@dataclass(frozen=True)
class LocalePress(Button, prefix="l"):
    locale: str


@dataclass(frozen=True)
class ConsentPress(Button, prefix="j"):
    """Consent given, to join with this invite code."""

    code: str


@dataclass(frozen=True)
class DeclinePress(Button, prefix="j-"):
    """Consent refused."""


# -- data rights (bot/telegram/rights_chat.py) -------------------------------------------------


@dataclass(frozen=True)
class ForgetPress(Button, prefix="vg"):
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class LeavePress(Button, prefix="lv"):
    group_id: int


# -- pushes, for professionals (bot/telegram/trainer/professional.py) ---------------------------


@dataclass(frozen=True)
class StartPushPress(Button, prefix="s"):
    """Start the exercise a push brought (made by bot/telegram/dispatch.py)."""

    push_id: int
    dialogue_id: str


@dataclass(frozen=True)
class RemindersOffPress(Button, prefix="rq"):
    """No more reminders (on a reminder)."""


# -- trainers (bot/telegram/trainer/) ---------------------------------------------------------

Role = Literal["p", "t"]  # professional, trainer: the roles a trainer may invite
WhenChoice = Literal["now", "t9", "m9", "type"]  # now, tomorrow 9:00, Monday 9:00, typed


@dataclass(frozen=True)
class GroupsPress(Button, prefix="G"):
    """The trainer's groups."""


@dataclass(frozen=True)
class GroupPress(Button, prefix="g"):
    group_id: int


@dataclass(frozen=True)
class MembersPress(Button, prefix="gm"):
    group_id: int


@dataclass(frozen=True)
class RemoveAskPress(Button, prefix="gx"):
    group_id: int
    person_id: int


@dataclass(frozen=True)
class RemovePress(Button, prefix="gX"):
    group_id: int
    person_id: int


@dataclass(frozen=True)
class InvitePress(Button, prefix="gi"):
    group_id: int


@dataclass(frozen=True)
class InviteRolePress(Button, prefix="ir"):
    group_id: int
    role: Role


@dataclass(frozen=True)
class InviteDaysPress(Button, prefix="id"):
    group_id: int
    role: Role
    days: int


@dataclass(frozen=True)
class InviteUsesPress(Button, prefix="iu"):
    group_id: int
    role: Role
    days: int
    uses: int  # 0: unlimited


@dataclass(frozen=True)
class NewPushPress(Button, prefix="pn"):
    group_id: int


@dataclass(frozen=True)
class PushExercisePress(Button, prefix="pd"):
    group_id: int
    dialogue_id: str


@dataclass(frozen=True)
class PushWhenPress(Button, prefix="pw"):
    choice: WhenChoice


@dataclass(frozen=True)
class NoNotePress(Button, prefix="pk"):
    pass


@dataclass(frozen=True)
class QuietTogglePress(Button, prefix="pq"):
    """Respect or override the quiet hours for the push being composed."""


@dataclass(frozen=True)
class ConfirmPushPress(Button, prefix="pg"):
    pass


@dataclass(frozen=True)
class PushesPress(Button, prefix="gp"):
    """A group's scheduled pushes."""

    group_id: int


@dataclass(frozen=True)
class PushPress(Button, prefix="pv"):
    push_id: int


@dataclass(frozen=True)
class CancelPushPress(Button, prefix="pc"):
    push_id: int


@dataclass(frozen=True)
class AnswersPress(Button, prefix="pa"):
    """A member's answers to a push."""

    push_id: int
    person_id: int


@dataclass(frozen=True)
class FeedbackPress(Button, prefix="fb"):
    answer_id: int
    person_id: int
    number: int  # the answer's number as shown to the trainer


@dataclass(frozen=True)
class CancelTaskPress(Button, prefix="x"):
    """Stop composing a push or feedback."""
