"""Dialogues: YAML files validated into a model, with their texts per locale,
compiled into one shared `transitions` machine each.

What other packages may use is listed below; the modules behind it (the checks,
the YAML loader, pydantic's errors) may change shape without notice.
"""

from bot.dialogues.catalog import Catalog, LoadedDialogue, load_catalog, load_valid_catalog
from bot.dialogues.checks import stored_keys
from bot.dialogues.compile import CompiledDialogue, compile_dialogue
from bot.dialogues.conditions import holds
from bot.dialogues.content import (
    Locale,
    available_locales,
    fill,
    fill_split,
    placeholders,
    split,
)
from bot.dialogues.diagram import Edge, Graph, Node, dot, graph, markdown, mermaid
from bot.dialogues.flow import dominators
from bot.dialogues.model import (
    CRAFT_ELEMENTS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Dialogue,
    Kind,
    NotCond,
    Part,
    Rule,
    State,
)
from bot.dialogues.problems import InvalidDialogues, Problem
from bot.dialogues.schema import dialogue_schema

__all__ = [
    "CRAFT_ELEMENTS",
    "AllOf",
    "AnyOf",
    "Catalog",
    "Compare",
    "CompiledDialogue",
    "Condition",
    "Dialogue",
    "Edge",
    "Graph",
    "InvalidDialogues",
    "Kind",
    "LoadedDialogue",
    "Locale",
    "Node",
    "NotCond",
    "Part",
    "Problem",
    "Rule",
    "State",
    "available_locales",
    "compile_dialogue",
    "dialogue_schema",
    "dominators",
    "dot",
    "fill",
    "fill_split",
    "graph",
    "holds",
    "load_catalog",
    "load_valid_catalog",
    "markdown",
    "mermaid",
    "placeholders",
    "split",
    "stored_keys",
]
