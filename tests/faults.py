"""Detector factories for fault tests, loaded by the real gateway process through
its documented ``DLP_DETECTOR=module:factory`` extension point.

They wrap the real engine and misbehave only when the text carries a marker,
so the same gateway also judges normal traffic normally.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from typing import Any

from dlp_proxy.detect import build_detector
from dlp_proxy.model import ContentItem, Finding, ScannedItem

RAISE_MARKER = "please-raise-inside-the-detector"
HANG_MARKER = "please-hang-inside-the-detector"
#: burns CPU (a runaway scan) instead of sleeping
SPIN_MARKER = "please-spin-inside-the-detector"


class _Faulty:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def _check(self, text: str) -> None:
        if RAISE_MARKER in text:
            raise RuntimeError("detector exploded")
        if HANG_MARKER in text:
            time.sleep(30)
        if SPIN_MARKER in text:
            end = time.process_time() + 30
            while time.process_time() < end:
                pass

    def analyze(self, text: str, *, entities: Collection[str] | None = None, rendered: bool = True) -> list[Finding]:
        self._check(text)
        return list(self.inner.analyze(text, entities=entities, rendered=rendered))

    def scan(self, items: Sequence[ContentItem], *, entities: Collection[str] | None = None) -> list[ScannedItem]:
        for item in items:
            self._check(item.text)
        return list(self.inner.scan(items, entities=entities))


def faulty_detector(config_dir: Any = None, *, ner: bool | None = None) -> _Faulty:
    return _Faulty(build_detector(config_dir, ner=ner))


def gated_detector(config_dir: Any = None, *, ner: bool | None = None) -> Any:
    """The real engine, built only once the file ``<config_dir>/go`` exists: a worker
    whose start-up the test holds (``config_dir`` is the test's directory)."""
    from pathlib import Path

    while not (Path(config_dir) / "go").exists():
        time.sleep(0.05)
    return build_detector(None, ner=ner)
