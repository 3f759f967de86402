"""Flood control and injected failures.

Telegram lets a bot send about one message a second to one chat (short bursts are tolerated)
and about thirty a second overall; beyond that it answers ``429 Too Many Requests`` with
``parameters.retry_after``.  :class:`FloodControl` models both with token buckets.
:class:`Faults` holds what a test forces on purpose: 429s, 5xx answers and slow answers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]

#: Methods that put a new message into a chat; these count against the flood limits.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendAudio",
        "sendVoice",
        "sendVideo",
        "sendAnimation",
        "sendVideoNote",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` tokens a second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, now: float) -> float:
        """Take one token; return 0 on success, else the seconds until one is available."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def give_back(self) -> None:
        """Return a token taken for a call that then failed for another reason."""
        self.tokens = min(self.capacity, self.tokens + 1)


@dataclass(frozen=True)
class FloodViolation:
    """One call refused by the flood limits (``scope`` is ``"chat"`` or ``"global"``)."""

    method: str
    chat_id: int | str | None
    scope: str
    retry_after: int


@dataclass
class FloodControl:
    """Per-chat and overall token buckets; ``check`` answers with a retry_after or 0."""

    enabled: bool = True
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    global_rate: float = 30.0
    global_burst: float = 30.0
    methods: frozenset[str] = MESSAGE_METHODS
    clock: Clock = time.monotonic
    violations: list[FloodViolation] = field(default_factory=list)
    _chats: dict[int | str, TokenBucket] = field(default_factory=dict)
    _global: TokenBucket | None = None

    def _bucket(self, chat_id: int | str | None) -> TokenBucket:
        now = self.clock()
        if chat_id is None:
            if self._global is None:
                self._global = TokenBucket(
                    self.global_burst, self.global_rate, self.global_burst, now
                )
            return self._global
        if chat_id not in self._chats:
            self._chats[chat_id] = TokenBucket(
                self.per_chat_burst, self.per_chat_rate, self.per_chat_burst, now
            )
        return self._chats[chat_id]

    def check(self, method: str, chat_id: int | str | None) -> int:
        """Count one call; return 0 if allowed, else the ``retry_after`` seconds (>= 1)."""
        if not self.enabled or method not in self.methods:
            return 0
        now = self.clock()
        overall = self._bucket(None)
        wait = overall.take(now)
        if wait:
            return self._refuse(method, chat_id, "global", wait)
        if chat_id is not None:
            wait = self._bucket(chat_id).take(now)
            if wait:
                overall.give_back()
                return self._refuse(method, chat_id, "chat", wait)
        return 0

    def refund(self, method: str, chat_id: int | str | None) -> None:
        """Undo a successful ``check`` for a call that failed later (a 400 costs nothing)."""
        if not self.enabled or method not in self.methods:
            return
        self._bucket(None).give_back()
        if chat_id is not None:
            self._bucket(chat_id).give_back()

    def _refuse(self, method: str, chat_id: int | str | None, scope: str, wait: float) -> int:
        retry_after = max(1, math.ceil(wait))
        self.violations.append(FloodViolation(method, chat_id, scope, retry_after))
        return retry_after


@dataclass
class _Forced:
    count: int
    status: int
    retry_after: int = 0


@dataclass
class Faults:
    """Failures and delays a test asks for, keyed by Bot API method name (``"*"``: any)."""

    _forced: dict[str, list[_Forced]] = field(default_factory=dict)
    _delays: dict[str, list[tuple[float, int]]] = field(default_factory=dict)

    def force(self, method: str, status: int, count: int, retry_after: int = 0) -> None:
        self._forced.setdefault(method, []).append(_Forced(count, status, retry_after))

    def delay(self, method: str, seconds: float, count: int) -> None:
        self._delays.setdefault(method, []).append((seconds, count))

    def next_failure(self, method: str) -> _Forced | None:
        """Consume and return the failure forced on this call, if any."""
        for key in (method, "*"):
            queue = self._forced.get(key)
            if queue:
                forced = queue[0]
                forced.count -= 1
                if forced.count <= 0:
                    queue.pop(0)
                return forced
        return None

    def next_delay(self, method: str) -> float:
        """Consume and return the delay (seconds) asked for this call, or 0."""
        for key in (method, "*"):
            queue = self._delays.get(key)
            if queue:
                seconds, count = queue[0]
                if count <= 1:
                    queue.pop(0)
                else:
                    queue[0] = (seconds, count - 1)
                return seconds
        return 0.0
