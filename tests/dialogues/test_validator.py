"""The validator names each mistake once, on its line, in the author's words.

Every case in `broken/` holds one mistake: either a single dialogue file, or a
folder with `dialogues/` and, optionally, `content/<locale>/` files that are laid
over a small valid content folder. A case says what the validator must report
in comment lines, so adding a case is adding a file:

    # expect: [FILE:]LINE: message fragment | hint fragment
    # locales: nl, xx          (optional; the locales to check, default nl and en)

FILE defaults to the file the comment stands in. Paths are relative to the
folder the case is loaded from: `dialogues/<name>.yaml`, `content/<locale>/...`.
The problems reported must be exactly the ones expected, no more.
"""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dialogues.catalog import load_catalog, load_valid_catalog, parse_dialogue
from bot.dialogues.problems import InvalidDialogues, Problem
from bot.dialogues.yamlsource import load_yaml

HERE = Path(__file__).parent
REPO = HERE.parent.parent
BROKEN = HERE / "broken"
FIXTURES = HERE / "fixtures"
LOCALES = ["nl", "en"]

EXPECT = re.compile(
    r"^#\s*expect:\s*(?:(?P<file>[^:\s]+):)?(?P<line>\d+):\s*(?P<message>.*?)"
    r"(?:\s+\|\s+(?P<hint>.*?))?\s*$"
)
LOCALES_LINE = re.compile(r"^#\s*locales:\s*(?P<codes>.+?)\s*$")


@dataclass(frozen=True)
class Expected:
    file: str
    line: int
    message: str
    hint: str | None

    def matches(self, problem: Problem) -> bool:
        return (
            problem.file == self.file
            and problem.line == self.line
            and self.message in problem.message
            and (self.hint is None or self.hint in problem.hint)
        )

    def __str__(self) -> str:
        hint = f" | {self.hint}" if self.hint else ""
        return f"{self.file}:{self.line}: ...{self.message}...{hint}"


@dataclass
class Case:
    """A broken case laid out in a work folder, ready to load."""

    root: Path
    expected: list[Expected]
    locales: list[str]


def cases() -> list[Path]:
    return sorted(p for p in BROKEN.iterdir() if p.suffix == ".yaml" or p.is_dir())


@functools.cache
def shared_texts(code: str) -> str:
    """The keys of the real shared texts (common, channel, ...), each with a short
    stand-in text: the validator requires them, and short texts load fast."""
    dialogues = {p.stem for p in (REPO / "dialogues").glob("*.yaml")}
    keys: list[str] = []

    def collect(data: object, path: tuple[str, ...]) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                collect(value, (*path, str(key)))
        else:
            keys.append(".".join(path))

    for file in sorted((REPO / "content" / code).glob("*.yaml")):
        if file.stem not in dialogues:
            collect(load_yaml(file).data, ())
    return "".join(f'"{key}": "tekst"\n' for key in keys)


def content_dir(target: Path) -> Path:
    """A valid content folder: the shared texts plus the fixture texts."""
    for code in LOCALES:
        folder = target / code
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "shared.yaml").write_text(shared_texts(code), encoding="utf-8")
        shutil.copy(FIXTURES / "content" / code / "demo.yaml", folder / "demo.yaml")
    return target


def lay_out(source: Path, root: Path) -> Case:
    """Copy a case into `root` and read the expectations from its comments."""
    content_dir(root / "content")
    (root / "dialogues").mkdir()
    if source.is_dir():
        copied = []
        for path in sorted(source.rglob("*.yaml")):
            relative = path.relative_to(source)
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, root / relative)
            copied.append((path, relative.as_posix()))
    else:
        shutil.copy(source, root / "dialogues" / source.name)
        copied = [(source, f"dialogues/{source.name}")]
    expected: list[Expected] = []
    locales = LOCALES
    for path, shown in copied:
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := EXPECT.match(line):
                expected.append(
                    Expected(
                        match["file"] or shown,
                        int(match["line"]),
                        match["message"],
                        match["hint"],
                    )
                )
            elif match := LOCALES_LINE.match(line):
                locales = [code.strip() for code in match["codes"].split(",")]
    return Case(root, expected, locales)


def load(case: Case) -> list[Problem]:
    _, problems = load_catalog(
        [case.root / "dialogues"], case.root / "content", case.locales, root=case.root
    )
    return problems


@pytest.mark.parametrize("source", cases(), ids=lambda p: p.stem)
def test_broken_case_reports_exactly_what_it_expects(source: Path, tmp_path: Path) -> None:
    case = lay_out(source, tmp_path)
    assert case.expected, f"{source.name} declares no '# expect: LINE: message' comment"
    problems = load(case)
    report = "\n".join(str(p) for p in problems) or "(no problems)"
    for expected in case.expected:
        found = [p for p in problems if expected.matches(p)]
        assert len(found) == 1, f"expected once: {expected}\nreported:\n{report}"
    unexpected = [p for p in problems if not any(e.matches(p) for e in case.expected)]
    assert not unexpected, f"not expected:\n{report}"


def test_the_corpus_covers_many_kinds_of_mistake() -> None:
    assert len(cases()) >= 30


def test_the_fixture_dialogue_is_valid(tmp_path: Path) -> None:
    """Every broken case is this dialogue with one mistake; it must be clean itself."""
    catalog, problems = load_catalog(
        [FIXTURES / "dialogues"], content_dir(tmp_path / "content"), LOCALES
    )
    assert problems == []
    assert list(catalog.dialogues) == ["demo"]


@pytest.mark.parametrize("locales", [["nl", "en"], ["nl"], ["en"], None])
def test_shipped_dialogues_and_content_are_valid(locales: list[str] | None) -> None:
    catalog, problems = load_catalog([REPO / "dialogues"], REPO / "content", locales, root=REPO)
    assert [str(p) for p in problems] == []
    shipped = sorted(p.stem for p in (REPO / "dialogues").glob("*.yaml"))
    assert sorted(catalog.dialogues) == shipped
    assert set(catalog.locales) >= set(locales or ["nl", "en"])


def test_problems_read_as_file_line_message_and_hint() -> None:
    problem = Problem("dialogues/x.yaml", 7, "unknown key 'chioce'", "did you mean 'choice'?")
    assert str(problem) == "dialogues/x.yaml:7: unknown key 'chioce' (hint: did you mean 'choice'?)"
    assert str(Problem("x.yaml", 1, "broken")) == "x.yaml:1: broken"


def test_load_valid_catalog_raises_with_every_problem_sorted(tmp_path: Path) -> None:
    case = lay_out(BROKEN / "loop_without_exit.yaml", tmp_path)
    with pytest.raises(InvalidDialogues) as caught:
        load_valid_catalog([tmp_path / "dialogues"], tmp_path / "content", root=tmp_path)
    assert [p.line for p in caught.value.problems] == [e.line for e in case.expected]
    assert "dialogues/loop_without_exit.yaml:14: no end can be reached" in str(caught.value)


def test_an_empty_dialogue_folder_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "dialogues").mkdir()
    _, problems = load_catalog([tmp_path / "dialogues"], content_dir(tmp_path / "content"), LOCALES)
    assert [p.message for p in problems] == ["no dialogue files found"]


# -- any damage gets a line, never a crash ---------------------------------------

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
JUNK = [None, "", 0, -1, 3.5, True, [], {}, "Hallo daar", "demo.nope", "x", {"a": 1}, [1, None]]


def paths_in(data: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_in(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += paths_in(value, (*path, i))
    return found


def damaged(data: object, path: tuple, how: str, junk: object) -> object:
    """A copy of `data` with the value at `path` replaced, removed or given a stray key."""
    if not path:
        return junk
    copy = copy_of(data)
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "remove":
        del parent[last]
    elif how == "stray" and isinstance(parent, dict):
        parent[f"{last}x"] = junk
    else:
        parent[last] = junk
    return copy


def copy_of(data: object) -> object:
    if isinstance(data, dict):
        return {k: copy_of(v) for k, v in data.items()}
    if isinstance(data, list):
        return [copy_of(v) for v in data]
    return data


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("damaged") / "demo.yaml"


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_dialogues_get_problems_with_lines_never_exceptions(
    scratch: Path, data: st.DataObject
) -> None:
    original = load_yaml(FIXTURES / "dialogues" / "demo.yaml").data
    path = data.draw(st.sampled_from(paths_in(original)), label="path")
    how = data.draw(st.sampled_from(["replace", "remove", "stray"]), label="how")
    junk = data.draw(st.sampled_from(JUNK), label="junk")
    text = yaml.dump(damaged(original, path, how, junk), Dumper=DUMPER, allow_unicode=True)
    scratch.write_text(text, encoding="utf-8")
    dialogue, _, problems = parse_dialogue(scratch, "demo.yaml")
    lines = text.count("\n") + 1
    for problem in problems:
        assert problem.file == "demo.yaml"
        assert 1 <= problem.line <= lines
        assert problem.message
    if not problems:
        assert dialogue is not None
