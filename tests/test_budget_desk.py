"""The per-user scan budget (gateway/budget.py) against what people post: a trader's
number-heavy desk chat in a busy channel is never refused, a flood of
identifier-dense posts is.

Both clocks are injected.  The budget's clock is the posting pace.  What each post is
charged goes through the gateway's own charging steps (``Pipeline._scan``, the split
window's scans through ``_WindowScanner``, the event loop's time past
``LOOP_ALLOWANCE`` through ``LoopMeter``) on the real engine, but the cost of a scan is
a model: ``SCAN_SECONDS_PER_CHAR`` for every character the engine is given, on the loop
or in a worker.  The model is several times slower than the engine on these texts
(see ``SCAN_SECONDS_PER_CHAR``), so the margins hold on a slow host, and the outcome
does not depend on the host: a loaded virtual machine's thread CPU time is not a
stable measure.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from dlp_proxy.model import SENSITIVE_ENTITIES, ContentItem

#: the gateway's defaults (dlp_proxy/settings.py): DLP_USER_SCAN_SECONDS per
#: DLP_USER_SCAN_WINDOW, DLP_SPLIT_MAX_FRAGMENTS, DLP_SPLIT_WINDOW_SECONDS
SECONDS, WINDOW, FRAGMENTS, SPLIT_TTL = 5.0, 60.0, 32, 1800
#: the modelled cost of scanning one character: 150 kB/s, about 5x slower than the
#: engine on this file's texts (730-770 kB/s of thread CPU time on a 2-core host, its
#: scans in both scenarios timed with ``time.thread_time``)
SCAN_SECONDS_PER_CHAR = 1 / 150_000

_SYMS = ["AAPL", "MSFT", "IBM", "TSLA", "NVDA", "JPM", "XOM", "ESZ6", "NQZ6", "ZNH7"]


def desk_chat(seed: int) -> Iterator[str]:
    """Ordinary desk chat: orders, fills, tickets, prices in 32nds, confirms (the
    attack pass's f1.py generator)."""
    rnd = random.Random(seed)

    def px() -> str:
        return f"{rnd.randint(10, 999)}.{rnd.randint(0, 99):02d}"

    def q() -> str:
        return f"{rnd.choice([100, 200, 500, 1000, 2500, 5000, 10000, 25000, 50000]):,}"

    while True:
        yield rnd.choice([
            lambda: f"working {q()} {rnd.choice(_SYMS)} at {px()} limit",
            lambda: f"filled {q()} @ {px()}, {q()} left",
            lambda: f"ticket {rnd.randint(1000, 9999)} booked to acct DESK-{rnd.randint(1, 9)}",
            lambda: f"ord {rnd.randint(1000, 99999)} cancelled, replaced with {rnd.randint(1000, 99999)}",
            lambda: f"bid {rnd.randint(1000, 9999)} offered {rnd.randint(1000, 9999)} on the {rnd.choice(_SYMS)}",
            lambda: f"{rnd.randint(10, 99)} lots {rnd.choice(_SYMS)} at {rnd.randint(100, 130)}-{rnd.randint(0, 31):02d}",
            lambda: f"acct {rnd.randint(1, 99)} is long {q()} {rnd.choice(_SYMS)}",
            lambda: f"settle {rnd.randint(1, 12)}/{rnd.randint(1, 28)}, confirm {rnd.randint(100000, 999999)}",
            lambda: f"vwap {px()} vs arrival {px()}, slippage {rnd.randint(1, 30)} bps",
        ])()


def _chars(items: Any) -> int:
    return sum(len(i.text) for i in items)


class _ModelDetector:
    """The real engine on the event loop, whose work advances the loop's clock by
    the modelled cost of what it was given."""

    def __init__(self, inner: Any, loop_clock: list[float]) -> None:
        self.inner = inner
        self.loop_clock = loop_clock

    def scan(self, items: Any, *, entities: Any = None) -> Any:
        self.loop_clock[0] += _chars(items) * SCAN_SECONDS_PER_CHAR
        return self.inner.scan(items, entities=entities)

    def analyze(self, text: str, **kwargs: Any) -> Any:
        self.loop_clock[0] += len(text) * SCAN_SECONDS_PER_CHAR
        return self.inner.analyze(text, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _ModelScanner:
    """Stands for the scan workers (FileScanner.scan_texts): the real engine, and the
    modelled cost of what it was given as the cost ``_scan_texts_job`` reports."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.chars = 0

    async def scan_texts(self, items: Any, entities: Any, timeout: float, spent: Any = None) -> tuple[list[Any], float]:
        out = list(self.inner.scan(items, entities=entities))
        self.chars += _chars(items)
        return out, _chars(items) * SCAN_SECONDS_PER_CHAR


class _Desk:
    """A channel's posts through the pipeline's charged steps: the post's own scan, its
    piece in the split window (joined with the channel's earlier pieces), the loop's CPU
    time past the allowance, each charged to the poster's budget as ``_inspect`` does."""

    def __init__(self, client: Any, prefix: str) -> None:
        from dlp_proxy.detect import build_detector
        from dlp_proxy.gateway.budget import ScanBudget
        from dlp_proxy.gateway.pipeline import Pipeline
        from dlp_proxy.policy.split import SplitWindow

        self.now = [0.0]
        self.loop_clock = [0.0]
        self.budget = ScanBudget(SECONDS, WINDOW, clock=lambda: self.now[0])
        real = build_detector(ner=False)
        self.workers = _ModelScanner(real)
        self.pipeline = Pipeline(detector=_ModelDetector(real, self.loop_clock), policy=lambda: None,  # type: ignore[arg-type]
                                 archive=None, context=None, quarantine=None, hash_key=b"h" * 32,
                                 text_scanner=self.workers, scan_budget=self.budget)
        self.window = SplitWindow(client, key=b"s" * 32, prefix=prefix, max_messages=FRAGMENTS,
                                  ttl_seconds=SPLIT_TTL, clock=lambda: self.now[0])

    async def post(self, user: str, channel: str, message: str) -> None:
        """Raises ScanBudgetExceeded (429) as the pipeline would."""
        from dlp_proxy.gateway.budget import LoopMeter
        from dlp_proxy.gateway.pipeline import _WindowScanner, split_piece

        key = "u:" + user
        meter = LoopMeter(lambda: self.loop_clock[0])
        meter.key = key

        async def judge() -> None:
            scanned = await self.pipeline._scan([ContentItem("body.message", message)], SENSITIVE_ENTITIES, key)
            piece = split_piece(scanned, self.window.max_chars)
            if piece and not any(s.findings for s in scanned):  # (a post blocked on its own: no piece)
                await self.window.add(user, channel, piece, _WindowScanner(self.pipeline, key))

        try:
            await meter.run(judge())
        finally:
            meter.charge(self.budget)

    def close(self) -> None:
        self.pipeline.scan_pool.shutdown()


@pytest.fixture
async def desk() -> Any:
    import redis.asyncio as aioredis

    client = aioredis.Redis(host="127.0.0.1", port=6379)
    prefix = f"test:budget:desk:{uuid.uuid4().hex}:"
    d = _Desk(client, prefix)
    try:
        yield d
    finally:
        d.close()
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.mark.parametrize("neighbours", ["desk", "digit-dense"])
async def test_a_trader_posting_desk_chat_at_a_fast_pace_is_never_refused(desk: _Desk, neighbours: str) -> None:
    """30 numeric desk posts a minute for three minutes, from one trader, in a channel
    whose window holds 32 pieces: other traders' desk chat, or (the worst a neighbour can
    make his joins) pieces that are runs of 9-digit numbers.  The window's cost of a post
    is charged to its sender; it is bounded by construction (policy/split.py ``plan``),
    and a fast typist stays well inside his budget."""
    others = desk_chat(7)
    for i in range(FRAGMENTS):
        text = (next(others) if neighbours == "desk"
                else " ".join(f"{(i * 7919 + j) % 10**9:09d}" for j in range(60)))
        await desk.post(f"other{i % 4}", "c1", text)
        desk.now[0] += 1.0
    desk.now[0] += WINDOW  # the neighbours' own budgets are theirs; the trader starts full
    chat = desk_chat(1)
    lowest = SECONDS
    for _ in range(90):
        await desk.post("trader", "c1", next(chat))  # never ScanBudgetExceeded
        lowest = min(lowest, desk.budget.remaining("u:trader"))
        desk.now[0] += 2.0  # 30 a minute
    # what the trader used at most of his budget: a wide margin, not an edge; and he
    # was charged (his posts' scans and their window joins reached the budget)
    assert SECONDS * 0.6 < lowest < SECONDS, lowest


async def test_a_flood_of_identifier_dense_posts_is_refused(desk: _Desk) -> None:
    """Posts of a thousand SSN-shaped numbers each (~16,000 characters, scanned in a
    worker), 20 a second: the budget bounds what one user makes the gateway scan."""
    from dlp_proxy.gateway.budget import ScanBudgetExceeded

    with pytest.raises(ScanBudgetExceeded):
        for k in range(400):
            message = " ".join(f"{500 + i % 99:03d}-{10 + i % 89:02d}-{1000 + i % 9000:04d}"
                               for i in range(1400 * k, 1400 * (k + 1)))[:16_000]
            await desk.post("flooder", "c2", message)
            desk.now[0] += 0.05
    # refused well before the end: ~(5 s + the refill) of scanning
    assert desk.now[0] < 400 * 0.05


async def test_without_scan_workers_a_scan_is_charged_its_cpu_time_not_its_wall_time() -> None:
    """The thread-pool fallback (no scan workers) charged the wall time of the scan:
    on a loaded host (the scan waiting for the CPU or for a thread) a user paid for other
    users' work.  A scan that waits 0.3 s but computes nothing is charged nearly nothing."""
    from dlp_proxy.gateway.budget import ScanBudget
    from dlp_proxy.gateway.pipeline import Pipeline

    class Waiting:
        def scan(self, items: Any, *, entities: Any = None) -> Any:
            from dlp_proxy.model import ScannedItem

            time.sleep(0.3)  # stands for a scan off the CPU (descheduled on a loaded host)
            return [ScannedItem(i, ()) for i in items]

    budget = ScanBudget(SECONDS, WINDOW, clock=lambda: 0.0)
    pipeline = Pipeline(detector=Waiting(), policy=lambda: None, archive=None, context=None,  # type: ignore[arg-type]
                        quarantine=None, hash_key=b"h" * 32, text_scanner=None, scan_budget=budget)
    try:
        await pipeline._scan([ContentItem("body.message", "word " * 1000)], SENSITIVE_ENTITIES, "u:x")
    finally:
        pipeline.scan_pool.shutdown()
    assert SECONDS - budget.remaining("u:x") < 0.1
