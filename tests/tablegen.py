"""Tables for detection tests and bench/bench_detect_tables.py: a broker-dealer trade
blotter as a desk exports it (the shape of issue 15's clean CSV), clean or with
identifiers in labelled columns.  Identifiers are derived from dlp_proxy.policy.testing."""

from __future__ import annotations

import random


def trade_csv(rows: int, seed: int = 7, *, sep: str = ",") -> str:
    """A clean blotter export: id, names, a note, an amount, a date (the issue's shape)."""
    rng = random.Random(seed)
    first = ["Ann", "Bob", "Carla", "Dev", "Eli", "Fay", "Gus", "Hana"]
    last = ["Lee", "Ray", "Moss", "Khan", "Ortiz", "Stone", "Wu", "Park"]
    notes = ["wire sent", "ACH pending", "routing confirmed", "rebalance", "partial fill", "cxl/replace",
             "client called, per ops", "T+1 settle", "aba on file"]
    lines = [sep.join(["id", "first", "last", "note", "amount", "date"])]
    for i in range(rows):
        note = rng.choice(notes)
        if sep == "," and "," in note:
            note = f'"{note}"'
        lines.append(sep.join([
            str(10000 + i), rng.choice(first), rng.choice(last), note,
            f"{rng.randint(1, 999999)}.{rng.randint(0, 99):02d}",
            f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        ]))
    return "\n".join(lines) + "\n"


def dirty_csv(rows: int, seed: int = 11, every: int = 50) -> tuple[str, int]:
    """A client table (name, account, ssn, note); every ``every``-th row carries a
    synthetic SSN and account number.  Returns the text and the number of SSNs in it."""
    from dlp_proxy.policy.testing import ACCOUNT, SSN

    rng = random.Random(seed)
    lines = ["client,account,ssn,note"]
    planted = 0
    for i in range(rows):
        if i % every == 0:
            ssn = SSN[:-4] + f"{(int(SSN[-4:]) + i) % 9000 + 1000:04d}"
            lines.append(f"client {i},{ACCOUNT},{ssn},onboarding")
            planted += 1
        else:
            lines.append(f"client {i},,,{rng.choice(['rebalance', 'call back', 'T+1 settle'])}")
    return "\n".join(lines) + "\n", planted
