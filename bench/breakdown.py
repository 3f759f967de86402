"""Where an update's time goes, for the three bots of bench/updates.py.

    python bench/breakdown.py [--people 60] [--lanes 1]

Not a benchmark line: it explains the update lines. The three bots run
interleaved as in `bench/updates.py`; timers wrapped around PTB's Bot API call
(`Bot._post`, per method), PTB's JSON-to-object step (`de_json`) and the full
bot's own parts (its database transactions, rendering) print milliseconds per
update. Each row is a part's own time (timers inside it are booked to their own rows),
so the rows and "the rest" add up to the whole. One person at a time (`--lanes 1`)
keeps the timers nested; timers cost a few microseconds each, for all three bots.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

spent: Counter[tuple[str, str]] = Counter()
counted: Counter[tuple[str, str]] = Counter()
current = ["-"]  # the bot whose turn it is
stack: list[list[float]] = []  # per running timer: time spent in timers inside it


def _enter() -> float:
    stack.append([0.0])
    return time.perf_counter()


def _leave(label: str, start: float) -> None:
    """Book the time of `label` minus the timers inside it (one person at a time: the
    timers nest like calls), so the rows add up to the whole."""
    elapsed = time.perf_counter() - start
    inner = stack.pop()[0]
    if stack:
        stack[-1][0] += elapsed
    spent[(current[0], label)] += elapsed - inner
    counted[(current[0], label)] += 1


def timed(owner: Any, name: str, label: str | None = None) -> None:
    """Replace `owner.name` with a wrapper booking its own time under `label`."""
    original: Callable[..., Any] = getattr(owner, name)
    tag = label or name

    if asyncio.iscoroutinefunction(original):

        @functools.wraps(original)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = _enter()
            try:
                return await original(*args, **kwargs)
            finally:
                _leave(tag, start)

    else:

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = _enter()
            try:
                return original(*args, **kwargs)
            finally:
                _leave(tag, start)

    setattr(owner, name, wrapper)


def per_method_post() -> None:
    """Time Bot._post per API method (answerCallbackQuery, sendMessage, ...)."""
    import telegram

    original = telegram.Bot._post

    async def post(self: Any, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        start = _enter()
        try:
            return await original(self, endpoint, *args, **kwargs)
        finally:
            _leave(f"api {endpoint}", start)

    telegram.Bot._post = post  # type: ignore[method-assign]


def install() -> None:
    import telegram

    import bot.telegram.outcomes as channel
    from bot.services.coaching import Coach
    from bot.services.membership import Members
    from bot.telegram.trainer.professional import ProfessionalScreens

    per_method_post()
    timed(telegram.Message, "de_json", "de_json (Message)")
    timed(telegram.Update, "de_json", "de_json (Update)")
    timed(Members, "visit", "db read: who wrote (Members.visit)")
    timed(Coach, "handle", "db write: the answer (Coach.handle)")
    timed(Coach, "start", "db write: a new run (Coach.start)")
    timed(Members, "set_prompt", "db write: keyboard message id (Members.set_prompt)")
    timed(ProfessionalScreens, "show_group_choices", "group's choices at the end, incl. its send")
    timed(channel, "messages", "render replies (render.messages)")


async def run(people: int, lanes: int) -> dict[str, tuple[int, float]]:
    from bench.updates import BOTS, batches, play

    async with contextlib.AsyncExitStack() as stack:
        harnesses = [await stack.enter_async_context(BOTS[n][0](people)) for n in BOTS]
        totals = {h.name: (0, 0.0) for h in harnesses}
        for turn, batch in enumerate(batches(people, lanes)):
            for harness in harnesses if turn % 2 == 0 else harnesses[::-1]:
                current[0] = harness.name
                done, took = await play(harness, batch)
                updates, seconds = totals[harness.name]
                totals[harness.name] = (updates + done, seconds + took)
        return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--lanes", type=int, default=1)
    args = parser.parse_args(argv)
    install()
    totals = asyncio.run(run(args.people, args.lanes))
    for name, (updates, seconds) in totals.items():
        print(f"{name}: {1000 * seconds / updates:.2f} ms per update ({updates} updates)")
        parts = sorted((k[1], v) for k, v in spent.items() if k[0] == name)
        calls = sum(v for label, v in parts if label.startswith("api "))
        for label, value in parts:
            per = counted[(name, label)] / updates
            print(f"  {label:58s} {1000 * value / updates:6.2f} ms  ({per:.2f} per update)")
        rest = seconds - sum(v for _, v in parts)
        print(f"  {'all Bot API calls':58s} {1000 * calls / updates:6.2f} ms")
        label = "the rest (harness, PTB dispatch, handlers)"
        print(f"  {label:58s} {1000 * rest / updates:6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
