"""The JSON Schema of dialogue files, generated from the same pydantic model."""

from __future__ import annotations

from typing import Any

from bot.dialogues.model import Dialogue

SCHEMA_ID = "https://straatwijs.example/schema/dialogue.schema.json"


def dialogue_schema() -> dict[str, Any]:
    """The schema editors use (by alias: `continue`, `if`, `in`, `not`)."""
    schema = Dialogue.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "Straatwijs dialogue"
    # `ask: yesno` and `ask: continue` are shorthands the model accepts before validation.
    ask = schema["$defs"]["Ask"]
    schema["$defs"]["Ask"] = {
        "description": ask.get("description", ""),
        "anyOf": [ask, {"enum": ["yesno", "continue"]}],
    }
    return schema
