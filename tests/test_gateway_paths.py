from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.paths import PathError, normalize_path, split_target

CASES = [
    ("/api/v4/posts", "/api/v4/posts"),
    ("/api/v4/posts/", "/api/v4/posts"),
    ("//api///v4//posts", "/api/v4/posts"),
    ("/api/v4/./posts", "/api/v4/posts"),
    ("/api/v4/users/../posts", "/api/v4/posts"),
    ("/api/v4/../../../../api/v4/posts", "/api/v4/posts"),
    ("/API/V4/POSTS", "/api/v4/posts"),
    ("/api/v4/%70osts", "/api/v4/posts"),
    ("/api/v4/%2570osts", "/api/v4/posts"),  # double encoding
    ("/api%2Fv4%2Fposts", "/api/v4/posts"),  # encoded slashes
    ("/api/v4\\posts", "/api/v4/posts"),
    ("/api/v4/posts;jsessionid=1", "/api/v4/posts"),
    ("/api/v4/%2e%2e/v4/posts", "/api/v4/posts"),
    ("/api/v4/posts/abc/patch/", "/api/v4/posts/abc/patch"),
    ("/hooks/abc", "/hooks/abc"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_path(raw) == expected


@pytest.mark.parametrize("raw", ["/api/v4/posts%00", "/api/v4/po\x00sts", "/api/v4/%0aposts", "/" + "a" * 9000])
def test_rejects_control_characters_and_huge_paths(raw: str) -> None:
    with pytest.raises(PathError):
        normalize_path(raw)


def test_split_target_keeps_query_undecoded() -> None:
    assert split_target("/api/v4/files?channel_id=x&filename=a%20b#frag") == ("/api/v4/files", "channel_id=x&filename=a%20b#frag")
    assert split_target("/api/v4/files#frag") == ("/api/v4/files", "")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalize_never_crashes_and_is_idempotent(raw: str) -> None:
    try:
        once = normalize_path("/" + raw)
    except PathError:
        return
    assert once.startswith("/")
    assert "//" not in once and "/../" not in once + "/" and not once.endswith("/..")
    assert normalize_path(once) == once or "%" in once


@pytest.mark.parametrize(("raw", "expected"), [("/\x85/0", "/0"), ("/0/\x85", "/0"), ("/api/ v4 /posts", "/api/v4/posts")])
def test_whitespace_segments_collapse(raw: str, expected: str) -> None:
    assert normalize_path(raw) == expected
