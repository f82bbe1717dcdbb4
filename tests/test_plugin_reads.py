"""atk17p F1 (unit): what a plugin's ServeHTTP gets besides the body (its path after
the plugin id, its headers, its query's names and values: pipeline.plugin_read_items)
is read through the detector's own gate (``Engine.could_find``), never a digit count:
an identifier in a path segment, a header or the query, written with digits, in number
words or with look-alike letters, is always scanned and found; and the gate never
skips a text the detector finds something in (generated texts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.pipeline import plugin_read_items, query_items
from dlp_proxy.gateway.routes import query_is_trivial
from tests.filegen import SSN_BODY

WORDS = "zero one two three four five six seven eight nine".split()
DIGITS = [c for c in SSN_BODY if c.isdigit()]
LOOKALIKE = {"1": ["l", "I"], "2": ["Z"]}


def _written(form: str, sep: str) -> str:
    if form == "digits":
        return SSN_BODY
    if form == "words":
        return sep.join(WORDS[int(d)] for d in DIGITS)
    # one look-alike letter for a digit of the last group (``536-22-l234``)
    head, last = SSN_BODY.rsplit("-", 1)
    d = next(c for c in last if c in LOOKALIKE)
    return f"{head}-{last.replace(d, LOOKALIKE[d][0], 1)}"


def _found(engine: Any, items: list[Any]) -> bool:
    return any(engine.could_find(i.text) and engine.analyze(i.text) for i in items)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(["digits", "words", "lookalike"]), sep=st.sampled_from(["-", ",", "."]),
       place=st.sampled_from(["segment", "segments", "header", "query", "query-name"]),
       plugin=st.sampled_from(["com.mattermost.demo", "playbooks", "focalboard"]), encode=st.booleans())
def test_an_identifier_a_plugin_gets_is_never_skipped(engine: Any, form: str, sep: str, place: str, plugin: str,
                                                       encode: bool) -> None:
    value = _written(form, sep)
    esc = (lambda t: quote(t, safe="")) if encode else (lambda t: t)
    headers: dict[str, str] = {"User-Agent": "Mozilla/5.0", "Accept": "application/json"}
    target = f"/plugins/{plugin}/api/v1/lookup"
    if place == "segment":
        target += f"/ssn/{esc(value)}"
    elif place == "segments":
        target += "/ssn/" + "/".join(esc(p) for p in value.split(sep if form == "words" else "-"))
    elif place == "header":
        headers["X-Lookup"] = f"ssn {value}"
    elif place == "query":
        target += f"?ssn={esc(value)}"
    else:
        target += f"?ssn&{esc(value)}"  # a name, no value
    items = plugin_read_items(target, headers)
    assert _found(engine, items), (target, [i.path for i in items])


@pytest.mark.parametrize("query", ["ssn=" + ",".join(WORDS[int(d)] for d in DIGITS),
                                   "q=ssn&v=" + "-".join(WORDS[int(d)] for d in DIGITS)])
def test_a_query_of_number_words_is_read(engine: Any, query: str) -> None:
    # trivial in its shape (words, no digit): the gate reads the words
    assert query_is_trivial(query)
    assert _found(engine, query_items(query))


def test_a_clean_plugin_path_holds_nothing(engine: Any) -> None:
    for target in ("/plugins/focalboard/api/v2/teams/y7kk5cjibi194smnz58ymwypmh/boards",
                   "/plugins/playbooks/api/v0/runs?page=0&per_page=60&statuses=InProgress"):
        assert not any(engine.analyze(i.text) for i in plugin_read_items(target, {"Accept": "application/json"}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(list("0123456789 -./,:=lIOoZSBsgq") + WORDS + ["ssn ", "card ", "iban GB"]),
                     max_size=30).map("".join))
def test_the_gate_never_skips_a_finding(engine: Any, text: str) -> None:
    if not engine.could_find(text):
        assert engine.analyze(text) == [], text
