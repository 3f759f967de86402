"""Pacing and retrying outgoing Bot API calls: a python-telegram-bot ``BaseRateLimiter``.

Why our own and not PTB's ``AIORateLimiter``: that one limits the overall and the group
rates but not the ~1 message/s that Telegram allows per private chat, and it retries only
``RetryAfter`` (and by default not even that).  A coaching bot talks mostly in private
chats and often sends two things at once (an edit plus the next question), so we want:

* an overall token bucket (30/s, burst 30) and a per-chat token bucket (1/s, burst 3):
  short bursts pass at once, a sustained stream is paced to what Telegram accepts;
* per-chat waiting that never holds anything global, so a slow or paused chat does not
  stall the others, and calls to one chat leave in the order they were made;
* retries for flood control (``RetryAfter``) and transient failures (5xx, timeouts),
  never for answers that will not change (400, 403, ...).

Only calls that put or change a message in a chat are paced (see :func:`is_rate_limited`);
everything else (``answerCallbackQuery``, ``getMe``, ``setMyCommands``...) goes straight
through, because delaying a callback answer makes the user's button spin.

A caller can pass :class:`CallOptions` as ``rate_limit_args`` to be told the moment its
request really leaves (``before_send``): a push is marked "in flight" in the database
there, and not when it was claimed, because most of a push batch waits here for its slot
and must still be sent again if the process dies while waiting (see
``bot/services/pushes/outbox.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import functools
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
ApiResult = bool | dict[str, Any] | list[dict[str, Any]]
ChatKey = int | str

#: Endpoint prefixes that send or change a message in a chat; these are paced.
RATE_LIMITED_PREFIXES = ("send", "edit", "copyMessage", "forwardMessage")
#: Endpoints that match a prefix but are not messages: a typing indicator is worthless late
#: and must not use up the chat's burst before the message it announces.
NOT_RATE_LIMITED = frozenset({"sendChatAction"})
#: Failures that a second try will not fix (``BadRequest`` is a ``NetworkError`` in PTB, the
#: others are listed so a change in PTB's class tree can never make us retry them).
NEVER_RETRIED: tuple[type[Exception], ...] = (
    BadRequest,
    Forbidden,
    InvalidToken,
    Conflict,
    ChatMigrated,
    EndPointNotFound,
)

_EPSILON = 1e-6  # seconds; waits shorter than this are float noise, not a reason to sleep


@dataclass(frozen=True)
class CallOptions:
    """Per-call options, passed to a bot method as ``rate_limit_args=CallOptions(...)``.

    ``max_retries`` overrides the limiter's for this call (``None``: the limiter's).

    ``before_send`` is awaited after the limiter has granted the call its slot, right
    before its first request leaves. If it raises, nothing is sent and the exception
    reaches the caller. It exists so that a caller who must never send a message twice
    can commit "this one is going out now" as late as possible: a crash before that
    point leaves the message safe to send again, a crash after it leaves only this one
    message unaccounted for.

    ``refused`` is awaited when the server refused a request outright (``RetryAfter``:
    nothing was sent) and the call will be retried; ``before_send`` then runs again
    before the retry leaves. So the caller can undo its mark for the length of the
    flood wait. After other failures (a timeout, a 5xx) the request may have arrived:
    the mark stays, and a retry resends the same request (the trade-off described in
    :class:`ChatRateLimiter`).
    """

    max_retries: int | None = None
    before_send: Callable[[], Awaitable[object]] | None = None
    refused: Callable[[], Awaitable[object]] | None = None


def is_rate_limited(endpoint: str) -> bool:
    """True for Bot API methods that count against Telegram's per-chat message limits."""
    return endpoint not in NOT_RATE_LIMITED and endpoint.startswith(RATE_LIMITED_PREFIXES)


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait a ``RetryAfter`` asks for, in seconds, whatever type PTB gives it.

    PTB 22 gives an ``int`` unless ``PTB_TIMEDELTA`` is set (then a ``timedelta``) and warns
    about the ``int``; the warning is for application code, so it is silenced here only.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = error.retry_after
    if isinstance(value, dtm.timedelta):
        return max(0.0, value.total_seconds())
    if isinstance(value, int | float):
        return max(0.0, float(value))
    raise TypeError(f"unexpected retry_after type {type(value).__name__}")


def _chat_key(chat_id: object) -> ChatKey | None:
    """One key per chat, whether PTB got ``123``, ``"123"`` or ``"@channel"``."""
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id).strip()
    try:
        return int(text)
    except ValueError:
        return text


class _Bucket:
    """A token bucket that admits a call at ``need`` tokens and can be paused until a time.

    ``need`` is a little above 1 so that a call the server sees a few milliseconds later
    than we counted it still finds a whole token there (see ``timing_slack``).  Tokens may
    go negative: :meth:`reserve` hands out future slots in arrival order, which is what
    makes waiting fair without a lock.
    """

    __slots__ = ("capacity", "held", "need", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, slack: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.need = min(capacity, 1.0 + slack * rate)
        self.tokens = capacity
        self.stamp = now  # time of ``tokens``; in the future while paused
        self.held = 0  # calls past their slot whose request has not left yet (see hold)

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            room = self.capacity - self.held
            self.tokens = min(room, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def hold(self, now: float) -> None:
        """A call got its slot (its token is spent) but its request leaves only later.

        The server takes that token when the request arrives, so until :meth:`release` its
        bucket holds one token less room than ours: refills stop one token earlier. Without
        this, a bucket refilling to capacity meanwhile would hand out a full burst on top
        of the late request, which the server would refuse.
        """
        self._refill(now)
        self.held += 1

    def release(self, now: float) -> None:
        """The held call's request is leaving now."""
        self._refill(now)
        self.held -= 1

    def wait(self, now: float) -> float:
        """Seconds until a call would be admitted (0 if now)."""
        self._refill(now)
        paused = max(0.0, self.stamp - now)
        return paused + max(0.0, self.need - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend a token (the caller has waited for it)."""
        self._refill(now)
        self.tokens -= 1

    def reserve(self, now: float) -> float:
        """Spend a token now and return how long to wait before using it."""
        delay = self.wait(now)
        self.tokens -= 1
        return delay

    def paused_for(self, now: float) -> float:
        return max(0.0, self.stamp - now)

    def pause(self, now: float, until: float) -> None:
        """Admit nothing before ``until``, then one call, then the normal rate.

        Outstanding reservations are forgotten (their holders re-reserve), so they are
        not counted twice.
        """
        self._refill(now)
        self.stamp = max(self.stamp, until)
        self.tokens = self.need

    def is_full(self, now: float) -> bool:
        """Not paused and refilled: forgetting the bucket would change nothing."""
        self._refill(now)
        return self.stamp <= now and self.tokens >= self.capacity


@dataclass
class _Chat:
    """Pacing state of one chat; ``lock`` keeps its calls in order, one at a time."""

    bucket: _Bucket
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # calls waiting for or holding ``lock``; a chat in use is never dropped


class ChatRateLimiter(BaseRateLimiter[int | CallOptions]):
    """Overall and per-chat token buckets plus retries, for ``ExtBot``/``Application``.

    Use ``ApplicationBuilder().rate_limiter(ChatRateLimiter())``.  A call may pass
    ``rate_limit_args=N`` (an ``int``) to override ``max_retries`` for that call only;
    PTB drops a falsy value before it gets here, so ``0`` means the default, not "no retry".
    ``rate_limit_args=CallOptions(...)`` does the same and can add the ``before_send`` and
    ``refused`` hooks (see :class:`CallOptions`).

    Behaviour:

    * Message calls (:func:`is_rate_limited`) to one chat go one at a time in call order;
      each waits for a token of its chat, then for an overall token.  A chat waiting for its
      own bucket holds only its own lock, so other chats are not held up; overall tokens
      are handed out in arrival order.
    * ``RetryAfter`` on a message call pauses that chat for ``retry_after + retry_margin``;
      if a second chat is told to wait while another chat's pause is still running, the flood
      is taken to be bot-wide and all message calls pause.  ``RetryAfter`` on any other call
      delays just that call.
    * ``NetworkError`` (5xx, 502 HTML pages, ``TimedOut``; not ``BadRequest``) is retried
      after ``backoff_base * 2**n`` seconds, at most ``backoff_cap``.  Retries of both kinds
      count against one ``max_retries``; after that the last error is raised.  Note that a
      retried *read* timeout may deliver a message twice, or make an edit answer "message is
      not modified"; a lost message stalls a dialogue, which is worse.
    * Chats whose bucket has refilled and that have no calls in flight are forgotten every
      ``idle_sweep_interval`` seconds, so memory follows the recently active chats only.
    * Retries are logged at WARNING with endpoint, error class, attempt and delay only:
      never chat ids, texts, or error messages (which may echo the request).
    """

    def __init__(
        self,
        *,
        overall_rate: float = 30.0,
        overall_burst: float = 30.0,
        chat_rate: float = 1.0,
        chat_burst: float = 3.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        retry_margin: float = 0.1,
        timing_slack: float = 0.05,
        idle_sweep_interval: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Configure the limiter.

        ``overall_*``/``chat_*``: token bucket rate (calls/s) and burst (calls).
        ``retry_margin``: seconds added to a ``RetryAfter``, as the server rounds it down.
        ``timing_slack``: seconds of clock difference to allow for between our count and the
        server's; it costs one wait of this length after a burst, not a slower rate.
        ``clock``/``sleep``: injectable (monotonic seconds and an async sleep) for tests.
        """
        if min(overall_rate, chat_rate) <= 0:
            raise ValueError("rates must be positive")
        if min(overall_burst, chat_burst) < 1:
            raise ValueError("bursts must be at least 1")
        if max_retries < 0 or min(backoff_base, backoff_cap, retry_margin, timing_slack) < 0:
            raise ValueError("retry and timing settings must not be negative")
        if idle_sweep_interval <= 0:
            raise ValueError("idle_sweep_interval must be positive")
        self._chat_rate = chat_rate
        self._chat_burst = chat_burst
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._retry_margin = retry_margin
        self._slack = timing_slack
        self._sweep_interval = idle_sweep_interval
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self._overall = _Bucket(overall_rate, overall_burst, timing_slack, now)
        self._epoch = 0  # bumped by every overall pause; reservations made before are void
        self._chats: dict[ChatKey, _Chat] = {}
        self._next_sweep = now + idle_sweep_interval
        self._last_flood: tuple[ChatKey, float] | None = None

    async def initialize(self) -> None:
        """Nothing to set up: buckets are created on first use."""

    async def shutdown(self) -> None:
        """Forget all chats (a restarted application starts with full buckets)."""
        self._chats.clear()
        self._last_flood = None

    @property
    def tracked_chats(self) -> int:
        """How many chats have pacing state right now (for tests and metrics)."""
        return len(self._chats)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | CallOptions | None,
    ) -> ApiResult:
        """Pace (message calls only) and retry one Bot API call; see the class docstring."""
        if isinstance(rate_limit_args, CallOptions):
            options = rate_limit_args
        else:
            options = CallOptions(max_retries=rate_limit_args)
        max_retries = self._max_retries if options.max_retries is None else options.max_retries
        call = functools.partial(callback, *args, **kwargs)
        attempts = functools.partial(self._attempts, call, endpoint, max_retries, options)
        if not is_rate_limited(endpoint):
            return await attempts(paced=False, chat=None)
        key = _chat_key(data.get("chat_id"))
        if key is None:  # e.g. editing an inline message: only the overall limit applies
            return await attempts(paced=True, chat=None)
        chat = self._chat(key)
        chat.users += 1
        try:
            # Held across retries too, so a later message cannot overtake a failed one.
            async with chat.lock:
                return await attempts(paced=True, chat=chat, key=key)
        finally:
            chat.users -= 1

    async def _attempts(
        self,
        call: Callable[[], Coroutine[Any, Any, ApiResult]],
        endpoint: str,
        max_retries: int,
        options: CallOptions,
        *,
        paced: bool,
        chat: _Chat | None,
        key: ChatKey | None = None,
    ) -> ApiResult:
        attempt = 0
        before_send = options.before_send  # due before the next request; None when done
        while True:
            if paced:
                await self._acquire(chat)
            if before_send is not None:
                await self._before_send(before_send, chat, paced=paced)
                before_send = None
            try:
                return await call()
            except RetryAfter as error:
                if attempt >= max_retries:
                    self._log_give_up(endpoint, error, attempt)
                    raise
                delay = retry_after_seconds(error) + self._retry_margin
                error_name = type(error).__name__
                if paced:
                    self._flood(key, chat, delay)
                    sleep_now = 0.0  # the next _acquire waits for the pause
                else:
                    sleep_now = delay
                if options.refused is not None:
                    await options.refused()  # nothing was sent: undo, and mark again later
                    before_send = options.before_send
            except NetworkError as error:
                if isinstance(error, NEVER_RETRIED):
                    raise
                if attempt >= max_retries:
                    self._log_give_up(endpoint, error, attempt)
                    raise
                delay = sleep_now = min(self._backoff_cap, self._backoff_base * 2**attempt)
                error_name = type(error).__name__
            attempt += 1
            log.warning(
                "Bot API %s failed (%s); retry %d of %d in %.2f s",
                endpoint,
                error_name,
                attempt,
                max_retries,
                delay,
            )
            if sleep_now > 0:
                await self._sleep(sleep_now)

    async def _before_send(
        self, hook: Callable[[], Awaitable[object]], chat: _Chat | None, *, paced: bool
    ) -> None:
        """Run a call's ``before_send`` hook between its slot and its request.

        The slot was counted when it was granted; the server counts the request when it
        arrives, after the hook (a database commit, of varying length). While the hook
        runs, the call holds back a token of each bucket it was paced by (``_Bucket.hold``).
        """
        if not paced:
            await hook()
            return
        buckets = [self._overall] if chat is None else [self._overall, chat.bucket]
        now = self._clock()
        for bucket in buckets:
            bucket.hold(now)
        try:
            await hook()
        finally:
            now = self._clock()
            for bucket in buckets:
                bucket.release(now)

    async def _acquire(self, chat: _Chat | None) -> None:
        """Wait until this call may go: its chat's token first, then an overall one.

        The chat's token is only looked at while waiting and spent at the end, so it is
        counted at the moment the call really leaves.  The overall token is reserved, which
        queues calls of all chats in arrival order without a lock.
        """
        while True:
            now = self._clock()
            wait = self._overall.paused_for(now)
            if chat is not None:
                wait = max(wait, chat.bucket.wait(now))
            if wait > _EPSILON:
                await self._sleep(wait)
                continue
            epoch = self._epoch
            wait = self._overall.reserve(now)
            if wait > _EPSILON:
                await self._sleep(wait)
            if epoch != self._epoch:
                continue  # an overall pause began while we waited; our slot is void
            if chat is not None:
                chat.bucket.take(self._clock())
            return

    def _flood(self, key: ChatKey | None, chat: _Chat | None, delay: float) -> None:
        """Respect a ``RetryAfter``: pause the chat, or everything if the flood is bot-wide."""
        now = self._clock()
        until = now + delay
        if key is None or chat is None:
            self._pause_all(now, until, delay)
            return
        chat.bucket.pause(now, until)
        other = self._last_flood
        if other is not None and other[0] != key and other[1] > now:
            self._pause_all(now, until, delay)
        else:
            log.warning("Flood control: pausing one chat for %.2f s", delay)
        self._last_flood = (key, until)

    def _pause_all(self, now: float, until: float, delay: float) -> None:
        self._overall.pause(now, until)
        self._epoch += 1
        log.warning("Flood control: pausing all message calls for %.2f s", delay)

    def _chat(self, key: ChatKey) -> _Chat:
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        chat = self._chats.get(key)
        if chat is None:
            bucket = _Bucket(self._chat_rate, self._chat_burst, self._slack, now)
            chat = self._chats[key] = _Chat(bucket)
        return chat

    def _sweep(self, now: float) -> None:
        """Drop chats that are idle and refilled: a new bucket would start the same way."""
        self._next_sweep = now + self._sweep_interval
        idle = [k for k, c in self._chats.items() if c.users == 0 and c.bucket.is_full(now)]
        for key in idle:
            del self._chats[key]
        if self._last_flood is not None and self._last_flood[1] <= now:
            self._last_flood = None

    @staticmethod
    def _log_give_up(endpoint: str, error: Exception, retries: int) -> None:
        log.warning(
            "Bot API %s failed (%s); giving up after %d retries",
            endpoint,
            type(error).__name__,
            retries,
        )
