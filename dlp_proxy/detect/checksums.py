"""Check digits shared by the recognizers and the normalizer's readings (no imports of
either, so both can use them)."""

from __future__ import annotations


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of ASCII digits: payment cards."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def aba_ok(digits: str) -> bool:
    """The ABA routing number check (weights 3, 7, 1) of nine ASCII digits, its first two
    a Federal Reserve prefix (as recognizers/bank.py ``aba_valid``)."""
    if len(digits) != 9 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    p = int(digits[:2])
    if not (p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    return sum(int(c) * k for c, k in zip(digits, (3, 7, 1) * 3, strict=True)) % 10 == 0
