from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.paths import PathError, go_path, normalize_path, readings, split_target
from dlp_proxy.gateway.pipeline import classify_path
from dlp_proxy.gateway.routes import match

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
    # Go's url.ParseRequestURI cuts no fragment: '#' stays in the path (and the target
    # is refused: paths.check_target, atk21p F2)
    assert split_target("/api/v4/files#frag") == ("/api/v4/files#frag", "")


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
def test_whitespace_trimmed_reading_is_one_of_the_readings(raw: str, expected: str) -> None:
    # whitespace is trimmed only as an extra reading, after dot segments were
    # resolved: it can add a route to inspect, never replace Go's reading
    assert expected in readings(raw)
    assert readings(raw)[0] == go_oracle(raw)[0].lower().rstrip("/")


# --------------------------------------------------------------- Go's reading
#
# Oracle: what Mattermost's router sees (server/channels/app/server.go: the
# http.Server's handler is RootRouter = mux.NewRouter(), no SkipClean, no
# UseEncodedPath).  Go's url.ParseRequestURI decodes the path once (invalid
# escape: 400); gorilla/mux Router.ServeHTTP redirects (301, no handler) when
# cleanPath(path) != path, else matches route templates against it.  Written
# independently of dlp_proxy.gateway.paths, from Go's path.Clean algorithm.


def _go_path_clean(p: str) -> str:
    # Go's path.Clean, rules 1-4 of its doc comment, for a rooted path
    stack: list[str] = []
    for elem in p.split("/"):
        if elem == "" or elem == ".":
            continue
        if elem == "..":
            if stack:
                stack.pop()
            continue
        stack.append(elem)
    return "/" + "/".join(stack)


def go_oracle(raw: str) -> tuple[str, bool] | None:
    """(decoded path, handler runs) as Go + gorilla/mux, or None for Go's 400."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        return None
    decoded = unquote_to_bytes(raw).decode("utf-8", "surrogateescape")
    p = decoded if decoded.startswith("/") else "/" + decoded
    clean = _go_path_clean(p)
    if p.endswith("/") and clean != "/":
        clean += "/"
    return decoded, clean == decoded


def test_go_reading_cases() -> None:
    assert go_path("/api/v4/posts") == ("/api/v4/posts", True)
    assert go_path("/api%2Fv4%2Fposts") == ("/api/v4/posts", True)  # %2F is a slash for mux (no UseEncodedPath)
    assert go_path("/api/v4/%2570osts") == ("/api/v4/%70osts", True)  # decoded once only
    assert go_path("/api/v4/posts/ ..") == ("/api/v4/posts/ ..", True)  # " .." is a name
    assert go_path("/api/v4/users/../posts") == ("/api/v4/users/../posts", False)  # 301, no handler
    assert go_path("/api/v4/posts/") == ("/api/v4/posts/", True)
    with pytest.raises(PathError):
        go_path("/api/v4/%zzposts")


@pytest.mark.parametrize("raw", [
    # class 6: trimming before resolving turned a content route into another one
    "/api/v4/posts/%20../x/..",
    "/api/v4/users/x/%20../../../posts",
    "/api/v4/posts/%09..",
    "/api/v4/posts/%C2%85..",
    "/api/v4/posts/..%20",
    "/api/v4/posts/%252e%252e",
])
def test_whitespace_and_double_encoding_never_hide_the_go_route(raw: str) -> None:
    oracle = go_oracle(raw)
    assert oracle is not None
    go_match = match("POST", oracle[0].rstrip("/"))
    try:
        ours = classify_path("POST", raw)[0]
    except PathError:
        return  # refused (e.g. a decoded control character): nothing reaches Mattermost
    if go_match.kind == "content":
        assert ours.kind in ("content", "denied")
        assert ours.route == go_match.route
    assert ours.kind not in ("passthrough", "no_content") or go_match.kind in ("passthrough", "no_content")


_SEGMENTS = st.sampled_from([
    "api", "v4", "posts", "users", "me", "typing", "files", "channels", "hooks", "plugins", "search",
    "patch", "uploads", "commands", "x", "abcdefghijklmnopqrstuvwxyz", ".", "..", "", " ..", ".. ", "%20..",
    "%2e%2e", "%252e%252e", "%2F", "%2f..", "\\..", ";x", "..;", "%09..", "%C2%85..", "\u00a0..", "%E3%80%80..",
    "POSTS", "Posts", "%70osts", "%2570osts", "posts%20", "..%2F", "view", "mark_read", "members", "ids", "schedule",
])


@settings(max_examples=4000, deadline=None)
@given(st.lists(_SEGMENTS, min_size=1, max_size=9), st.booleans(), st.sampled_from(["POST", "PUT"]))
def test_a_write_go_routes_to_content_is_never_judged_as_no_content(segs: list[str], slash: bool, method: str) -> None:
    raw = "/" + "/".join(segs) + ("/" if slash else "")
    oracle = go_oracle(raw)
    try:
        ours = classify_path(method, raw)[0]
    except PathError:
        return  # refused: nothing reaches Mattermost
    assert oracle is not None, "Go refuses this path (400); so must we"
    decoded, served = oracle
    # the route Go matches: decoded path as is (handlers run only on clean paths);
    # the route table is lower-case, Go is case-sensitive: matching lower-case
    # only finds more routes, never fewer
    go_match = match(method, decoded.lower().rstrip("/") or "/") if served else None
    if go_match is not None and go_match.kind == "content":
        assert ours.kind in ("content", "denied"), (raw, decoded, ours)
        if ours.kind == "content":
            assert ours.route == go_match.route, (raw, decoded, ours)
    if go_match is not None and go_match.kind == "unknown_write":
        assert ours.kind in ("content", "denied", "unknown_write"), (raw, decoded, ours)
