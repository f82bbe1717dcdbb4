"""What reading a multi-line chat message's lines costs the engine (``Engine._analyze_lines``:
its lines read as the split window reads a channel's posts, policy/split.py
``completed_lines``), on ordinary chat and on the texts that reading is for.

    .venv/bin/python bench/bench_chat_lines.py [--repeat 5] [--rounds 2] [--base-root /tmp/base]

Per group of messages, the CPU per message (``time.process_time``, best of ``--repeat``
loops over the group, the variants alternating within each loop) of:

- ``analyze_us``: ``Engine.analyze`` as the gateway calls it (every entity);
- ``own_us``: the same with the line reading off (``model.JOINED_TEXT`` set, as for a text
  the split window joined): the text's own readings only;
- ``lines_us``: the difference, what the line reading adds;
- ``marks_us``: ``mark_tables(sanitize(text))`` alone (the table markup reading every
  text pays before its windows);
- ``pieces_us``: ``split.line_pieces`` alone (which lines may carry a piece).

And per group the findings (type and span) of ``analyze``, as a digest, so that two
checkouts can be compared: the same digest, the same findings.  With ``--base-root``
the same runs in that checkout too (a fresh process each round, the checkouts
alternating) and both are printed side by side.  No network, no Redis.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: ordinary multi-line chat: a few lines, no digits
PLAIN = [
    "Hey team,\nquick reminder that the quarterly review moved to Thursday afternoon.\n"
    "Please bring the updated onboarding checklist.",
    "Morning all!\n\nMarkets were choppy but the desk handled the flow well.\n"
    "Can someone look at the draft client letter?\nI'll be out Friday, Sam is covering my book.\n\nThanks,\nAna",
    "Agenda:\n- market update\n- client onboarding\n- compliance training\n- AOB",
    "sounds good\nlet me check with ops\nwill get back to you after lunch",
    "Heads up: the VPN will be down tonight.\nSave your work before you leave.",
    "Can you send me the deck?\nThe one with the new fee schedule.\nThanks!",
    "> Who has the latest best-execution deck?\nIt is in the shared drive under Trading / Reviews.",
    "FYI\n\nThe client called back, she is happy with the proposal.\nPlease prepare the paperwork.\n\nBest,\nTom",
]
#: the same kind of chat with a number or two (times, a ticket, a room, a price)
FEW_NUMBERS = [
    "Call moved to 3:30pm ET.\nDial-in is the usual bridge.\nSee you there.",
    "Order #4471 ships Friday.\nTicket is 20931 if you need it.\nThanks!",
    "Room 1204 is booked.\nBring the printouts please.",
    "Market opens in 10 minutes.\nAre we ready for the rebalance?",
    "SPX closed at 5,948.71, up 0.4% on the day.\nQuiet session overall.\nNothing to flag.",
    "Lunch at 12?\nThe usual place.",
    "Updated the model portfolio.\nWeights are in v2 of the sheet.\nPlease review before the 2pm call.",
    "Reminder: annual attestation is due by the end of the month.\nIt takes about 15 minutes.",
]
#: chat with characters outside ASCII (quotes, dashes, accents, emoji), few numbers
NON_ASCII = [
    "Hi Zoë,\nthe client’s letter is ready — can you sign it?\nThanks 🙏",
    "Café at noon?\nI’ll book a table for 4.",
    "Résumé attached.\n“Senior analyst” role, starts in March.\nLet me know 👍",
    "Great work on the migration 🎉\nIt went smoothly – no incidents.",
]
#: what the line reading is for: labels and numbers on most lines (status reports) ...
LABELLED = [
    "SSN backfill:\n617 done\nlunch?\n77 failed\n4867 remaining",
    "card dispute queue\n41 open\nthanks\n1111 closed\nok\n17 pending",
    "Desk report\naccount reviews 12 done\nroom 1204 at 10:30\nticket 20931 closed\nNQ 21000.50\nok",
]
#: ... and the identifiers it finds: pieces on lines with other lines between them
SPLIT_IDS = [
    "client SSN 536-22\nlunch at noon?\n8710",
    "card 4111 1111\nlunch at noon?\n1111 1111",
    "IBAN GB82 WEST 1234\nlunch at noon?\npx 101.25 on the 10y\nok\n5698 7654 32",
    "client SSN 536-22\nok\nthe last four are 8710",
]
GROUPS = {"plain": PLAIN, "few_numbers": FEW_NUMBERS, "non_ascii": NON_ASCII, "labelled": LABELLED,
          "split_ids": SPLIT_IDS}


def measure(repeat: int) -> dict[str, dict[str, Any]]:
    sys.path.insert(0, os.getcwd())
    from dlp_proxy.detect import build_detector
    from dlp_proxy.detect.normalize import sanitize
    from dlp_proxy.detect.structure import mark_tables
    from dlp_proxy.model import JOINED_TEXT
    from dlp_proxy.policy.split import line_pieces

    det = build_detector(ner=False)

    def own(text: str) -> object:
        token = JOINED_TEXT.set(True)
        try:
            return det.analyze(text)
        finally:
            JOINED_TEXT.reset(token)

    variants: dict[str, Callable[[str], object]] = {
        "analyze": det.analyze, "own": own,
        "marks": lambda t: mark_tables(sanitize(t), det._header_label), "pieces": line_pieces,
    }
    out: dict[str, dict[str, Any]] = {}
    for name, texts in GROUPS.items():
        loops = max(1, 2000 // sum(len(t) for t in texts))
        spent: dict[str, list[float]] = {v: [] for v in variants}
        for fn in variants.values():  # warm
            for t in texts:
                fn(t)
        for _ in range(repeat):
            for v, fn in variants.items():
                t0 = time.process_time()
                for _ in range(loops):
                    for t in texts:
                        fn(t)
                spent[v].append((time.process_time() - t0) / (loops * len(texts)))
        found = [[(f.entity_type, f.start, f.end) for f in det.analyze(t)] for t in texts]
        row = {f"{v}_us": round(min(s) * 1e6, 1) for v, s in spent.items()}
        row["lines_us"] = round(row["analyze_us"] - row["own_us"], 1)
        row["findings"] = sum(map(len, found))
        row["digest"] = hashlib.sha256(json.dumps(found).encode()).hexdigest()[:12]
        out[name] = row
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="alternations between the checkouts")
    ap.add_argument("--base-root")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat)))
        return 0
    roots = {"this": ROOT}
    if args.base_root:
        roots["base"] = Path(args.base_root).resolve()
    runs: dict[str, list[dict[str, dict[str, Any]]]] = {k: [] for k in roots}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for _ in range(args.rounds):
        for name, root in roots.items():
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--repeat",
                                   str(args.repeat)], cwd=root, env=env, capture_output=True, text=True, check=True)
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    cols = ["analyze_us", "own_us", "lines_us", "marks_us", "pieces_us"]
    print(f"{'group':12s} {'checkout':8s} " + " ".join(f"{c:>11s}" for c in cols) + "  findings digest")
    for group in GROUPS:
        for name, rs in runs.items():
            best = {c: min(r[group][c] for r in rs) for c in cols}
            best["lines_us"] = round(best["analyze_us"] - best["own_us"], 1)
            last = rs[-1][group]
            print(f"{group:12s} {name:8s} " + " ".join(f"{best[c]:11.1f}" for c in cols)
                  + f"  {last['findings']:8d} {last['digest']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
