"""The dialogue file format as pydantic models.

One model serves three purposes: it validates files, it is what the engine
compiles, and `straatwijs schema` publishes it as a JSON Schema for editors.
Everything an author can write is plain data: conditions are comparisons,
never expressions or Python names.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

IDENT = r"^[a-z][a-z0-9_]*$"
CONTENT_KEY = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"

Ident = Annotated[str, Field(pattern=IDENT, max_length=40)]
ContentKey = Annotated[
    str,
    Field(pattern=CONTENT_KEY, description="A text key in content/<locale>/*.yaml"),
]
Scalar = str | int | float | bool


class Kind(StrEnum):
    """The three families of exercises."""

    ZELFKENNIS = "zelfkennis"
    BEWUSTWORDING = "bewustwording"
    STRAATSCENARIO = "straatscenario"


class Part(StrEnum):
    """The five parts of the Preventie met Gezag training."""

    KENNIS = "kennis"
    BEWUSTWORDING = "bewustwording"
    HANDELINGSINTELLIGENTIE = "handelingsintelligentie"
    ZELFKENNIS = "zelfkennis"
    VERBINDING = "verbinding"


# The seven craft elements of the training; street scenarios tag the ones they train.
CRAFT_ELEMENTS: tuple[str, ...] = (
    "wat_werkt_hier",  # what works in this concrete situation
    "effectieve_interventies",  # organising effective interventions
    "bottom_up",  # thinking and acting bottom-up
    "structureel_maatwerk",  # structural tailor-made work
    "diep_inzicht",  # deep insight into the situation
    "spontane_energie",  # using spontaneous energy
    "commitment_organiseren",  # organising commitment
)

# Reflection structures a dialogue may name in `method`.
METHODS: tuple[str, ...] = (
    "ALACT",
    "STARR",
    "STARRT",
    "Gibbs",
    "Korthagen-ui",
    "moreel-beraad",
    "incidentmethode",
    "check-in",
)


class Strict(BaseModel):
    """Base for file models: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceAsk(Strict):
    """Pick exactly one option (inline buttons)."""

    options: dict[Ident, ContentKey] = Field(
        description="Option id -> content key of its label, in display order."
    )


class MultiAsk(Strict):
    """Pick several options, then confirm."""

    options: dict[Ident, ContentKey]
    min: int = Field(1, ge=0)
    max: int | None = Field(None, ge=1)


class ScaleAsk(Strict):
    """A number on a scale such as 1-5 or 0-10, with optional end labels."""

    min: int = 1
    max: int = 5
    low: ContentKey | None = Field(None, description="Label of the low end.")
    high: ContentKey | None = Field(None, description="Label of the high end.")

    @model_validator(mode="after")
    def _range(self) -> ScaleAsk:
        if not self.min < self.max <= self.min + 10:
            raise ValueError("scale needs min < max and at most 11 steps (e.g. 1-5 or 0-10)")
        return self


class TextAsk(Strict):
    """Free text between min and max characters."""

    min: int = Field(1, ge=1)
    max: int = Field(2000, le=4000)

    @model_validator(mode="after")
    def _range(self) -> TextAsk:
        if self.min > self.max:
            raise ValueError("text needs min <= max")
        return self


class Ask(Strict):
    """The input a state asks for: exactly one of the fields.

    Written in YAML as `ask: {choice: {...}}`, `ask: {text: {min: 10}}`,
    or the shorthands `ask: yesno` and `ask: continue`.
    """

    choice: ChoiceAsk | None = None
    multi: MultiAsk | None = None
    scale: ScaleAsk | None = None
    text: TextAsk | None = None
    yesno: Literal[True] | None = None
    continue_: Literal[True] | None = Field(None, alias="continue")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if data in ("yesno", "continue"):
            return {data: True}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Ask:
        given = [name for name in self.kinds() if getattr(self, _attr(name)) is not None]
        if len(given) != 1:
            raise ValueError(
                "ask needs exactly one of: choice, multi, scale, text, yesno, continue"
            )
        return self

    @staticmethod
    def kinds() -> tuple[str, ...]:
        """The input kinds in the order the file format documents them."""
        return ("choice", "multi", "scale", "text", "yesno", "continue")

    @property
    def kind(self) -> str:
        """Which input this is: choice, multi, scale, text, yesno or continue."""
        return next(name for name in self.kinds() if getattr(self, _attr(name)) is not None)


def _attr(kind: str) -> str:
    return "continue_" if kind == "continue" else kind


class Compare(Strict):
    """One comparison against a stored answer; all given operators must hold."""

    eq: Scalar | None = None
    ne: Scalar | None = None
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    not_in: list[Scalar] | None = None
    contains: Scalar | None = Field(None, description="For multi answers: this option chosen.")
    answered: bool | None = None
    # Against another stored answer of the same run (e.g. confidence after vs before);
    # false while that answer is missing.
    eq_answer: Ident | None = Field(None, description="Equal to this other answer.")
    ne_answer: Ident | None = Field(None, description="Different from this other answer.")
    lt_answer: Ident | None = Field(None, description="Below this other (scale) answer.")
    lte_answer: Ident | None = Field(None, description="At most this other (scale) answer.")
    gt_answer: Ident | None = Field(None, description="Above this other (scale) answer.")
    gte_answer: Ident | None = Field(None, description="At least this other (scale) answer.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _not_empty(self) -> Compare:
        if not self.model_dump(exclude_none=True):
            raise ValueError(
                "a comparison needs an operator: eq, ne, lt, lte, gt, gte, in, not_in, "
                "contains, answered, or one of eq/ne/lt/lte/gt/gte_answer"
            )
        return self

    @cached_property
    def other_answers(self) -> dict[str, str]:
        """Operator -> the other answer it compares with (asked on every branch step)."""
        named = {
            "eq_answer": self.eq_answer,
            "ne_answer": self.ne_answer,
            "lt_answer": self.lt_answer,
            "lte_answer": self.lte_answer,
            "gt_answer": self.gt_answer,
            "gte_answer": self.gte_answer,
        }
        return {op: key for op, key in named.items() if key is not None}


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1)


class NotCond(Strict):
    not_: Condition = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# `{answer_key: {op: value}}` — a mapping from a stored answer name to a comparison.
AnswerTest = dict[Ident, Compare]


def _condition_tag(data: Any) -> str | None:
    """Pick the condition form by its key, so a typo yields one clear error, not four."""
    if isinstance(data, dict) and len(data) == 1:
        key = next(iter(data))
        if key in ("all", "any", "not"):
            return key
    if isinstance(data, BaseModel):
        return {AllOf: "all", AnyOf: "any", NotCond: "not"}.get(type(data), "answer")
    return "answer"


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotCond, Tag("not")]
    | Annotated[AnswerTest, Tag("answer")],
    Discriminator(_condition_tag),
]


class Rule(Strict):
    """One branch: go `to` a state when `if` holds (no `if`: always)."""

    if_: Condition | None = Field(None, alias="if")
    to: Ident
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _next_tag(data: Any) -> str:
    """Pick the form of `next` by its YAML type."""
    if isinstance(data, list):
        return "rules"
    if isinstance(data, dict):
        return "options"
    return "state"


Next = Annotated[
    Annotated[Ident, Tag("state")]
    | Annotated[dict[Ident, Ident], Tag("options")]
    | Annotated[list[Rule], Tag("rules")],
    Discriminator(_next_tag),
]


class State(Strict):
    """One step of a dialogue."""

    say: ContentKey | list[ContentKey] | None = Field(
        None, description="Text(s) to send, as content keys; several make short messages."
    )
    card: ContentKey | None = Field(
        None, description="A knowledge card: content key with `title` and `body` below it."
    )
    ask: Ask | None = Field(None, description="The input asked for; none means `continue`.")
    store: Ident | None = Field(None, description="Name under which the answer is kept.")
    next: Next | None = Field(
        None,
        description="Target state; or option id -> state; or a list of rules "
        "({if: condition, to: state}) tried in order.",
    )
    end: bool = Field(False, description="The dialogue ends after this state is shown.")
    # None rather than an empty list: states without tags keep the dialogue's content hash.
    tags: list[Ident] | None = Field(
        None,
        description="Of a question: the dialogue's tags (e.g. craft elements) it works on.",
    )

    @property
    def says(self) -> list[str]:
        """The say keys as a list."""
        if self.say is None:
            return []
        return [self.say] if isinstance(self.say, str) else list(self.say)

    @property
    def input_kind(self) -> str | None:
        """The kind of input: None for an end state, else an Ask kind."""
        if self.end:
            return None
        return self.ask.kind if self.ask else "continue"


class Dialogue(Strict):
    """A dialogue file: metadata and its states."""

    id: Ident
    kind: Kind
    part: Part
    title: ContentKey
    summary: ContentKey | None = None
    minutes: int = Field(ge=1, le=60)
    version: int = Field(1, ge=1, description="Author's version number; runs pin a hash.")
    method: str | None = Field(
        None,
        description="Reflection structure used: " + ", ".join(METHODS) + ".",
        json_schema_extra={"enum": list(METHODS)},
    )
    tags: list[Ident] = Field(default_factory=list, description="E.g. craft elements trained.")
    start: Ident
    states: dict[Ident, State] = Field(min_length=1)


AllOf.model_rebuild()
AnyOf.model_rebuild()
NotCond.model_rebuild()
Rule.model_rebuild()
State.model_rebuild()
Dialogue.model_rebuild()
