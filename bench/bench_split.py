"""What one post costs the split-message window when the channel's window is full
(policy/split.py): operations counted (deterministic), and CPU time.

    .venv/bin/python bench/bench_split.py [--pairs 31] [--repeat 5]

Windows (all pieces distinct, the most recent ``--pairs`` of them in reach):

- ``chat``: a busy channel's chat with numbers (times, rooms, tickets, prices);
- ``worst``: every piece ends and starts with a long digit run (each meets the new
  one, and each join's digits are as many as a piece may bring);
- ``polluted``: a channel whose earlier pieces are uuencode, tables and OCR text, one in
  four a line of Hebrew and Korean: a clean post's joined text and pieces scanned as the
  window scans them (the ASCII joins apart from the others) and, side by side, whole;
- ``rtl_edges``: 39 pieces of the same kinds, each with a Hebrew letter at both edges (so
  every join holds one), against the same with an ASCII letter there;
- ``mixed``: a labelled piece ("iban GB82") then one character a post ("G", "B", "8")
  with chat with numbers between them ("room 12 is free"): the chains past the chat, the
  long chains and those written together (a character a post: letters among them).

For each: the joins scanned, the characters and digits of the scanned text, and the
CPU time (best of ``--repeat``, ``time.process_time``) of ``plan`` (with every piece's
cut for a join already kept, ``split._part``: a channel's pieces meet every new post; and
``plan_cold``, none kept: the first post after a restart) and of the engine's scan of it; then ``SplitWindow.check`` end to end against a real Redis at
127.0.0.1:6379 (one round trip, the window's fragments decrypted), with the window
holding 300 pieces.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable


def best(fn: Callable[[], object], n: int, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t0) / n)
    return min(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=31)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, os.getcwd())
    import redis.asyncio as aioredis

    from dlp_proxy.detect import build_detector
    from dlp_proxy.model import JOINED_TEXT, SENSITIVE_ENTITIES
    from dlp_proxy.policy import split

    det = build_detector(ner=False)
    chat = [f"ticket {41000 + 37 * i} moved to room {i % 40 + 10}, call at {i % 9 + 1}:{i % 6}0" for i in range(300)]
    worst = [" ".join(f"{(i * 7919 + j) % 10**9:09d}" for j in range(60)) for i in range(300)]
    results: dict[str, dict[str, float]] = {}
    # an identifier typed a character a post among chat with numbers: the chains once more
    # past the chat, the long chains through bare pieces and letters written together
    mixed = [("iban GB82" if i % 72 == 0 else f"room {i % 40 + 10} is free" if i % 2 else "GB8"[i % 3])
             for i in range(300)]
    for name, texts, new in (("chat", chat, "8710 thanks"), ("worst", worst, "1234 5678 9012 3456 7890"),
                             ("mixed", mixed, "7")):
        earlier = [split.Piece(float(i), split.keep(t, 256)) for i, t in enumerate(texts)]
        piece = split.Piece(1e6, new)
        scan = split.plan(earlier, piece, args.pairs, 256)
        assert scan is not None
        plan_s = best(lambda e=earlier, p=piece: split.plan(e, p, args.pairs, 256), 20, args.repeat)
        cold = getattr(split, "_part", None)  # each piece's cut for a join, kept per process

        def plan_cold(e: list[split.Piece] = earlier, p: split.Piece = piece) -> None:
            if cold is not None:
                cold.cache_clear()
            split.plan(e, p, args.pairs, 256)
        plan_cold_s = best(plan_cold, 20, args.repeat)
        # as the window scans a joined text (``split._analyze``): its lines are no pieces
        # of one message (no ``completed_lines`` reading of it)
        joined = JOINED_TEXT.set(True)
        try:
            scan_s = best(lambda t=scan.text: det.analyze(t, entities=SENSITIVE_ENTITIES), 3, args.repeat)
        finally:
            JOINED_TEXT.reset(joined)
        results[name] = {"joins": len(scan.joins), "chars": len(scan.text),
                         "digits": sum(c.isdigit() for c in scan.text),
                         "plan_ms": round(plan_s * 1e3, 2), "plan_cold_ms": round(plan_cold_s * 1e3, 2),
                         "scan_ms": round(scan_s * 1e3, 2)}

    # A channel polluted by others: pieces of uuencode, tables and OCR text, and one in
    # four a line of Hebrew and Korean with numbers; then a clean post with a digit.  The
    # joins and the pieces are scanned as the window scans them (``split.apart``: the
    # ASCII ones apart from the others) and, side by side, each text whole (as before).
    rnd = random.Random(7)
    uu_chars = "".join(map(chr, range(33, 96)))

    def uu(n: int) -> str:
        return "\n".join("M" + "".join(rnd.choice(uu_chars) for _ in range(60)) for _ in range(n))

    def table(n: int) -> str:
        return "\n".join(f"| {rnd.randint(10000, 99999)} | acct {rnd.randint(10**7, 10**8)} | "
                         f"{rnd.randint(1, 99)}.{rnd.randint(10, 99)} | 2026-11-{rnd.randint(10, 28)} |" for _ in range(n))

    def ocr(n: int) -> str:
        return "\n".join(f"Page {i} ref no. {rnd.randint(100, 999)} l0t {rnd.randint(1000, 9999)} O1 I{rnd.randint(10, 99)}"
                         for i in range(n))

    other = "\n".join(f"\u05d7\u05e9\u05d1\u05d5\u05df {rnd.randint(10**6, 10**7)} \uacc4\uc88c {rnd.randint(1000, 9999)}"
                      for _ in range(8))
    polluted = [[uu, table, ocr, lambda n: other][i % 4](12) for i in range(39)]
    earlier = [split.Piece(float(i), split.keep(t, 256)) for i, t in enumerate(polluted)]
    scan = split.plan(earlier, split.Piece(1e6, "8710 thanks"), args.pairs, 256)
    assert scan is not None

    def read(texts: list[str]) -> None:
        for t in texts:
            det.analyze(t, entities=SENSITIVE_ENTITIES)

    whole = [scan.text, scan.alone_text]
    parted = [group for text, starts in ((scan.text, scan.parts), (scan.alone_text, scan.alone))
              for group, _ in split.apart(text, starts)]
    joined = JOINED_TEXT.set(True)
    try:
        whole_s = best(lambda: read(whole), 1, args.repeat)
        apart_s = best(lambda: read(parted), 1, args.repeat)
    finally:
        JOINED_TEXT.reset(joined)
    # An insider's own pieces with a right-to-left letter at both edges: every join then
    # holds one (the open case, docs/benchmarks.md), side by side with an ASCII letter there
    edged: dict[str, float] = {}
    for mark in ("x", "\u05d0"):
        rnd.seed(11)
        pieces = [f"{mark}{rnd.randint(1000, 9999)} " + [uu, table, ocr][i % 3](12) + f" {rnd.randint(1000, 9999)}{mark}"
                  for i in range(39)]
        escan = split.plan([split.Piece(float(i), split.keep(t, 256)) for i, t in enumerate(pieces)],
                           split.Piece(1e6, "8710 thanks"), args.pairs, 256)
        assert escan is not None
        texts = [group for text, starts in ((escan.text, escan.parts), (escan.alone_text, escan.alone))
                 for group, _ in split.apart(text, starts)]
        joined = JOINED_TEXT.set(True)
        try:
            edged[mark] = best(lambda t=texts: read(t), 1, args.repeat)
        finally:
            JOINED_TEXT.reset(joined)
    results["rtl_edges"] = {"scan_ascii_edges_ms": round(edged["x"] * 1e3, 1),
                            "scan_rtl_edges_ms": round(edged["\u05d0"] * 1e3, 1),
                            "rtl_over_ascii": round(edged["\u05d0"] / edged["x"], 1)}
    results["polluted"] = {"joins": len(scan.joins), "chars": len(scan.text) + len(scan.alone_text),
                           "outside_ascii": sum(not c.isascii() for c in scan.text + scan.alone_text),
                           "scan_whole_ms": round(whole_s * 1e3, 1), "scan_apart_ms": round(apart_s * 1e3, 1),
                           "whole_over_apart": round(whole_s / apart_s, 1)}

    async def end_to_end() -> float:
        client = aioredis.Redis(host="127.0.0.1", port=6379)
        prefix = f"bench:split:{uuid.uuid4().hex}:"
        clock = [1_000_000.0]
        window = split.SplitWindow(client, key=b"b" * 32, prefix=prefix, max_messages=args.pairs + 1,
                                   clock=lambda: clock[0])
        try:
            for i, t in enumerate(chat):
                clock[0] += 1
                await window.check(f"u{i % 9}", "c1", t, det)
            times = []
            for i in range(args.repeat * 4):
                clock[0] += 1
                t0 = time.process_time()
                await window.check("u1", "c1", f"{8000 + i} thanks", det)
                times.append(time.process_time() - t0)
            return min(times)
        finally:
            keys = [k async for k in client.scan_iter(match=prefix + "*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()

    results["chat"]["check_ms"] = round(asyncio.run(end_to_end()) * 1e3, 2)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
