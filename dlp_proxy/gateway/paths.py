"""Request paths as Mattermost reads them, and every other plausible reading.

An attacker who can make the gateway and Mattermost disagree about which route a
request is for can walk content past inspection.  How Mattermost reads a path
(server/channels/app/server.go: ``http.Server{Handler: RootRouter}`` wrapped only
by CORS/rate-limit/Sentry handlers, ``RootRouter = mux.NewRouter()`` with neither
``SkipClean`` nor ``UseEncodedPath``):

1. Go's net/http parses the request target with ``url.ParseRequestURI``: the
   path is percent-decoded **once** (``%2F`` becomes ``/``; an invalid escape or
   a control character is a 400); nothing else is done to it.
2. gorilla/mux ``Router.ServeHTTP``: if ``cleanPath(path) != path`` (``cleanPath``
   is Go's ``path.Clean`` that keeps a trailing slash) it answers 301 to the
   cleaned path and runs **no** handler; otherwise it matches route templates
   against the decoded path, case-sensitively, ``/`` separating segments; a
   backslash, a space or ``;`` are ordinary characters of a segment.

``go_path`` is that reading exactly (step 1 and ``cleanPath``).  The gateway does
not bet on one reading: ``readings`` returns the Go reading and the *most decoded*
reading (percent-decoding repeated until stable, backslashes as slashes, ``;``
parameters dropped: what a front proxy or another server might do), both
lower-cased and without a trailing slash (the route table is lower-case).  The
pipeline classifies every reading and applies the most inspected result; two
readings naming different content routes are refused (dlp_proxy.gateway.pipeline
``Pipeline.classify``).  No reading trims whitespace before resolving dot
segments: ``" .."`` is a segment named space-dot-dot for Go, not a parent step,
so trimming it first would resolve a path Mattermost routes to a content
handler into a different, uninspected one (issue 14, class 6).

The request is *forwarded* with its original path: normalization only decides
which rules apply, it never rewrites what Mattermost receives.  Paths carrying
NUL or other control characters (raw or percent-encoded) are rejected outright.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_to_bytes

MAX_DECODE_ROUNDS = 4
MAX_PATH_LENGTH = 8192

#: Go's url.unescape (mode encodePath): '%' must be followed by two hex digits
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: a path every reading leaves as it is (but for case and the trailing slash)
_PLAIN = re.compile(r"(?:/[A-Za-z0-9_\-]+)+/?|/")


class PathError(ValueError):
    """The path cannot be interpreted safely; the request must be refused (400)."""


def split_target(target: str) -> tuple[str, str]:
    """Split a request target into (path, query) without decoding, as Go's
    ``url.ParseRequestURI`` does (src/net/url/url.go ``parse`` with ``viaRequest``:
    ``strings.Cut(rest, "?")``): a ``#`` is no fragment on the server side, it stays
    in the path (or the query) it is written in.  ``check_target`` refuses it."""
    path, _, query = target.partition("?")
    return path, query


def check_target(target: str) -> None:
    """``PathError`` for a request target no client sends and that Go reads otherwise
    than a URL parser would: a raw ``#``.  Go's ``url.ParseRequestURI`` assumes there
    is no fragment and keeps ``#...`` in ``r.URL.Path`` (or in the raw query), so
    gorilla/mux's plugin route hands ``/plugins/<id>/note#client SSN ...`` to the
    plugin (atk21p F2); every browser and Mattermost client percent-encodes a ``#``
    it means (``%23``), and never sends a fragment."""
    if "#" in target:
        raise PathError("'#' in the request target")
    if _RAW_NOT_UTF8.search(target):
        # raw bytes that are not UTF-8 (mitmproxy hands them over as surrogate escapes):
        # Go keeps them in r.URL.Path as they are, every client percent-encodes them
        raise PathError("bytes in the request target that are not UTF-8")


#: a byte that is not UTF-8, as ``surrogateescape`` decodes it (mitmproxy's ``Request.path``)
_RAW_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def go_clean(path: str) -> str:
    """Go's ``path.Clean`` (lexical): collapse ``//``, drop ``.``, resolve ``..``
    (never above the root); ``""`` becomes ``"."``."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    dotdot = 0  # leading '..' kept for unrooted paths
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if len(out) > dotdot:
                out.pop()
            elif not rooted:
                out.append("..")
                dotdot += 1
            continue
        out.append(seg)
    cleaned = "/".join(out)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def mux_clean_path(path: str) -> str:
    """gorilla/mux ``cleanPath``: ``path.Clean`` on a rooted path, the trailing slash kept."""
    if path == "":
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    cleaned = go_clean(path)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


def go_path(raw_path: str) -> tuple[str, bool]:
    """(the path Mattermost's router matches, whether a handler runs at all).

    Decoded once, as Go's ``url.ParseRequestURI`` does (bytes that are not UTF-8
    are kept as surrogate escapes); the second value is False when gorilla/mux
    answers a redirect instead (the decoded path is not clean).  Raises
    ``PathError`` where Go's parser answers 400."""
    if len(raw_path) > MAX_PATH_LENGTH:
        raise PathError("path too long")
    check_target(raw_path)
    if _BAD_ESCAPE.search(raw_path):
        raise PathError("invalid percent-escape in path")
    if _has_control(raw_path):
        raise PathError("control character in path")
    decoded = unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape")
    return decoded, mux_clean_path(decoded) == decoded


def _untrailed(path: str) -> str:
    """No trailing slash (the route table's spelling; the case is kept)."""
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def _canonical(path: str) -> str:
    """Lower-case, no trailing slash (the route table's spelling)."""
    return _untrailed(path.lower())


def normalize_path(raw_path: str) -> str:
    """The most decoded reading, lower-case: percent-decoding repeated until
    stable (bounded), backslashes as slashes, ``;`` parameters dropped, dot
    segments resolved, empty segments and the trailing slash dropped."""
    return _most_decoded(raw_path).lower()


def _most_decoded(raw_path: str) -> str:
    """``normalize_path`` with the case kept."""
    if len(raw_path) > MAX_PATH_LENGTH:
        raise PathError("path too long")
    path = raw_path
    try:
        for _ in range(MAX_DECODE_ROUNDS):
            decoded = unquote(path, errors="strict") if "%" in path else path
            if decoded == path:
                break
            path = decoded
        else:
            if "%" in path and unquote(path) != path:
                raise PathError("path is percent-encoded too many times")
    except UnicodeDecodeError:
        raise PathError("percent-escapes in the path are not UTF-8") from None
    if _has_control(path):
        raise PathError("control character in path")
    path = path.replace("\\", "/")
    segments: list[str] = []
    for segment in path.split("/"):
        # Matrix parameters (";x=y"): some servers ignore them, so must we.  No
        # whitespace is trimmed: " .." is not "..", for Go or for us.
        segment = segment.split(";", 1)[0]
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


def spellings(raw_path: str) -> tuple[str, ...]:
    """``readings`` with the case kept (Mattermost's subpath is matched on them:
    gorilla/mux is case-sensitive)."""
    check_target(raw_path)
    if _PLAIN.fullmatch(raw_path):
        # nothing to decode, fold or resolve: every reading is this one
        return (_untrailed(raw_path),)
    go, _served = go_path(raw_path)
    # Go's reading, cleaned as mux would clean it (an unclean path is answered
    # with a redirect, never handled, but inspecting it costs nothing)
    out = [_untrailed(mux_clean_path(go))]
    most = _most_decoded(raw_path)
    if most not in out:
        out.append(most)
    trimmed = "/" + "/".join(s.strip() for s in most.split("/") if s.strip())
    if trimmed not in out:
        out.append(trimmed)
    return tuple(out)


def readings(raw_path: str) -> tuple[str, ...]:
    """Every canonical spelling the route table is matched against: Go's reading
    first, then the most decoded one when it differs, then that reading with
    whitespace trimmed around each segment *after* dot segments were resolved
    (a server that trims would see it; it only ever adds a reading)."""
    return tuple(dict.fromkeys(p.lower() for p in spellings(raw_path)))


def under_subpath(path: str, subpath: str) -> str | None:
    """``path`` (one of ``spellings``) as Mattermost's subrouter matches it, with the
    subpath taken off, or None when no route under the subpath can match it.

    app/server.go: ``s.Router = s.RootRouter.PathPrefix(subpath).Subrouter()``, the
    subpath being ``path.Clean`` of the SiteURL's path (utils/subpath.go
    GetSubpathFromConfig).  gorilla/mux matches it case-sensitively, on the decoded
    path; every route of the subrouter is the subpath followed by a route template
    that starts with ``/``, so ``/chatty/...`` or ``/CHAT/api/v4/posts`` reach no
    handler (the root router's NotFoundHandler redirects into the subpath; the
    subrouter's answers 404).  ``subpath`` is without its trailing slash."""
    if not subpath:
        return path
    if path == subpath:
        return "/"
    if path.startswith(subpath + "/"):
        return path[len(subpath):]
    return None
