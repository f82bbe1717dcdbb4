"""Detection: normalization with an offset map, prefilter, Presidio engine assembly.

Public API::

    build_detector(config_dir=None, *, ner=None) -> Engine   # Detector protocol
    Engine.analyze(text, *, entities=None, rendered=True) -> list[Finding]
    Engine.scan(items, *, entities=None) -> list[ScannedItem]
    mask(entity_type, value) -> str
    DetectionLimitError, TexUnreadableError (a DetectionLimitError: rendered TeX it cannot read)
"""

from __future__ import annotations

from dlp_proxy.detect.config import DetectionConfigError
from dlp_proxy.detect.engine import (
           DetectionLimitError,
           Engine,
           TexUnreadableError,
           build_detector,
           ner_installed,
)
from dlp_proxy.detect.mask import mask

__all__ = [
           "DetectionConfigError",
           "DetectionLimitError",
           "Engine",
           "TexUnreadableError",
           "build_detector",
           "mask",
           "ner_installed",
]
