"""The engine is channel-agnostic: importing it pulls in no Telegram, SQL or web code."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.engine.helpers import REPO

FORBIDDEN = ("telegram", "sqlalchemy", "starlette", "uvicorn", "httpx", "bot.store", "bot.web")

PROGRAM = """
import json, sys
import bot.engine
from bot.engine import Engine
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_the_engine_loads_no_channel_or_storage_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = json.loads(result.stdout)
    assert "bot.engine" in loaded
    leaked = [
        name
        for name in loaded
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert leaked == []
