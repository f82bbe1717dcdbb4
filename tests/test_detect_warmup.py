"""detect/warmup.py: a detector warmed with ``warm_texts`` builds nothing more on its first
labelled identifiers (the context regexes and their Hyperscan span databases were built
on the first post of each kind: 20-270 ms, on the gateway's event loop)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from dlp_proxy.detect.warmup import warm_texts
from tests.conftest import ROOT, STOPPING

#: labelled identifiers the warm-up texts do not hold word for word (other phrasings,
#: other values): generated with another seed, and written here
_PROBE = r"""
import json, sys
from dlp_proxy.detect import build_detector, gatescan
from dlp_proxy.detect.warmup import warm_texts
from dlp_proxy.gateway.filescan import warm_detector
from dlp_proxy.recognizers import _common

engine = build_detector(sys.argv[1], ner=False)
if sys.argv[2] == "warm":
    warm_detector(engine)
def state():
    return len(gatescan._SPAN_DBS), _common._bare.cache_info().currsize
before = state()
texts = [*warm_texts(seed=7), *json.loads(sys.argv[3])]
for text in texts:
    engine.analyze(text)
print(json.dumps({"before": before, "after": state()}))
"""


def _probe(warm: bool, extra: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(ROOT / "config"), "warm" if warm else "cold", json.dumps(extra)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_each_warm_text_holds_what_it_is_there_to_warm(engine: Any) -> None:
    # a generated value that failed its check digits would stop before its context is
    # read, and warm nothing
    found = [{f.entity_type for f in engine.analyze(text)} for text in warm_texts()]
    kinds = set().union(*found)
    assert STOPPING <= kinds
    assert {"US_EIN", "PHONE_NUMBER", "EMAIL_ADDRESS", "CUSIP"} <= kinds
    chat = found[:-2]
    assert all(chat), [t for t, f in zip(warm_texts(), chat, strict=False) if not f]


def test_warm_texts_are_the_same_for_a_seed_and_differ_across_seeds() -> None:
    assert warm_texts() == warm_texts()
    assert warm_texts(seed=7) != warm_texts()


def test_a_warmed_detector_builds_nothing_on_its_first_identifiers() -> None:
    extra = ["ssn is 12345", "the client's social security number is below", "Routing number: 0",
             "acct # on file", "IBAN please"]
    warmed = _probe(True, extra)
    assert warmed["after"] == warmed["before"], warmed
    cold = _probe(False, extra)  # the same texts without the warm-up: what it spares
    assert cold["after"][0] > cold["before"][0] and cold["after"][1] > cold["before"][1], cold
