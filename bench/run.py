"""Run every benchmark and print one line each: `<name>: ratio=<x> target=<op><y> ok|MISS`.

    python bench/run.py            # the full sizes (several minutes)
    python bench/run.py --quick    # smaller sizes, under a minute
    python bench/run.py --only push --only aggregate
    python bench/run.py --postgres postgresql://postgres@127.0.0.1:5432/test

Each benchmark measures Straatwijs and its baseline side by side in this one
run (taking turns where it repeats), with `time.perf_counter` and medians.
The lines go to stdout; the absolute numbers behind each ratio go to stderr.
Exit status: 0 when every line is ok, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import POSTGRES, Result

SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "updates": {"people": 12, "lanes": 3, "rounds": 5},
        "dispatch": {"people": 60, "rounds": 3},
        "push": {"members": 300, "kill_members": 200, "stop_members": 60, "lease_s": 1.0},
        "memory": {"small": 10, "large": 100},
        "aggregate": {"small": 1_000, "large": 100_000},
        "disclosure": {"scale": 1},
    },
    "full": {
        "updates": {"people": 30, "lanes": 3, "rounds": 5},
        "dispatch": {"people": 200, "rounds": 7},
        "push": {"members": 2_000, "kill_members": 2_000, "stop_members": 1_000},
        "memory": {"small": 1_000, "large": 10_000},
        "aggregate": {"small": 10_000, "large": 1_000_000},
        "disclosure": {"scale": 1},
    },
}


def note(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


# -- the benchmarks (each returns its lines; sizes are parameters for the smoke test) -------


def bench_updates(people: int, lanes: int, rounds: int) -> list[Result]:
    """updates_vs_echo and updates_vs_conversationhandler: each the median of the
    ratios of the interleaved passes."""
    from bench.common import median
    from bench.updates import compare

    passes = asyncio.run(compare(people, lanes, rounds))

    def rate(name: str) -> float:
        return median([p[name][0] for p in passes])

    def ratios(name: str) -> list[float]:
        return [p["full"][0] / p[name][0] for p in passes]

    valid = {name: all(p[name][1] for p in passes) for name in passes[0]}
    note(
        f"updates/s (median of {rounds} passes, {people} people x drijfveren, {lanes} at a "
        f"time, the bots taking turns): full bot {rate('full'):.1f}, echo {rate('echo'):.1f}, "
        f"ConversationHandler+PicklePersistence {rate('conversation'):.1f}; ratios per pass: "
        f"vs echo {', '.join(f'{r:.2f}' for r in ratios('echo'))}; "
        f"vs ConversationHandler {', '.join(f'{r:.2f}' for r in ratios('conversation'))}"
    )
    lines = [
        ("updates_vs_echo", "echo", 0.5),
        ("updates_vs_conversationhandler", "conversation", 1.0),
    ]
    return [
        Result(line, median(ratios(name)), ">=", target, valid=valid["full"] and valid[name])
        for line, name, target in lines
    ]


def bench_dispatch(people: int, rounds: int) -> list[Result]:
    from bench.dispatch import compare

    found = compare(people, rounds)
    note(
        f"per input (median of {rounds}): Engine.handle {found['engine_us']:.0f} us, "
        f"machine per person {found['machine_us']:.0f} us"
    )
    return [
        Result("dispatch_vs_machine_per_person", found["ratio"], ">=", 10, valid=found["valid"])
    ]


def bench_push(
    members: int, kill_members: int, stop_members: int = 0, lease_s: float = 2.0
) -> list[Result]:
    from bench.push import LIMIT, kill, rate

    speed = asyncio.run(rate(members))
    note(
        f"push to {members}: {speed['rate']:.1f} messages/s against a limit of {LIMIT:.0f}/s, "
        f"{speed['violations']} flood violation(s)"
    )
    killed = asyncio.run(kill(kill_members, lease_s))
    note(
        f"push to {kill_members}, sending task cancelled after {killed['at_kill']} messages "
        f"({killed['unrecorded_at_kill']} sent but not yet recorded), new worker after the "
        f"{lease_s:g} s lease: {killed['duplicates']} duplicate(s), {killed['missing']} "
        f"missing ({killed['unconfirmed_missing']} of them in flight at the kill), "
        f"{killed['unconfirmed']} counted delivered unconfirmed, "
        f"{killed['violations']} flood violation(s), {killed['open']} unsettled"
    )
    violations = speed["violations"] + killed["violations"]
    if stop_members:
        stopped = asyncio.run(kill(stop_members, lease_s, graceful=True))
        note(
            f"push to {stop_members}, sender stopped cleanly (Dispatcher.stop, as on SIGTERM) "
            f"after {stopped['at_kill']} messages, new worker after the lease: "
            f"{stopped['duplicates']} duplicate(s), {stopped['missing']} missing, "
            f"{stopped['violations']} flood violation(s)"
        )
        violations += stopped["violations"]
    return [
        Result("push_rate", speed["ratio"], ">=", 0.9, valid=speed["valid"]),
        Result("push_violations", violations, "==", 0),
        Result(
            "push_duplicates_after_kill",
            killed["duplicates"],
            "==",
            0,
            # A message in flight at the kill is counted delivered, never resent (at
            # most once, bot/services/pushes/outbox.py): if the kill came before it
            # left, it is lost by design. Any other missing message, or an unsettled
            # one, is a failure.
            valid=killed["missing"] == killed["unconfirmed_missing"] and killed["open"] == 0,
        ),
    ]


def bench_memory(small: int, large: int, fresh_engine: bool = True) -> list[Result]:
    from bench.memory import compare

    found = asyncio.run(compare(small, large, fresh_engine))
    note(
        f"traced memory: {found['small_bytes'] / 1e6:.2f} MB after {small} people, "
        f"{found['large_bytes'] / 1e6:.2f} MB after {large} "
        f"({found['per_person']:+.0f} bytes a person)"
    )
    return [Result("memory_10k_vs_1k", found["ratio"], "<=", 1.1, valid=found["valid"])]


def bench_aggregate(small: int, large: int, repeats: int = 7) -> list[Result]:
    from bench.aggregate import compare

    found = compare(small, large, repeats)
    at_small, at_large = found["small"], found["large"]
    note(
        f"one organisation's figures for one question (dashboard's Aggregates.question): "
        f"{at_small['dashboard_s'] * 1e3:.2f} ms at {small:,} answers, "
        f"{at_large['dashboard_s'] * 1e3:.2f} ms at {large:,}; as one SQL GROUP BY: "
        f"{at_small['sql_s'] * 1e3:.2f} ms vs {at_large['sql_s'] * 1e3:.2f} ms "
        f"(x{found['sql_ratio']:.2f}); plan: {at_large['plan'][0]}"
    )
    if at_large["size_mb"] is not None:
        note(f"SQLite file with {large:,} answers: {at_large['size_mb']:.0f} MB")
    return [Result("aggregate_1m_vs_10k", found["ratio"], "<=", 10, valid=found["valid"])]


def bench_disclosure(scale: int, seed: int = 7) -> list[Result]:
    """disclosure_hidden_share: what the rules hide that is not small itself."""
    from bench.disclosure import measure

    found = measure(scale, seed)
    note(
        f"count cells over every unit's pages: {found['shown']} shown (non-zero), "
        f"{found['protected']} hidden to protect another, {found['small']} of 1-4 people"
    )
    return [Result("disclosure_hidden_share", found["share"], "<=", 0.05)]


def extra_two_workers(members: int) -> None:
    from bench.push import LIMIT, two_workers

    for each in (LIMIT, LIMIT / 2):
        found = asyncio.run(two_workers(members, each))
        note(
            f"extra: push to {members} sent by two workers at {each:g}/s each: "
            f"{found['rate']:.1f} messages/s together (limit {LIMIT:.0f}/s), "
            f"{found['violations']} flood violation(s), {found['duplicates']} duplicate(s), "
            f"{found['missing']} missing"
        )


BENCHMARKS: dict[str, Callable[..., list[Result]]] = {
    "updates": bench_updates,
    "dispatch": bench_dispatch,
    "push": bench_push,
    "memory": bench_memory,
    "aggregate": bench_aggregate,
    "disclosure": bench_disclosure,
}


class Collected(logging.Handler):
    """Keeps log records instead of printing them (a killed sender logs its tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="run only these"
    )
    parser.add_argument(
        "--postgres", metavar="URL", help="run the database benchmarks on PostgreSQL"
    )
    parser.add_argument(
        "--extra",
        action="store_true",
        help="also measure a push sent by two workers at once (stderr only, no line)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    if args.postgres:
        POSTGRES["url"] = args.postgres
    collected = Collected()
    logging.basicConfig(handlers=[collected], level=logging.WARNING, force=True)
    sizes = SIZES["quick" if args.quick else "full"]
    names = args.only or list(BENCHMARKS)
    everything_ok = True
    begin = time.perf_counter()
    for name in names:
        start = time.perf_counter()
        for result in BENCHMARKS[name](**sizes[name]):
            print(result.line(), flush=True)
            everything_ok = everything_ok and result.ok
        note(f"({name}: {time.perf_counter() - start:.1f} s)")
    if args.extra:
        extra_two_workers(sizes["push"]["members"])
    if collected.records:
        first = collected.records[0]
        note(
            f"{len(collected.records)} warning(s) logged, e.g. {first.name}: "
            f"{first.getMessage()[:120]}"
        )
    note(f"total {time.perf_counter() - begin:.1f} s")
    return 0 if everything_ok else 1


if __name__ == "__main__":
    sys.exit(main())
