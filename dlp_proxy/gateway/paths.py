"""Request-path normalization: one canonical spelling before any route matching.

An attacker who can make the gateway and Mattermost disagree about which route a
request is for can walk content past inspection.  Mattermost (gorilla/mux behind
Go's net/http) cleans paths: it decodes percent-escapes, collapses ``//`` and
resolves ``.``/``..`` (redirecting GETs, serving others on the cleaned path in
some versions).  So the gateway matches on the *most decoded* reading:

- percent-decoding is applied repeatedly until stable (bounded), so ``%252F``
  cannot hide a slash from us while meaning something else upstream;
- backslashes are treated as slashes;
- duplicate slashes collapse, dot segments resolve (never above the root);
- the trailing slash is dropped; matching is case-insensitive (the
  route table is lower-case; ids are case-insensitive base32 in Mattermost).

The request is then *forwarded* with its original path: normalization only
decides which rules apply, it never rewrites what Mattermost receives.
Paths carrying NUL or other control characters are rejected outright.
"""

from __future__ import annotations

from urllib.parse import unquote

MAX_DECODE_ROUNDS = 4
MAX_PATH_LENGTH = 8192


class PathError(ValueError):
    """The path cannot be interpreted safely; the request must be refused (400)."""


def split_target(target: str) -> tuple[str, str]:
    """Split a request target into (path, query) without decoding."""
    path, _, query = target.partition("?")
    # a fragment never reaches a server, but a hostile client can still send one
    path = path.split("#", 1)[0]
    return path, query


def normalize_path(raw_path: str) -> str:
    """Canonical lower-case path used for route matching (see module docstring)."""
    if len(raw_path) > MAX_PATH_LENGTH:
        raise PathError("path too long")
    path = raw_path
    for _ in range(MAX_DECODE_ROUNDS):
        decoded = unquote(path, errors="strict") if "%" in path else path
        if decoded == path:
            break
        path = decoded
    else:
        if "%" in path and unquote(path) != path:
            raise PathError("path is percent-encoded too many times")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise PathError("control character in path")
    path = path.replace("\\", "/")
    # Strip matrix parameters (";x=y"): some servers ignore them, so must we.
    segments: list[str] = []
    for segment in path.split("/"):
        # strip before the empty check: Unicode whitespace (e.g. U+0085) around a
        # slash must not leave an empty segment behind ("//", a trailing "/")
        segment = segment.split(";", 1)[0].strip()
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return ("/" + "/".join(segments)).lower()
