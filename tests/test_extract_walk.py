"""``extract.walk_json`` reads a string, integer, boolean or null child in the loop over
its parent, and ``go_struct_fields`` searches for a path's keys to clear only under the
paths it read as objects: both against the readings they replaced (copied below)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway import extract
from dlp_proxy.gateway.extract import (
    MAX_ITEMS,
    MAX_JSON_DEPTH,
    BodyError,
    ContentItem,
    Extracted,
    go_field_name,
    go_json_decode,
    go_struct_fields,
    key_may_hold_number,
    walk_json,
)
from dlp_proxy.model import ItemKind


def _reference_go_fields(doc: Any, prefix: str, fields: dict[str, str], depth: int) -> None:
    if depth >= extract._FIELD_DEPTH or not isinstance(doc, dict):
        return
    pairs = getattr(doc, "order", None)
    for key, value in pairs if pairs is not None else doc.items():
        path = f"{prefix}.{go_field_name(str(key))}" if prefix else go_field_name(str(key))
        if isinstance(value, str):
            fields[path] = value
        elif isinstance(value, dict):
            fields.pop(path, None)
            _reference_go_fields(value, path, fields, depth + 1)
        elif value is None:
            sub = path + "."
            for k in [k for k in fields if k.startswith(sub)]:
                del fields[k]
        else:
            fields.pop(path, None)
            sub = path + "."
            for k in [k for k in fields if k.startswith(sub)]:
                del fields[k]


def _reference_walk(
    doc: Any, prefix: str, out: Extracted, *, depth: int = 0, loc: tuple[str | int, ...] = ()
) -> None:
    if depth == 0 and isinstance(doc, dict) and "#" not in prefix and "~" not in prefix:
        fields: dict[str, str] = {}
        _reference_go_fields(doc, prefix, fields, 0)
        for k, v in fields.items():
            out.fields.setdefault(k, v)
    if depth > MAX_JSON_DEPTH:
        raise BodyError("JSON nested too deeply")
    if len(out.items) > MAX_ITEMS:
        raise BodyError("too many values in the body", 413)
    if isinstance(doc, str):
        if doc:
            out.items.append(ContentItem(prefix, doc))
            if loc:
                out.json_locations[prefix] = loc
        return
    if isinstance(doc, bool) or doc is None:
        return
    if isinstance(doc, int):
        out.items.append(ContentItem(prefix, str(doc)))
        return
    if isinstance(doc, float):
        out.items.append(ContentItem(prefix, json.dumps(doc)))
        return
    if isinstance(doc, dict):
        for key, value in doc.items():
            key_s = str(key)
            if key_may_hold_number(key_s):  # a digit, or what the detector reads as one (atk27 A)
                out.items.append(ContentItem(f"{prefix}{{key}}", key_s, ItemKind.KEY))
            child = f"{prefix}.{key_s}" if prefix else key_s
            _reference_walk(value, child, out, depth=depth + 1, loc=(*loc, key_s))
        for i, (key, value) in enumerate(getattr(doc, "shadowed", ())):
            _reference_walk(value, f"{prefix}.{key}#dup{i}", out, depth=depth + 1, loc=())
        return
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            _reference_walk(value, f"{prefix}[{i}]", out, depth=depth + 1, loc=(*loc, i))
        return


def _read(fn: Any, doc: Any, prefix: str = "body") -> tuple[Any, ...]:
    out = Extracted()
    try:
        fn(doc, prefix, out)
    except BodyError as exc:
        return ("error", str(exc), exc.status, out.items, out.json_locations, out.fields)
    return (out.items, out.json_locations, out.fields)


_KEYS = st.sampled_from(
    [
        "message",
        "Message",
        "MESSAGE",
        "channel_id",
        "Channel_ID",
        "props",
        "Props",
        "metadata",
        "file_ids",
        "k1",
        "a",
        "dlp_x",
        "\u212aey",
        "root_id",
        "p.q",
        "",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(["", "536", "x"]),
)
_JSON = st.recursive(
    _SCALARS,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4),
        st.lists(st.tuples(_KEYS, kids), max_size=5)
        .map(lambda ps: "{" + ",".join(json.dumps(k) + ":" + json.dumps(v) for k, v in ps) + "}")
        .map(lambda t: go_json_decode(t)[0]),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_walk_json_is_the_reading_it_replaced(doc: Any) -> None:
    assert _read(walk_json, doc) == _read(_reference_walk, doc)
    fields: dict[str, str] = {}
    _reference_go_fields(doc, "body", fields, 0)
    assert go_struct_fields(doc, "body") == fields


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_KEYS, _SCALARS), max_size=6), st.integers(1, 4))
def test_duplicate_keys_and_nulls_give_the_same_fields(pairs: list[tuple[str, Any]], times: int) -> None:
    text = (
        "{"
        + ",".join(
            [
                json.dumps(k)
                + ":"
                + (json.dumps({"channel_id": "c", "x": {"y": "z"}}) if n % times == 0 else json.dumps(v))
                for n, (k, v) in enumerate(pairs)
            ]
        )
        + "}"
    )
    doc, _ = go_json_decode(text)
    assert _read(walk_json, doc) == _read(_reference_walk, doc)


def test_the_depth_and_item_limits_apply_to_every_child() -> None:
    for depth in (MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1):
        for leaf in ("s", 5, None, True, [], {}, 1.5):
            doc: Any = leaf
            for n in range(depth):
                doc = {"k": doc} if n % 2 else [doc]
            assert _read(walk_json, doc) == _read(_reference_walk, doc)
    for leaf in ("s", 7, None, False):
        for container in (
            lambda v: [v] * (MAX_ITEMS + 3),
            lambda v: {f"k{i}": v for i in range(MAX_ITEMS + 3)},
        ):
            doc = container(leaf)
            assert _read(walk_json, doc) == _read(_reference_walk, doc)


def _reference_carries(doc: Any, depth: int = 0) -> bool:
    from dlp_proxy.gateway.ownprops import _MAX_DEPTH, _pairs, is_reserved

    if depth > _MAX_DEPTH:
        return False
    if isinstance(doc, list):
        return any(_reference_carries(v, depth + 1) for v in doc)
    if not isinstance(doc, dict):
        return False
    for key, value in _pairs(doc):
        if (
            go_field_name(str(key)) == "props"
            and isinstance(value, dict)
            and any(is_reserved(str(k)) for k, _ in _pairs(value))
        ):
            return True
        if _reference_carries(value, depth + 1):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(_JSON, st.integers(0, 20))
def test_a_reserved_prop_is_found_where_it_was(doc: Any, depth: int) -> None:
    from dlp_proxy.gateway.ownprops import _carries

    for d in (doc, {"Props": {"dlp_x": 1}, "k": doc}, [doc, {"props": doc}]):
        wrapped = d
        for _ in range(depth):
            wrapped = {"props": wrapped} if depth % 2 else [wrapped]
        assert _carries(wrapped) == _reference_carries(wrapped)
