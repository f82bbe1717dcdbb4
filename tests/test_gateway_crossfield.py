"""Context across the fields of one request (findings 4), in process: the real
detector, the real pipeline, a policy that blocks SSNs and redacts nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.pipeline import (
    CrossFieldText,
    JoinedText,
    _parent_object,
    _structural,
    key_words,
    split_piece,
)
from dlp_proxy.model import ContentItem, ItemKind, ScannedItem
from dlp_proxy.policy.testing import SSN
from tests.inprocess import judge

DIGITS = SSN.replace("-", "")
CHANNEL = "y7kk5cjibi194smnz58ymwypmh"
POLICY = """
schema: 1
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN, US_BANK_NUMBER]}
"""


@pytest.fixture(scope="module")
def detector() -> Any:
    from dlp_proxy.detect import build_detector

    return build_detector(None, ner=False)


def _verdict(detector: Any, body: Any) -> Any:
    return judge(detector, body, policy_text=POLICY)


def _post(**props: Any) -> dict[str, Any]:
    return {"channel_id": CHANNEL, "message": props.pop("message", "see below"), "props": props,
            "pending_post_id": "5k6t5qgumkaunbt8j7o9dxhzxy:1733300000000"}


def test_a_title_labels_the_value_of_its_field(detector: Any) -> None:
    bare, _ = _verdict(detector, _post(attachments=[{"fields": [{"title": "Reference", "value": DIGITS}]}]))
    assert bare.forward
    v, records = _verdict(detector, _post(attachments=[{"fields": [{"title": "SSN", "value": DIGITS}]}]))
    assert not v.forward
    (finding,) = [f for f in records[-1]["findings"] if f["entity_type"] == "US_SSN"]
    assert "cross-field-context" in finding["transforms"]


def test_a_number_value_and_a_multiline_field(detector: Any) -> None:
    v, _ = _verdict(detector, _post(attachments=[{"pretext": "client social security numbers",
                                                  "fields": [{"title": "a", "value": int(DIGITS)}]}]))
    assert not v.forward
    v, _ = _verdict(detector, _post(message="ssn list attached",
                                    attachments=[{"text": f"first line\nsecond\n{DIGITS}\nlast"}]))
    assert not v.forward


def test_structural_fields_get_no_label(detector: Any) -> None:
    # "account" in the message; pending_post_id's millisecond timestamp is no account number
    v, _ = _verdict(detector, _post(message="account review done", custom_at=1733300000000))
    assert v.forward
    assert _structural("body.pending_post_id") and _structural("body.props.custom_at")
    assert _structural("body.props.attachments[0].id") and not _structural("body.props.attachments[0].fields[0].value")


def test_labelled_text_maps_back_to_the_field() -> None:
    aug = CrossFieldText()
    aug.add(3, f"no digits here\nref {DIGITS} ok", "ssn")
    text = aug.text()
    at = text.index(DIGITS)
    assert aug.locate(at, at + 9) == (3, len("no digits here\nref "), len("no digits here\nref ") + 9)
    assert text.startswith("no digits here\nssn: ref ")  # only lines with digits are labelled
    label_at = text.index("ssn: ")
    assert aug.locate(label_at, label_at + 3) is None  # a finding in the label is no finding of the field
    assert aug.locate(0, 3) == (3, 0, 3)


def test_the_split_piece_keeps_head_and_tail() -> None:
    items = [ScannedItem(ContentItem("body.message", "a" * 300 + " 536-22 " + "b" * 300 + " 8710"), ()),
             ScannedItem(ContentItem("body.pending_post_id", "u:1733300000000"), ()),
             ScannedItem(ContentItem("body.props.x", "brb 2 min"), ())]
    piece = split_piece(items, 256)
    assert piece.endswith(" 8710") and "1733300000000" not in piece and "brb 2 min" not in piece


def test_a_file_enters_the_split_window_only_as_a_fragment() -> None:
    short = ScannedItem(ContentItem("file[0]", "part two: 8710", ItemKind.FILE), ())
    blotter = ScannedItem(ContentItem("file[0]", "id,qty\n" + "10131,500\n" * 100 + "total,50000", ItemKind.FILE), ())
    # a piece enters as its reading, number words as digits (words.split_reading)
    assert split_piece([short], 256) == "part 2: 8710"
    assert split_piece([blotter], 256) == ""


# --------------------------------------------------------------------------- key names as context


def _blocked_for(records: list[dict[str, Any]], entity: str = "US_SSN") -> bool:
    return any(f["entity_type"] == entity for f in records[-1]["findings"])


@pytest.mark.parametrize("props", [
    {"ssn": DIGITS},
    {"ssn": int(DIGITS)},                       # a JSON number: Mattermost keeps props as given
    {"client_ssn": DIGITS},
    {"clientSSN": DIGITS},
    {"ssn": {"value": DIGITS}},                 # the key of an enclosing object
    {"ssn": "on file", "ref": DIGITS},          # a sibling's key names the object
    {"ssn_parts": [536, 22, 8710]},             # split across an array's elements
    {"\uff33\uff33\uff2e": DIGITS},                # full-width key
    {"\U0001d42c\U0001d42c\U0001d427": DIGITS},     # mathematical bold
    {"\ua731\ua731\u0274": DIGITS},                # small capitals
    {"\u0455\u0455n": DIGITS},                      # Cyrillic look-alikes
])
def test_a_key_name_is_context(detector: Any, props: dict[str, Any]) -> None:
    v, records = _verdict(detector, _post(message="see props", **props))
    assert not v.forward, props
    assert _blocked_for(records)


def test_a_split_across_array_elements_with_the_message_as_context(detector: Any) -> None:
    v, records = _verdict(detector, _post(message="ssn", x=[536, 22, 8710]))
    assert not v.forward
    (finding,) = [f for f in records[-1]["findings"] if f["entity_type"] == "US_SSN"]
    assert "cross-field-joined" in finding["transforms"]


def test_routing_and_account_in_two_fields_of_one_object(detector: Any) -> None:
    v, records = _verdict(detector, _post(routing_number="011000015", account_number="4839201746"))
    assert not v.forward
    assert _blocked_for(records, "US_BANK_NUMBER")


@pytest.mark.parametrize("props", [
    {"count": int(DIGITS)},                     # a bare 9-digit number under a key that is no context word
    {"count": DIGITS, "total": 12},
    {"x": [536, 22, 8710]},                     # a series of numbers, no context anywhere
    {"ssn_checked_at": 1733300000000},          # a timestamp is structural whatever its key
    {"ssn_id": "5k6t5qgumkaunbt8j7o9dxhzxy"},
])
def test_look_alikes_pass(detector: Any, props: dict[str, Any]) -> None:
    v, records = _verdict(detector, _post(message="weekly totals", **props))
    assert v.forward, (props, records[-1]["findings"])


def test_key_words_and_parent_objects() -> None:
    assert key_words("body.props.client_ssn") == "props client ssn"
    assert key_words("body.data.accountNumber2") == "data account number"
    assert key_words("body.props.x[2]") == "props x"
    assert key_words("body.props.ssn#dup0") == "props ssn"
    assert _parent_object("body.props.x[2]") == "body.props"
    assert _parent_object("body.props.attachments[0].fields[1].value") == "body.props.attachments[0].fields[1]"
    assert _parent_object("body.props{key}") == "body.props"


def test_joined_text_maps_single_leaves_back_and_keeps_groups_whole() -> None:
    j = JoinedText("body.props", "ssn")
    j.add(4, "body.props.a", "011000015")
    j.add(5, "body.props.x[0]", "536")
    j.add(6, "body.props.x[1]", "22")
    j.add(7, "body.props.long", "y" * 300)      # too long to join: labelled on its own
    text = j.text()
    assert text == "ssn props a: 011000015\nssn props x: 536 22\n"
    at = text.index("011000015")
    assert j.locate(at, at + 9) == (4, 0, 9)
    at = text.index("536 22")
    assert j.locate(at, at + 6) is None and j.spans_values(at, at + 6)
    assert not j.spans_values(0, 3)             # the label is no value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["ssn", "client_ssn", "clientSSN", "social-security", "SSN2"]),
       wrap=st.sampled_from(["str", "int", "nested", "sibling", "array"]),
       noise=st.dictionaries(st.sampled_from(["count", "total", "note", "status"]),
                             st.one_of(st.integers(0, 10**6), st.text("abc ", max_size=12)), max_size=3))
def test_property_an_ssn_under_an_ssn_key_is_stopped_whatever_its_shape(
        detector: Any, key: str, wrap: str, noise: dict[str, Any]) -> None:
    value: Any = {"str": DIGITS, "int": int(DIGITS), "nested": {"value": DIGITS},
                  "sibling": "on file", "array": [536, 22, 8710]}[wrap]
    props: dict[str, Any] = {**noise, key: value}
    if wrap == "sibling":
        props["ref"] = DIGITS
    v, records = _verdict(detector, _post(message="see props", **props))
    assert not v.forward and _blocked_for(records), props


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["count", "total", "qty", "amount_cents", "seq_no", "views"]),
       number=st.integers(100_000_000, 999_999_999))
def test_property_a_bare_nine_digit_number_under_a_plain_key_passes(detector: Any, key: str, number: int) -> None:
    v, records = _verdict(detector, _post(message="weekly totals", **{key: number}))
    assert v.forward, (key, records[-1]["findings"])


def test_the_joined_reading_is_bounded_by_a_refusal_not_a_weaker_inspection(
        detector: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dlp_proxy.gateway import pipeline as pipeline_module

    # many short leaves under a context key: within the bound, read joined and clean
    props = {f"acct_{i}": f"note {i}" for i in range(60)}
    v, _ = _verdict(detector, _post(message="account review", **props))
    assert v.forward
    monkeypatch.setattr(pipeline_module, "CROSS_FIELD_MAX_TOTAL", 500)
    v, _ = _verdict(detector, _post(message="account review", **props))
    assert not v.forward and v.response is not None and v.response[0] == 413



#: pieces of texts with a few digits: digits in every form the engine reads (ASCII,
#: Arabic-Indic, superscript, parenthesized, full-width, CJK, a shortcode, escapes, a
#: number word), and filler that makes a field longer than a joined leaf's part
_FEW_DIGIT_TEXT = st.lists(st.sampled_from(list("ab ssn:-&%;#xX") + ["1", "5", "\u0663", "\u00b2", "\u2474", "\uff15",
                                                                    ":one:", "&#53;", "%35", "five", "\u5341",
                                                                    "z" * 120]),
                           max_size=10).map("".join)


@settings(max_examples=300, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(["message", "props.ssn", "props.account", "props.a", "props.note",
                                               "props.attachments[0].fields[0].value",
                                               "props.attachments[0].fields[0].title"]),
                              _FEW_DIGIT_TEXT, min_size=1, max_size=6),
       file_text=st.one_of(st.none(), _FEW_DIGIT_TEXT))
def test_property_the_few_digits_shortcut_skips_only_what_cross_field_would_not_read(
        fields: dict[str, str], file_text: str | None) -> None:
    """``_cross_field`` returns early when ``_few_digits`` says so; it may only when no
    field is a target (4 digits or more, as ``normalized_digits`` counts them) and no
    object's fields hold 4 or more together in their joined parts."""
    from dlp_proxy.gateway.pipeline import JOIN_MAX_LEAF_CHARS, _few_digits, normalized_digits

    scanned = [ScannedItem(ContentItem(f"body.{k}", v), ()) for k, v in fields.items()]
    if file_text is not None:
        scanned.append(ScannedItem(ContentItem("file[0]", file_text, ItemKind.FILE), ()))
    texts = [i for i, s in enumerate(scanned) if s.item.text]
    if not _few_digits(scanned, texts):
        return
    fields_read = [scanned[i].item for i in texts if scanned[i].item.kind is not ItemKind.FILE]
    assert all(normalized_digits(item.text) < 4 for item in fields_read)
    groups: dict[str, int] = {}
    for item in fields_read:
        group = _parent_object(item.path)
        groups[group] = groups.get(group, 0) + normalized_digits(item.text[:JOIN_MAX_LEAF_CHARS])
    assert all(n < 4 for n in groups.values())


_WORDS = ("one", "two", "three", "eleven", "twenty", "hundred", "zero", "fünf", "zéro", "três", "nine", "seven",
          "th**ree", "o:ne", ":one:", ":two:", "f_our", "six", "<b>", "&amp;", "%20")


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(alphabet="aeinorstuvwxyzABEFNOST0123 .-:*_~`<&%\\;#",
                                                            max_size=12)), max_size=12))
@example(parts=["&amp;", "0"])  # found by the full run: the escape decoded exposes a digit
@example(parts=["\\char", "53"])
def test_the_short_digit_count_counts_what_the_full_one_does(parts):
    """``normalized_digits`` skips ``rendered_digits`` for ASCII with no colon, markup
    or number word: never where that would have added a digit."""
    from dlp_proxy.detect.normalize import rendered_digits
    from dlp_proxy.gateway.pipeline import _ASCII_DIGITS, normalized_digits

    for text in ("".join(parts), " ".join(parts), " ".join(parts).upper()):
        full = sum(map(text.count, _ASCII_DIGITS)) + 2 * text.count("&") + text.count("%")
        if text.isascii():
            assert normalized_digits(text) == full + rendered_digits(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.integers(1, 40))
def test_a_remembered_digit_count_is_the_count(text, times):
    """A short text's ``normalized_digits`` is remembered (``_short_digits``): the same
    as counting it afresh, at any length around the cache's bound, any number of times."""
    from dlp_proxy.gateway.pipeline import DIGITS_CACHE_CHARS, _count_digits, normalized_digits

    for t in (text, (text * times)[:DIGITS_CACHE_CHARS], (text * 200)[:DIGITS_CACHE_CHARS + 1]):
        assert normalized_digits(t) == _count_digits(t) == normalized_digits(t)


# --------------------------------------------------------------------------- the split window's entries


class _Context:
    """A ContextResolver that knows one user and one channel (no Redis, no Mattermost)."""

    fallback_token: str | None = None  # no gateway token: mentions, permalinks and files are not read
    upstream = None

    async def user(self, token: str) -> Any:
        from dlp_proxy.gateway.context import UserInfo

        return UserInfo("u" * 26, "mallory", ("system_user",), False)

    async def channel(self, channel_id: str, token: str | None = None) -> Any:
        from dlp_proxy.gateway.context import ChannelInfo
        from dlp_proxy.model import ChannelType

        return ChannelInfo(channel_id, "town-square", ChannelType.OPEN, "t" * 26, False)

    async def post_channel_id(self, post_id: str, token: str | None = None) -> str | None:
        return None


class _Window:
    max_chars = 256

    def __init__(self) -> None:
        self.pieces: list[str] = []

    async def add(self, user: str, where: str, piece: str, scanner: Any, post_id: str | None = None,
                  thread: str | None = None, send_at: float | None = None, recent: bool = False,
                  words: Any = ()) -> Any:
        from dlp_proxy.policy.split import Added

        self.pieces.append(piece)
        return Added("w", b"", [])

    async def withdraw(self, added: Any) -> None:
        pass


@pytest.mark.parametrize(("message", "enters"), [
    (f"ssn {DIGITS[:3]}-{DIGITS[3:5]}-{DIGITS[5:]} and the next one starts 536-22", False),  # blocked on its own
    ("the next one starts 536-22", True),  # allowed: a piece of what may follow
])
def test_a_request_blocked_on_its_own_findings_never_enters_the_split_window(
        detector: Any, message: str, enters: bool) -> None:
    """Its piece would be withdrawn once decided; until then other people's posts in the
    channel would be joined with it and stopped (attack pass: identifier-dense posts got
    clean posts of others blocked)."""
    import asyncio

    from dlp_proxy.gateway.pipeline import GatewayConfig, GatewayRequest, Pipeline
    from dlp_proxy.policy.testing import policy_from
    from tests.inprocess import ListArchive

    policy = policy_from(POLICY)
    window = _Window()
    pipeline = Pipeline(detector=detector, policy=lambda: policy, archive=ListArchive(), context=_Context(),  # type: ignore[arg-type]
                        quarantine=None, hash_key=b"k" * 32, config=GatewayConfig(), split_window=window)
    import json

    body = json.dumps({"channel_id": "c" * 26, "message": message}).encode()
    req = GatewayRequest("POST", "/api/v4/posts", {"content-type": "application/json",
                                                   "authorization": "Bearer " + "x" * 26}, body)
    verdict = asyncio.run(pipeline.handle(req))
    assert verdict.forward is enters
    assert bool(window.pieces) is enters, window.pieces


_WORDS = st.sampled_from(["one", "zero", "vingt", "drei", "someone", "maintenance", "due", "lunch", "cinq", "osiem",
                          "noon", " ", ",", "x"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_WORDS, st.text(st.characters(max_codepoint=127), max_size=6)), max_size=12))
def test_the_number_word_scan_finds_what_the_trigger_regex_finds(parts: list[str]) -> None:
    """normalized_digits' shortcut for ASCII text: the Hyperscan pass (where installed) and
    the regex of every trigger word agree on whether a text holds a number word."""
    import re as _re

    from dlp_proxy.detect.words import _triggers
    from dlp_proxy.gateway.pipeline import _has_number_word

    text = "".join(parts).lower()
    every = _re.compile("|".join(_re.escape(w) for w in _triggers()))
    assert _has_number_word()(text) is (every.search(text) is not None)


def test_a_routing_number_in_the_message_and_an_account_in_an_attachment_are_stopped(detector: Any) -> None:
    """Attack pass 6, C4: the two parts of a wire instruction in two fields of one post as
    it is shown, under the shipped policy."""
    from pathlib import Path

    shipped = (Path(__file__).resolve().parents[1] / "config" / "policy.yaml").read_text()
    body = _post(message="wire details for Bob: ABA 021000021", attachments=[{"text": "credit 483920117"}])
    v, records = judge(detector, body, policy_text=shipped)
    assert not v.forward
    assert _blocked_for(records, "US_BANK_NUMBER")
    clean = _post(message="wire details for Bob: ABA 021000021", attachments=[{"text": "call me after 4pm"}])
    assert judge(detector, clean, policy_text=shipped)[0].forward


# ---------------------------------------------------------------- a file's name and its content

def _upload(detector: Any, name: str, content: str) -> tuple[Any, list[dict[str, Any]]]:
    from tests.inprocess import judge_bytes

    b = "dlpBoundary7"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\n{CHANNEL}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n{content}\r\n--{b}--\r\n").encode()
    return judge_bytes(detector, body, f"multipart/form-data; boundary={b}", policy_text=POLICY, path="/api/v4/files")


def test_an_ssn_split_between_a_files_name_and_its_content_is_stopped(detector: Any) -> None:
    """Attack pass 6, C8: Mattermost shows the name above the file's preview."""
    v, records = _upload(detector, "Smith 702-31.txt", "ends 4419")
    assert not v.forward
    assert _blocked_for(records, "US_SSN")
    assert _upload(detector, "Smith report.txt", "ends 4419")[0].forward
    assert _upload(detector, "Smith 702-31.txt", "all clear")[0].forward


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(1, len(SSN) - 1), label=st.sampled_from(["", "Smith ", "client ssn "]),
       ext=st.sampled_from([".txt", ".csv", ""]), after=st.sampled_from(["", " thanks", " (last four)"]))
def test_property_an_ssn_cut_anywhere_between_name_and_content_is_stopped(detector: Any, cut: int, label: str,
                                                                          ext: str, after: str) -> None:
    head, tail = SSN[:cut], SSN[cut:]
    v, _ = _upload(detector, f"{label}{head}{ext}", f"{tail}{after}")
    assert not v.forward, (head, tail)


_LABEL_TEXT = st.lists(st.sampled_from(["ssn", "account", "routing", "acct no", "client", " ", "\n", "536", "22",
                                        "8710", "4471902283", "011000015", "x" * 30, "taxpayer id"]),
                       max_size=8).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(["message", "props.ssn", "props.account", "props.a", "props.note",
                                               "props.list[0]", "props.list[1]", "props.obj.x", "props.obj.y",
                                               "props.attachments[0].fields[0].value",
                                               "props.attachments[0].fields[0].title"]),
                              _LABEL_TEXT, min_size=1, max_size=6),
       channel_terms=st.lists(st.sampled_from(["ssn", "account"]), max_size=1))
def test_property_context_words_read_only_where_they_label_give_the_same_findings(
        detector: Any, monkeypatch: pytest.MonkeyPatch, fields: dict[str, str], channel_terms: list[str]) -> None:
    """``_cross_field`` reads a field's context words only when a reading of another
    field, object or the post as shown takes them (``_labels_other_fields``): the same
    findings as reading every field's words."""
    import asyncio

    from dlp_proxy.gateway import pipeline as pipeline_module
    from dlp_proxy.gateway.pipeline import Pipeline

    scanned = [ScannedItem(ContentItem(f"body.{k}", v), ()) for k, v in fields.items()]
    pipeline = Pipeline(detector=detector, policy=lambda: None, archive=None, context=None,  # type: ignore[arg-type]
                        quarantine=None, hash_key=b"h" * 32)
    try:
        def run() -> list[ScannedItem]:
            return asyncio.run(pipeline._cross_field(list(scanned), None, None, channel_terms))

        lazy = run()
        with monkeypatch.context() as m:
            m.setattr(pipeline_module, "_labels_other_fields", lambda texts, *_: set(texts))
            eager = run()
    finally:
        pipeline.scan_pool.shutdown()
    assert lazy == eager


def test_the_decision_record_lists_every_finding_with_its_field_and_counts(detector: Any) -> None:
    """``Pipeline._record`` reads each item's path once and counts as it lists: the same
    findings, fields and counts as the decision's own (``Decision.findings``,
    ``entity_counts``), for findings in several fields."""
    numbers = " ".join(f"ssn {SSN[:-1]}{i}" for i in range(10))
    v, records = _verdict(detector, _post(message=numbers, client_ssn=f"{SSN[:-1]}3", note="ssn " + SSN))
    assert not v.forward and v.decision is not None
    record = records[-1]
    decision = v.decision
    assert record["entity_counts"] == decision.entity_counts()
    assert sum(record["entity_counts"].values()) == len(record["findings"]) == len(decision.findings) > 10
    assert [(f["path"], f["entity_type"], f["start"], f["end"]) for f in record["findings"]] == [
        (p, f.entity_type, f.start, f.end) for p, f in decision.findings]
    assert record["entity_types"] == sorted(decision.entity_counts())


def _upload_files(detector: Any, files: list[tuple[str, str]]) -> tuple[Any, list[dict[str, Any]]]:
    from tests.inprocess import judge_bytes

    b = "dlpBoundary7"
    body = f"--{b}\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\n{CHANNEL}\r\n"
    for name, content in files:
        body += (f"--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
                 f"Content-Type: text/plain\r\n\r\n{content}\r\n")
    return judge_bytes(detector, (body + f"--{b}--\r\n").encode(), f"multipart/form-data; boundary={b}",
                       policy_text=POLICY, path="/api/v4/files")


def test_an_ssn_split_between_two_file_names_is_stopped(detector: Any) -> None:
    """Attack pass 7, D5: a post shows its files' names side by side."""
    # read as the split window reads two posts: the writer's separator is repeated at the join
    assert not _upload_files(detector, [("Lee 536-22.txt", "notes"), ("8710.txt", "more notes")])[0].forward
    assert not _upload_files(detector, [("Smith 536-22.txt", "a"), ("-8710.txt", "b")])[0].forward
    assert _upload_files(detector, [("Lee 536.txt", "notes"), ("minutes.txt", "more notes")])[0].forward


def test_a_file_name_enters_the_split_window_without_its_extension() -> None:
    """Attack pass 7, D5: "Jones 618-40.txt" uploaded, then a post "ends 3321": the
    window joins the name's stem with the post (the extension ended the piece on a dot)."""
    item = ScannedItem(ContentItem("files[0].name", "Jones 536-22.txt", ItemKind.FILENAME), ())
    assert split_piece([item], 256) == "Jones 536-22"
