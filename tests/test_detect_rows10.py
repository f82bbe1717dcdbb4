"""Attack pass 11 (P2, F4): readings that join numbers the writer wrote apart.

P2: a table row, a short column, values of keys sharing a stem, digit keys: a reader of a
trading floor's configs and tables sees separate numbers (``| 512 | 64 | 2048 |``, ``id`` over
``412`` / ``35`` / ``7781``, ``retry_1=412 ...``).  Such a reading names an identifier only by
its checksum (a card's Luhn and issuer, an IBAN's mod 97, a CLABE) or with a word naming it
(a header, a column, a key's stem, a caption: the recognizers' context).  F4: the labelled
forms still stop: a nested object of parts under a labelled key, dotted stems out of order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine
from dlp_proxy.files import extract

STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE", "US_EIN")
NAMED_ONLY = {"US_SSN", "US_ITIN", "US_BANK_NUMBER", "ABA_ROUTING_NUMBER", "US_EIN"}


def _stops(engine: Engine, text: str) -> list[str]:
    return [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]


# the attack's messages (p4.py), fresh channel each: all clean
CLEAN = [
    "| 512 | 64 | 2048 |",
    "| 412 | 35 | 7781 |\n",
    "| cpu | mem | disk |\n|---|---|---|\n| 512 | 64 | 2048 |",
    "| qty | lots | px |\n|---|---|---|\n| 536 | 22 | 8710 |",
    "| desk | open | filled |\n| --- | --- | --- |\n| 401 | 35 | 1288 |\n| 402 | 17 | 5520 |",
    "region,nodes,pods\n536\n22\n8710",
    "nodes\n536\n22\n8710\n",
    "id\n412\n35\n7781",
    "latency_ms\n123\n45\n6789\n",
    '{"1": 536, "2": 22, "3": 8710}',
    '{"shards": {"1": "412", "2": "35", "3": "7781"}}',
    "retry_1=412\nretry_2=35\nretry_3=7781",
    "node_1=5362\nnode_2=2871\nnode_3=0412",
    "timeout_1=536 timeout_2=22 timeout_3=8710",
    "[pool]\nsize_1=536\nsize_2=22\nsize_3=8710\n",
    "| 536 | 22 | 8710 |",
    "536|22|8710",
    "x.0=536, x.2=8710, x.1=22",
]


@pytest.mark.parametrize("text", CLEAN, ids=[f"clean-{i}" for i in range(len(CLEAN))])
def test_numbers_written_apart_without_a_label_are_clean(engine: Engine, text: str) -> None:
    assert _stops(engine, text) == []


# the attack's files (p6.py): clean
FILES = {
    "nodes.csv": b"host,cores,mem_mb\nweb1,536\nweb2,22\nweb3,8710\n",
    "counts.csv": b"count\n412\n35\n7781\n",
    "ports.csv": b"port\n443\n80\n8443\n",
    "retries.conf": b"retry_1=412\nretry_2=35\nretry_3=7781\n",
    "app.ini": b"[pool]\nsize_1=536\nsize_2=22\nsize_3=8710\n",
    "shards.json": b'{"shard": {"1": 412, "2": 35, "3": 7781}}',
    "fills.csv": b"qty\n500\n25\n1200\n",
    "table.md": b"| 412 | 35 | 7781 |\n",
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_files_of_numbers_written_apart_are_clean(engine: Engine, name: str) -> None:
    ex = extract(FILES[name], filename=name)
    assert [f.entity_type for s in ex.segments for f in engine.analyze(s.text) if f.entity_type in STOPPING] == []


# labelled (or self-naming) forms: still stopped
STOPPED = [
    ("ssn\n536\n22\n8710", "US_SSN"),
    ("ssn column:\n536\n22\n8710", "US_SSN"),
    ("ssn_1=536 ssn_2=22 ssn_3=8710", "US_SSN"),
    ("client ssn\n\n| 536 | 22 | 8710 |", "US_SSN"),
    ("| name | ssn | b | c |\n|---|---|---|---|\n| Bob | 536 | 22 | 8710 |", "US_SSN"),
    ("name,ssn,b,c\nBob,536,22,8710\nJane,x,y,z\n", "US_SSN"),
    ("acct_1=536 acct_2=22 acct_3=8710", "US_BANK_NUMBER"),
    ("card.g1=4111 card.g2=1111 card.g3=1111 card.g4=1111", "CREDIT_CARD"),
    ("| 4111 | 1111 | 1111 | 1111 |", "CREDIT_CARD"),  # Luhn and issuer name it
    ("port_1=4111\nport_2=1111\nport_3=1111\nport_4=1111", "CREDIT_CARD"),
    ("here it is 055\n06\n5360 before 4pm ET", "US_SSN"),  # a number broken inside a sentence
    ("536-22-8710", "US_SSN"),
    ("536 22 8710", "US_SSN"),
    # F4: a nested object of parts under a labelled key, dotted stems out of order
    ('{"ssn": {"1": "536", "2": "22", "3": "8710"}}', "US_SSN"),
    ('{"ssn": {"0": "536", "1": "22", "2": "8710"}}', "US_SSN"),
    ('{"ssn": {"a": "536", "b": "22", "c": "8710"}}', "US_SSN"),
    ('{"ssn": {"3": "8710", "1": "536", "2": "22"}}', "US_SSN"),
    ("ssn.0=536, ssn.2=8710, ssn.1=22", "US_SSN"),
    ("ssn[2]=8710 ssn[0]=536 ssn[1]=22", "US_SSN"),
    ('{"card": {"1": "4111", "2": "1111", "3": "1111", "4": "1111"}}', "CREDIT_CARD"),
]


@pytest.mark.parametrize(("text", "entity"), STOPPED, ids=[f"stop-{i}" for i in range(len(STOPPED))])
def test_labelled_or_self_naming_forms_stop(engine: Engine, text: str, entity: str) -> None:
    assert entity in _stops(engine, text), text


_NUM = st.integers(0, 9999).map(str)
_WORD = st.sampled_from(["qty", "px", "id", "port", "nodes", "count", "retry", "size", "timeout", "node", "shard",
                         "lots", "fills", "latency_ms", "x", "a", ""])


@settings(max_examples=150, deadline=None)
@given(st.lists(_NUM, min_size=2, max_size=6), _WORD, st.sampled_from(["row", "md", "column", "keys", "dotted",
                                                                        "json", "digit-keys", "csv-column"]))
def test_numbers_apart_never_name_an_identifier_without_a_label(engine: Engine, nums: list[str], word: str,
                                                                layout: str) -> None:
    stem = word or "k"
    if layout == "row":
        text = "| " + " | ".join(nums) + " |"
    elif layout == "md":
        text = f"| {stem} |" + " x |" * (len(nums) - 1) + "\n" + "|---" * len(nums) + "|\n| " + " | ".join(nums) + " |"
    elif layout == "column":
        text = (word + "\n" if word else "") + "\n".join(nums)
    elif layout == "keys":
        text = "\n".join(f"{stem}_{i + 1}={n}" for i, n in enumerate(nums))
    elif layout == "dotted":
        text = ", ".join(f"{stem}.{i}={n}" for i, n in reversed(list(enumerate(nums))))
    elif layout == "json":
        text = '{"' + stem + '": {' + ", ".join(f'"{i + 1}": "{n}"' for i, n in enumerate(nums)) + "}}"
    elif layout == "digit-keys":
        text = "{" + ", ".join(f'"{n}": {i}' for i, n in enumerate(nums)) + "}"
    else:
        text = f"{stem}\n" + "\n".join(nums) + "\n"
    found = {f.entity_type for f in engine.analyze(text)} & NAMED_ONLY
    assert found == set(), text


@pytest.mark.parametrize("text", ["ŠSN 536228710", "Šocial 536228710", "sŠn 536228710", "àcct 12345678901",
                                  "5.5.N 536228710", "$.$.N. 536228710"])
def test_accented_labels_label(engine: Engine, text: str) -> None:
    # F4: a label written with accented letters or dotted leet is the label (normalize._accented_labels,
    # _dotted_leet_labels)
    assert _stops(engine, text), text


@pytest.mark.parametrize("text", ["café 536228710", "Škoda 536228710", "naïve 12345678901", "v5.5.1 536228710",
                                  "build 5.5.1 536228710"])
def test_accented_words_are_no_labels(engine: Engine, text: str) -> None:
    assert _stops(engine, text) == [], text


def test_digits_then_iban_letters_after_a_card_label_do_not_crash(engine: Engine) -> None:
    # hypothesis (test_detect_passes_diff) found filler._as_identifier's Luhn asked of "536536536GB82"
    assert _stops(engine, "536 card 536 536 536 GB82 ") == []
