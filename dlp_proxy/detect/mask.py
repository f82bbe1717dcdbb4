"""Masked forms of identifiers: what a redacted post or an archive excerpt may show."""

from __future__ import annotations

from dlp_proxy.model import (
    ABA_ROUTING_NUMBER,
    CREDIT_CARD,
    EMAIL_ADDRESS,
    IBAN_CODE,
    PHONE_NUMBER,
    US_BANK_NUMBER,
    US_ITIN,
    US_SSN,
)


def _digits(value: str) -> str:
    return "".join(str(int(c)) if c.isdecimal() else c for c in value if c.isdecimal())


def mask(entity_type: str, value: str) -> str:
    """``***-**-6789`` for an SSN, ``**** **** **** 1111`` for a card, ``******4321``
    for an account; at most the last four characters of anything are kept, and
    nothing of short values."""
    if entity_type in (US_SSN, US_ITIN):
        d = _digits(value)
        return "***-**-" + d[-4:] if len(d) == 9 else "***-**-****"
    if entity_type == CREDIT_CARD:
        d = _digits(value)
        return "**** **** **** " + d[-4:] if len(d) >= 13 else "**** **** **** ****"
    if entity_type in (US_BANK_NUMBER, ABA_ROUTING_NUMBER, PHONE_NUMBER):
        d = _digits(value)
        if len(d) >= 8:
            return "*" * (len(d) - 4) + d[-4:]
        return "*" * max(len(d), 4)
    if entity_type == IBAN_CODE:
        compact = "".join(c for c in value if c.isalnum()).upper()
        if len(compact) >= 12:
            return compact[:2] + "*" * (len(compact) - 6) + compact[-4:]
        return "*" * len(compact)
    if entity_type == EMAIL_ADDRESS and "@" in value:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    stripped = "".join(c for c in value if c.isalnum())
    return "*" * min(max(len(stripped), 4), 16)
