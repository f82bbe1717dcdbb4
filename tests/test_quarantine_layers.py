"""The quarantine package's layers (issue 17, item 6): ``QuarantineService``
(quarantine/service.py) is the one public face, built from modules that each use
only the layers below them -- common < store < delivery < workflow < expiry <
service.  Read from the source, lazy imports included (tests/test_layers.py)."""

from __future__ import annotations

import pytest

from dlp_proxy import quarantine
from dlp_proxy.quarantine import QuarantineService
from dlp_proxy.quarantine.delivery import QuarantineDelivery
from dlp_proxy.quarantine.expiry import QuarantineExpiry
from dlp_proxy.quarantine.store import QuarantineStore
from dlp_proxy.quarantine.workflow import QuarantineWorkflow
from tests.conftest import ROOT
from tests.test_layers import imports_of

LAYERS = ("common", "store", "delivery", "workflow", "expiry", "service")
PKG = ROOT / "dlp_proxy" / "quarantine"


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_no_layer_above_it(layer: str) -> None:
    above = LAYERS[LAYERS.index(layer) + 1 :]
    names = imports_of(PKG / f"{layer}.py")
    bad = sorted(n for n in names for a in above
                 if n == f"dlp_proxy.quarantine.{a}" or n.startswith(f"dlp_proxy.quarantine.{a}."))  # fmt: skip
    assert not bad, f"quarantine/{layer}.py imports a layer above it: {bad}"


def test_only_the_package_imports_the_facade() -> None:
    users = sorted(p.name for p in PKG.glob("*.py")
                   if p.name not in ("__init__.py", "service.py")
                   and any(n.startswith("dlp_proxy.quarantine.service") for n in imports_of(p)))  # fmt: skip
    assert not users, f"quarantine modules must not import the facade: {users}"


def test_the_facade_is_the_layers_and_adds_nothing() -> None:
    assert QuarantineService.__mro__[1:5] == (QuarantineExpiry, QuarantineWorkflow, QuarantineDelivery,
                                              QuarantineStore)  # fmt: skip
    assert set(vars(QuarantineService)) <= {"__module__", "__doc__", "__qualname__", "__firstlineno__",
                                            "__static_attributes__", "__dict__", "__weakref__"}  # fmt: skip
    for name in ("hold", "show", "approve", "reject", "comment", "assign", "bulk", "purge", "retry_release",
                 "expire_due", "rotate_master_key", "sender_report", "query", "history", "claim_next"):
        assert callable(getattr(QuarantineService, name)), name
    assert set(quarantine.__all__) <= set(dir(quarantine))
