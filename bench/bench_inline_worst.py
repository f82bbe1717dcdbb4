"""Worst case of the built-in engine on texts the gateway scans inline.

    .venv/bin/python bench/bench_inline_worst.py [--chars 1024] [--repeat 5] [--ner] [--ungated]

The gateway scans a message on its event loop instead of a thread when it is
at most ``DLP_INLINE_SCAN_CHARS`` characters (default 1,024) and carries at most
64 digits (``dlp_proxy.gateway.pipeline.inline_eligible``): an inline scan cannot
be abandoned at the scan deadline and holds up every other request while it
runs, so its worst case must stay small.  This runs the engine (the gateway's
configuration) over adversarial texts (dense identifiers, digit walls with every
separator, encoded blobs, look-alike letters, full-width digits, compatibility
digits that only NFKC makes digits (circled, ``⒈``, superscript), entity- and
percent-escaped digits, near-miss numbers), each cut to the longest prefix the gate admits and padded with chat
text to the size, and prints the slowest time per text and overall.
``--ungated`` skips the cut (what the worst case would be without the digit cap).
Synthetic identifiers only: the project's made-up values in dlp_proxy/policy/testing.py.
"""

from __future__ import annotations

import argparse
import base64
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlp_proxy.policy.testing import ACCOUNT, CARD, IBAN, ROUTING, SSN  # noqa: E402


def texts(n: int) -> dict[str, str]:
    rnd = random.Random(7)

    def fill(unit: str) -> str:
        return (unit * (n // max(1, len(unit)) + 1))[:n]

    digits = "".join(rnd.choice("0123456789") for _ in range(n))
    return {
        "ssn-dense": fill(f"SSN {SSN} "),
        "card-dense": fill(f"card {CARD} "),
        "iban-dense": fill(f"IBAN {IBAN} "),
        "aba+account": fill(f"routing {ROUTING} account {ACCOUNT} "),
        "digit-wall": digits,
        "digits-dashes": "-".join(digits[i:i + 3] for i in range(0, n, 3))[:n],
        "digits-spaces": " ".join(digits[i:i + 2] for i in range(0, n, 2))[:n],
        "digits-dots": ".".join(digits[i:i + 4] for i in range(0, n, 4))[:n],
        "lookalikes": fill("ss# 4O1-5S-7812 l0l "),
        "base64-ssn": fill(base64.b64encode(f"SSN {SSN} ".encode()).decode() + " "),
        "hex-wall": "".join(rnd.choice("0123456789abcdef") for _ in range(n)),
        "fullwidth": fill("\uff15\uff13\uff16-\uff12\uff12-\uff11\uff12\uff13\uff14 "),
        # compatibility digits: not Unicode decimal digits (no \\d match), but NFKC
        # (the normalizer) makes digits of them
        "digit-full-stop": "".join(chr(0x2487 + int(c)) if c != "0" else "\U0001f100" for c in digits),
        "circled": "".join(chr(0x2460 + int(c) - 1) if c != "0" else "\u24ea" for c in digits),
        "superscript": fill("\u00b9\u00b2\u00b3\u2074\u2075\u2076-\u2077\u2078-\u2079\u2070\u00b9\u00b2 "),
        "parenthesized": "".join(chr(0x2474 + int(c) - 1) if c != "0" else "\u24ea" for c in digits),
        "entity-digits": fill("&#53;&#51;&#54;-&sup2;&sup2;-&#49;&#50;&#51;&#52; "),
        "percent-digits": fill("%35%33%36-%32%32-%31%32%33%34 "),
        "near-miss": fill("ticket 20931 order 4471 ref 2024-118 v3.2.1 "),
        "chat": fill("Can you review the model portfolio before the 2pm call? "),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chars", type=int, default=1024)
    ap.add_argument("--ungated", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--ner", action="store_true", help="with the spaCy model (the ner extra), as --ner gateways run")
    args = ap.parse_args()
    from dlp_proxy.detect import build_detector
    from dlp_proxy.gateway.pipeline import inline_eligible
    from dlp_proxy.model import ContentItem

    def gated(text: str) -> str:
        if args.ungated:
            return text
        lo, hi = 0, len(text)
        while lo < hi:  # longest admitted prefix
            mid = (lo + hi + 1) // 2
            if inline_eligible([ContentItem("m", text[:mid])], args.chars):
                lo = mid
            else:
                hi = mid - 1
        pad = " please confirm before the call with the desk" * (args.chars // 10)
        return (text[:lo] + pad)[: args.chars]

    engine = build_detector(None, ner=args.ner)
    engine.scan([ContentItem("body.message", f"warm up {SSN}")])
    worst = 0.0
    print(f"{'text':14s} {'findings':>8s} {'worst ms':>9s} {'median ms':>9s}")
    for name, full in texts(args.chars).items():
        text = gated(full)
        assert len(text) == args.chars, (name, len(text))
        assert args.ungated or inline_eligible([ContentItem("m", text)], args.chars), name
        times = []
        found = 0
        for _ in range(args.repeat):
            # The collector off while timing: a full (generation 2) collection of the
            # process's heap takes ~75 ms here whenever it falls, stalling every request
            # alike; it is not the scan's cost (seen with gc.callbacks).
            gc.collect()
            gc.disable()
            try:
                t0 = time.perf_counter()
                out = engine.scan([ContentItem("body.message", text)])
                times.append(time.perf_counter() - t0)
            finally:
                gc.enable()
            found = len(out[0].findings)
        times.sort()
        worst = max(worst, times[-1])
        print(f"{name:14s} {found:8d} {times[-1] * 1000:9.1f} {times[len(times) // 2] * 1000:9.1f}")
    print(f"worst {'ungated' if args.ungated else 'inline'} scan at {args.chars} chars: {worst * 1000:.1f} ms")
    # The gate itself runs on the event loop for every short text (it normalizes
    # non-ASCII text and text with escapes to count the digits the engine will see).
    gate = 0.0
    for full in texts(args.chars).values():
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            inline_eligible([ContentItem("body.message", full)], args.chars)
            gate = max(gate, time.perf_counter() - t0)
    print(f"worst gate (inline_eligible) at {args.chars} chars: {gate * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
