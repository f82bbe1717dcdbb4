"""tests/shown.py takes out what the gateway generates and nothing an identifier could be."""

from __future__ import annotations

from tests.shown import shown


def test_generated_ids_and_figures_go() -> None:
    assert shown("id ae0953603d7554d60ae6f53e2e, p50 0.536 ms, q18c0a0b1c2d3e4f5a6 audit-0123456789abcdef") == (
        "id #, p50 # ms, # #")


def test_identifiers_stay() -> None:
    for text in ["4111111111111111", "536228710", "536-22-8710", "536.22.8710", "***-**-8710",
                 "5362287101234-abc", "GB82WEST12345698765432"]:
        assert shown(text) == text
