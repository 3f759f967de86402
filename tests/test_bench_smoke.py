"""The benchmarks run: each with tiny sizes, to prove it executes. No timing is checked
(timings belong in bench/RESULTS.md, measured by `python bench/run.py`)."""

from __future__ import annotations

import pytest

from bench.common import Result
from bench.run import (
    bench_aggregate,
    bench_disclosure,
    bench_dispatch,
    bench_memory,
    bench_push,
    bench_updates,
)


def _lines(results: list[Result]) -> list[str]:
    assert results
    return [r.line() for r in results]


def test_updates():
    lines = _lines(bench_updates(people=2, lanes=1, rounds=1))
    assert [line.split(":")[0] for line in lines] == [
        "updates_vs_echo",
        "updates_vs_conversationhandler",
    ]


def test_dispatch():
    (result,) = bench_dispatch(people=3, rounds=1)
    assert result.valid  # both implementations end every run in the same place


def test_push():
    results = bench_push(members=6, kill_members=6, stop_members=6, lease_s=0.1)
    assert [r.name for r in results] == [
        "push_rate",
        "push_violations",
        "push_duplicates_after_kill",
    ]
    assert results[2].valid  # nobody is left without the push after the kill


def test_memory():
    (result,) = bench_memory(small=2, large=6, fresh_engine=False)
    assert result.valid


def test_aggregate():
    (result,) = bench_aggregate(small=250, large=1_000, repeats=1)
    assert result.valid


@pytest.mark.parametrize(
    ("result", "line"),
    [
        (Result("x", 0.5, ">=", 0.5), "x: ratio=0.5 target=>=0.5 ok"),
        (Result("x", 12.34, "<=", 10), "x: ratio=12.3 target=<=10 MISS"),
        (Result("x", 0, "==", 0), "x: ratio=0 target===0 ok"),
        (Result("x", 2, ">=", 1, valid=False), "x: ratio=2 target=>=1 MISS"),
    ],
)
def test_result_lines(result, line):
    assert result.line() == line


def test_disclosure():
    (result,) = bench_disclosure(scale=1)
    assert result.name == "disclosure_hidden_share"
    assert 0 <= result.ratio <= 1
