"""Callback data: how a button's meaning travels in its 64 bytes, and who handles it.

Every kind of button is declared once, as a frozen dataclass (see `presses.py`) with
its prefix; its fields are what the button carries. The wire format is
`<prefix>[:<field>...]`, the format of the buttons already in people's chats, so they
keep working after a deploy. Parsing is strict because callback data comes from the
client and can be forged: an id that is not a plain number or too large for an id
column, a value we never offer, a missing or an extra field, all give None, and each
family of handlers answers that kindly instead of failing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import (
    Any,
    ClassVar,
    Generic,
    Literal,
    Self,
    TypeVar,
    get_args,
    get_origin,
    get_type_hints,
)

MAX_BYTES = 64
# Ids in callback data end up in SQL; a number beyond the integer columns is forged.
MAX_ID = 2**31 - 1

Convert = Callable[[str], object | None]
# Every kind by its prefix, filled as the kinds are declared.
_KINDS: dict[str, type[Button]] = {}
_CONVERTERS: dict[type[Button], tuple[Convert, ...]] = {}


@dataclass(frozen=True)
class Button:
    """The base of every kind of callback data.

    A subclass names its prefix (`class GroupPress(Button, prefix="g")`) and declares
    its fields as `int` (an id or a small number), `str` (text; the last field takes
    the rest, colons and all) or `Literal[...]` (one of a few fixed values).
    """

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix in _KINDS or ":" in prefix:
            raise TypeError(f"callback prefix {prefix!r} is taken or has a colon")
        cls.prefix = prefix
        _KINDS[prefix] = cls

    @classmethod
    def decode(cls, args: str | None) -> Self | None:
        """This kind from what followed its prefix (None: no colon); None if we never
        made it."""
        converters = _converters(cls)
        if not converters or args is None:
            return cls() if args is None and not converters else None
        texts = args.split(":", len(converters) - 1)
        if len(texts) != len(converters):
            return None
        values = [convert(text) for convert, text in zip(converters, texts, strict=True)]
        if any(value is None for value in values):
            return None
        make: Callable[..., Self] = cls
        return make(*values)

    @property
    def data(self) -> str:
        """The callback data for a button of this kind."""
        return checked(self.prefix + "".join(f":{getattr(self, f.name)}" for f in fields(self)))


def parse(data: object) -> Button | None:
    """The press a button stands for, or None for data we never made."""
    if not isinstance(data, str) or not data:
        return None
    prefix, colon, args = data.partition(":")
    kind = _KINDS.get(prefix)
    return kind.decode(args if colon else None) if kind is not None else None


def kind_of(data: object) -> type[Button] | None:
    """The kind whose prefix this data has, well-formed or not."""
    return _KINDS.get(data.partition(":")[0]) if isinstance(data, str) else None


def checked(data: str) -> str:
    """Telegram refuses a button with more callback data than this; fail where it is made."""
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def number(text: str) -> int | None:
    """A plain decimal number that fits an id column, or None."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def _text(text: str) -> str | None:
    return text or None


def _converters(kind: type[Button]) -> tuple[Convert, ...]:
    """How to read each field of a kind, worked out on its first press."""
    known = _CONVERTERS.get(kind)
    if known is None:
        hints = get_type_hints(kind)
        known = _CONVERTERS[kind] = tuple(_converter(hints[f.name]) for f in fields(kind))
    return known


def _converter(hint: object) -> Convert:
    if hint is int:
        return number
    if hint is str:
        return _text
    if get_origin(hint) is Literal:
        allowed = frozenset(get_args(hint))
        return lambda text: text if text in allowed else None
    raise TypeError(f"a callback field cannot be of type {hint!r}")


C = TypeVar("C")
P = TypeVar("P", bound=Button)


class Routes(Generic[C]):
    """The table from button kind to handler, for one family of buttons.

    A family shares what happens before its handlers run (the person's lock, who they
    are, what they may do); `C` is what that gives each handler.
    """

    def __init__(self) -> None:
        self._handlers: dict[type[Button], Callable[[C, Any], Awaitable[None]]] = {}

    def add(self, kind: type[P], handler: Callable[[C, P], Awaitable[None]]) -> None:
        if kind in self._handlers:
            raise ValueError(f"{kind.__name__} is handled twice")
        self._handlers[kind] = handler

    def owns(self, data: object) -> bool:
        """Whether the data has the prefix of one of our kinds, even if malformed: the
        family's pattern for PTB, so forged data of our kinds is ours to refuse."""
        return kind_of(data) in self._handlers

    def handles(self, press: Button) -> bool:
        return type(press) in self._handlers

    async def route(self, context: C, press: Button) -> bool:
        """Run the press's handler; False if it is not one of ours."""
        handler = self._handlers.get(type(press))
        if handler is None:
            return False
        await handler(context, press)
        return True
