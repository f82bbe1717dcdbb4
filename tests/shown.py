"""What a test may ask of text the gateway shows a person: is an identifier, or a part of
one, in it?  The ids and figures the gateway makes up itself are taken out first, so that
a random request id (``ae0953603d...``) or a timing (``p50 0.536``) that happens to hold
the digits asked about is not read as a leak."""

from __future__ import annotations

import re

#: what the gateway generates: 26-character request ids and NewIds, hex tokens and
#: quarantine/audit ids (each with a letter: a card number is not an id), and decimal
#: figures (timings, scores; a dotted triple such as ``536.22.8710`` is not one)
_GENERATED = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9a-z]*[a-z])(?:[0-9a-z]{26}|(?:q|audit-)?[0-9a-f]{12,})(?![0-9A-Za-z])"
    r"|(?<![\d.])\d+\.\d+(?![\d.])"
)


def shown(text: str) -> str:
    """``text`` with what the gateway generated replaced by ``#``."""
    return _GENERATED.sub("#", text)
