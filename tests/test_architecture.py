"""The shape of the code base, checked like behaviour: layers, module size, complexity.

The layers and boundaries themselves are import-linter contracts (pyproject.toml,
`[tool.importlinter]`); running them here makes the README's test command catch a
crossing as well as CI's separate `lint-imports` step.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from radon.complexity import cc_rank, cc_visit

REPO = Path(__file__).resolve().parents[1]
BOT = REPO / "bot"
MAX_LINES = 500


def _modules() -> list[Path]:
    return [p for p in sorted(BOT.rglob("*.py")) if "migrations" not in p.parts]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_function_is_above_complexity_grade_c() -> None:
    complex_ = [
        f"{p.relative_to(REPO)}:{block.lineno} {block.name} ({block.complexity})"
        for p in _modules()
        for block in cc_visit(p.read_text(encoding="utf-8"))
        if cc_rank(block.complexity) > "C"
    ]
    assert complex_ == []


def test_imports_inside_functions_say_why() -> None:
    """A function-level import is allowed only to keep a heavy library (Telegram,
    uvicorn) out of the commands that do not need it, and then says so; an import
    placed in a function to dodge a cycle would hide a layering problem."""
    hidden = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    line = lines[inner.lineno - 1]
                    if "start-up" not in line and "start-up" not in lines[inner.lineno - 2]:
                        hidden.append(f"{path.relative_to(REPO)}:{inner.lineno}")
    assert sorted(set(hidden)) == []
