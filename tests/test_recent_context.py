"""The channel's recent context (policy/split.py ``SplitWindow.note``, ``add``'s
``recent``; attack pass atk25 F4) with a real Redis and an injected clock, and a file's
name as context for its text (gateway/filescan.py ``_named_by_the_name``; F5) in the
file worker's judgement."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
import zipfile
from typing import Any

import pytest
import redis.asyncio as aioredis

from dlp_proxy.gateway import filescan
from dlp_proxy.policy.split import RECENT_TRANSFORM, SplitWindow, has_label_word, may_carry_a_piece
from dlp_proxy.policy.testing import SSN

KEY = b"r" * 32
_DIGITS = re.sub(r"\D", "", SSN)


def _run(engine: Any, posts: list[tuple[str, str] | tuple[str, str, float]], **kw: Any) -> list[set[str]]:
    """``posts`` ((thread root or "", text[, seconds since the last post])) through a
    fresh window of one channel, as the gateway feeds it: a post with a piece is added
    with its context words, one without is noted when it has words.  Each post's
    finding types read with the recent context (``recent-context``)."""
    async def go() -> list[set[str]]:
        client = aioredis.Redis(host="127.0.0.1", port=6379)
        prefix = f"test:recent:{uuid.uuid4().hex}:"
        clock = [1_000_000.0]
        window = SplitWindow(client, key=KEY, prefix=prefix, ttl_seconds=1800, clock=lambda: clock[0], **kw)
        out: list[set[str]] = []
        try:
            for post in posts:
                thread, text = post[0], post[1]
                clock[0] += post[2] if len(post) > 2 else 7  # type: ignore[misc]
                words = sorted(t for t in engine.context_terms(text) if len(t) > 2) if has_label_word(text) else []
                if may_carry_a_piece(text, capitals=True):
                    added = await window.add("u1", "chan", text, engine, thread=thread or None, recent=True,
                                             words=words)
                    out.append({f.entity_type for f in added.findings if RECENT_TRANSFORM in f.transforms})
                else:
                    await window.note("u1", "chan", words, thread=thread or None)
                    out.append(set())
        finally:
            keys = [k async for k in client.scan_iter(match=prefix + "*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
        return out
    return asyncio.run(go())


QUESTION = "what's Jane Doe's social security number?"


@pytest.mark.parametrize("answer", [f"it's {_DIGITS}", f"Jane Doe {_DIGITS}", f"ok: {_DIGITS} (checked)"])
def test_the_question_labels_the_answer(engine: Any, answer: str) -> None:
    assert _run(engine, [("", QUESTION), ("", answer)])[-1] == {"US_SSN"}


def test_chat_without_numbers_between_them(engine: Any) -> None:
    got = _run(engine, [("", "can you send me Jane's SSN so I can file"), ("", "sure"), ("", "one sec"),
                        ("", f"Jane Doe {_DIGITS}")])
    assert got[-1] == {"US_SSN"}


def test_after_the_time_bound_no_label(engine: Any) -> None:
    assert _run(engine, [("", QUESTION), ("", f"it's {_DIGITS}", 181)])[-1] == set()
    assert _run(engine, [("", QUESTION), ("", f"it's {_DIGITS}", 179)])[-1] == {"US_SSN"}


def test_off(engine: Any) -> None:
    assert _run(engine, [("", QUESTION), ("", f"it's {_DIGITS}")], recent_posts=0)[-1] == set()


def test_a_post_with_a_number_in_between_ends_the_question(engine: Any) -> None:
    got = _run(engine, [("", "which acct?"), ("", "order 4839201234 filled"), ("", "and 4839201299 too")])
    assert got == [set(), set(), set()]
    # (the control: right after the question, the same number is its answer)
    assert _run(engine, [("", "which acct?"), ("", "and 4839201299 too")])[-1] == {"US_BANK_NUMBER"}
    assert _run(engine, [("", QUESTION), ("", "px 101.25 at 3pm"), ("", f"it's {_DIGITS}")])[-1] == set()
    # a post's words with its own number label that number, not the next post's
    assert _run(engine, [("", "client SSN 536-22-"), ("", "notes 100200300")])[-1] == set()
    assert _run(engine, [("", "what acct for order 4839201234?"), ("", "it's 4839201299")])[-1] == set()


def test_words_naming_the_number_keep_it_theirs(engine: Any) -> None:
    for answer in ("order 4839201234 filled", "done 449107324 shares", "ticket 4839201234", "px 536228710"):
        assert _run(engine, [("", QUESTION), ("", answer)])[-1] == set(), answer
    assert _run(engine, [("", "which acct?"), ("", "order 4839201234 filled")])[-1] == set()


def test_the_thread_root_and_other_threads(engine: Any) -> None:
    root = "a" * 26
    # a reply reads its thread's root (a root post) and its thread's replies
    assert _run(engine, [("", QUESTION), (root, f"it's {_DIGITS}")])[-1] == {"US_SSN"}
    # a question asked in another thread does not label a post in the channel
    assert _run(engine, [(root, QUESTION), ("", f"it's {_DIGITS}")])[-1] == set()


def test_a_long_post_gets_no_recent_context(engine: Any) -> None:
    long = "the review moved to Thursday afternoon, same room as last week, " * 4 + f"count {_DIGITS}"
    assert _run(engine, [("", QUESTION), ("", long)])[-1] == set()


# --------------------------------------------------------------------------- F5

_ROWS = f"name,value\nJane Doe,{_DIGITS}\nJohn Roe,449107324\n".encode()


@pytest.fixture
def worker(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filescan, "_worker_detector", engine)


def _found(name: str, data: bytes) -> list[tuple[str, str]]:
    from dlp_proxy.files import Limits

    extraction, findings = filescan._job(data, name, Limits(), None)
    return [(seg.location, f.entity_type) for seg, fs in zip(extraction.segments, findings, strict=True) for f in fs]


def test_name_words() -> None:
    assert filescan.name_words("social_security_numbers.csv") == "social security number"
    assert filescan.name_words("clientSSNs.xlsx") == "client ssn"
    assert filescan.name_words("export/Account-List.2026.csv") == "export account list"


@pytest.mark.parametrize("name", ["client_ssn.csv", "social_security_numbers.csv", "client-SSNs.csv"])
def test_a_files_name_labels_its_rows(worker: None, name: str) -> None:
    assert [t for _, t in _found(name, _ROWS)] == ["US_SSN", "US_SSN"]
    assert _found("export.csv", _ROWS) == []


def test_a_members_name_labels_its_rows(worker: None) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("out/client_ssn.csv", _ROWS)
        z.writestr("notes.csv", _ROWS)
    got = _found("weekly.zip", buf.getvalue())
    assert [t for loc, t in got if "client_ssn" in loc] == ["US_SSN", "US_SSN"]
    assert [t for loc, t in got if "notes" in loc] == []


def test_a_column_its_header_names_keeps_its_numbers(worker: None) -> None:
    blotter = (b"order_id,symbol,side,qty,price,trader\n4839201234,AAPL,B,500,189.25,JL\n"
               b"4839201299,MSFT,S,200,411.10,RS\n")
    for name in ("accounts.csv", "account_list.csv", "acct_blotter.csv"):
        assert _found(name, blotter) == [], name
    assert _found("accounts.txt", b"order 4839201234 filled at 189.25\nticket 4839201299\n") == []
