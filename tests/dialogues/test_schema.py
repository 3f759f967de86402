"""The JSON Schema published for editors accepts every shipped dialogue file."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from bot.dialogues.schema import dialogue_schema
from bot.dialogues.yamlsource import load_yaml

HERE = Path(__file__).parent
REPO = HERE.parent.parent
SHIPPED = sorted((REPO / "dialogues").glob("*.y*ml"))
HAS_JSONSCHEMA = importlib.util.find_spec("jsonschema") is not None


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dialogue_schema()


def test_the_schema_names_the_required_top_level_keys(schema: dict[str, Any]) -> None:
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"id", "kind", "part", "title", "minutes", "start", "states"}
    written = json.dumps(schema)
    for yaml_name in ('"if"', '"in"', '"not"', '"continue"'):  # YAML names, not Python ones
        assert yaml_name in written


def test_the_published_schema_file_is_up_to_date(schema: dict[str, Any]) -> None:
    published = json.loads((REPO / "schema" / "dialogue.schema.json").read_text(encoding="utf-8"))
    assert published == schema, "regenerate it: straatwijs schema > schema/dialogue.schema.json"


def validate(data: Any, schema: dict[str, Any]) -> None:
    """Validate with jsonschema when installed; else check the keys used are known."""
    if HAS_JSONSCHEMA:
        import jsonschema

        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
        return
    assert set(schema["required"]) <= set(data) <= set(schema["properties"])
    known = schema["$defs"]["State"]["properties"]
    for state in data["states"].values():
        assert set(state) <= set(known)


@pytest.mark.parametrize("file", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_dialogue_fits_the_schema(file: Path, schema: dict[str, Any]) -> None:
    validate(load_yaml(file).data, schema)


@pytest.mark.skipif(not HAS_JSONSCHEMA, reason="needs jsonschema")
def test_the_schema_catches_a_misspelt_key(schema: dict[str, Any]) -> None:
    import jsonschema

    data = load_yaml(HERE / "broken" / "unknown_key_ask.yaml").data
    with pytest.raises(jsonschema.ValidationError, match="chioce"):
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
