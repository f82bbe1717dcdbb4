"""What reading number words would add to the split-message window's gate on every
post (docs/detection.md, "Split across messages": pieces with digits as words).

    .venv/bin/python bench/bench_split_words.py

Over bench_post_cost.py's ``CLEAN`` chat posts that carry no piece
(``split.may_carry_a_piece`` false: what a clean post pays today), the CPU per post of
``may_carry_a_piece`` (the gate), ``words.may_have_number_words`` (the words' cheap
pre-check) and ``words.number_word_edits`` (the reading), best of 5 loops of
``time.process_time``; and how many of those posts the pre-check lets through and the
reading reads a number in (those would pay the window's Redis round trip).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_post_cost import CLEAN
from dlp_proxy.detect.words import may_have_number_words, number_word_edits
from dlp_proxy.policy.split import may_carry_a_piece


def _per_post_us(fn: Callable[[str], object], posts: list[str], loops: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(loops):
            for post in posts:
                fn(post)
        best = min(best, (time.process_time() - started) / (loops * len(posts)))
    return round(best * 1e6, 2)


def main() -> None:
    plain = [m for m in CLEAN if not may_carry_a_piece(m)]
    n = [0]

    def uncached(m: str) -> object:  # the reading is cached per text: a new text each time
        n[0] += 1
        return number_word_edits(f"{m} {n[0]:x}".replace("0", "g"))

    print(json.dumps({
        "posts": len(plain),
        "gate_us": _per_post_us(may_carry_a_piece, plain, 2000),
        "words_precheck_us": _per_post_us(may_have_number_words, plain, 2000),
        "words_reading_us": _per_post_us(uncached, [m for m in plain if may_have_number_words(m)] or plain, 200),
        "precheck_true": sum(may_have_number_words(m) for m in plain),
        "read_a_number": sum(bool(number_word_edits(m)) for m in plain),
    }))


if __name__ == "__main__":
    main()
