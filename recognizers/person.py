"""PERSON from spaCy NER (optional: only when a model package is installed).

A thin subclass of Presidio's SpacyRecognizer restricted to PERSON; it reads
the entities the engine's NER pipeline put into the NLP artifacts.
"""

from __future__ import annotations

from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from dlp_proxy.model import PERSON


class PersonNameRecognizer(SpacyRecognizer):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            supported_language="en",
            supported_entities=[PERSON],
            check_label_groups=[({PERSON}, {"PERSON", "PER"})],
            name="PersonNameRecognizer",
        )
