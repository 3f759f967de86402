"""The channel-agnostic dialogue runtime.

It knows nothing of Telegram, SQL or the web: it takes a run and one input and
returns the new run, what to store and what to show, all as plain data.
"""

from bot.engine.engine import Engine, UnknownDialogue
from bot.engine.render import Renderer
from bot.engine.types import (
    Answer,
    Confirm,
    Context,
    Continue,
    Input,
    Media,
    Nav,
    Option,
    Outcome,
    Pick,
    Progress,
    Reply,
    RunState,
    Say,
    Toggle,
    Widget,
)

__all__ = [
    "Answer",
    "Confirm",
    "Context",
    "Continue",
    "Engine",
    "Input",
    "Media",
    "Nav",
    "Option",
    "Outcome",
    "Pick",
    "Progress",
    "Renderer",
    "Reply",
    "RunState",
    "Say",
    "Toggle",
    "UnknownDialogue",
    "Widget",
]
