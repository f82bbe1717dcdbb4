"""Normalization before detection, with an offset map back to the original text.

Evasions this undoes (each recorded as a *transform* name on the findings it
revealed, never with the value).  Which characters are affected comes from
Unicode's own tables (``unicodedata2``, the current Unicode character database rather
than the interpreter's older ``unicodedata``; the ``regex`` module's property tables and
the Unicode confusables data shipped in ``confusable_homoglyphs``), not from
hand-written lists:

- ``unicode-digits`` / ``fullwidth-digits`` / ``arabic-indic-digits`` /
  ``devanagari-digits``: every Unicode decimal digit (category Nd) becomes its
  ASCII digit;
- ``digit-forms``: every other character with a digit value (category No:
  circled, negative-circled, parenthesized, full-stop, superscript, subscript
  digits; ``unicodedata.digit``) becomes that ASCII digit, and numbers such as
  circled eleven (``unicodedata.numeric``, a whole number below 100) their digits;
- ``digit-pictographs``: a symbol whose picture shows a number without a Unicode
  numeric value (die faces, mahjong number tiles, dominoes, clock faces, playing cards:
  ``_pictograph_digits``, by Unicode name) becomes its digits, in the second reading
  (``normalize_lookalike``; the first reads it as a symbol, a separator);
- ``lookalike-digits``: ``normalize_lookalike``, the second reading of a text with a
  digit that looks like another digit (Bengali ``৪``, value 4, looks like ``8``: Unicode's
  confusables data, ``_lookalike_digits``), with the digit it looks like;
- ``lookalike-letters``: in the same reading, letters drawn as digits (``B`` 8, ``g`` 9,
  ``T`` 7, ``S`` 5, ``l`` 1, Cyrillic ``В`` ``З`` ``б``: ``_letter_digits``) in a run of whole
  tokens of digits and such letters, one of them glued to a digit, 7 to 34 long
  (``4012 BBBB BBBB 1BB1``, ``536-22-8T10``), or standing alone as a group among digit
  groups (``S-N-N-N-N-N-N-I-O``: ``_alone_letter_run``): ``_letter_digit_edits``;
- ``letter-punctuation``: a modifier letter (Lm) or a letter that looks like punctuation, a
  dash, a bar or a dot between two digits is a blank (``_punct_letters``: the confusables
  data followed transitively, ``ꞏ`` like ``·``, ``ㅡ`` like ``—``, ``丨`` like the CJK stroke
  ``㇑``; Unicode names such as ``ᐨ`` CANADIAN SYLLABICS FINAL SHORT HORIZONTAL STROKE; Hangul
  araea ``ㆍ``, a dot; and their other case, ``ⲻ``, and half-width forms), also with blanks
  around it or doubled (``536 ㅡ 22``, ``536ㅡㅡ22``);
- ``braille-digits``: the Braille number sign ``⠼`` and the cells a-j after it, digits; so are
  Nemeth code's lower cells after it (``⠼⠢⠒⠖`` 536: ``_NEMETH_DIGITS``);
- ``latex-macros``: TeX macros defined in the text (``\\def\\x{8}``) expanded;
- ``nfkc``: compatibility forms (full-width letters, odd spaces) folded;
- ``zero-width``: every Default_Ignorable_Code_Point (ZWSP, ZWNJ, ZWJ, word
  joiner, BOM, soft hyphen, variation selectors such as U+FE0F, the combining
  grapheme joiner U+034F, Hangul fillers, tag characters...) and every other
  format character (category Cf) dropped;
- ``combining-marks``: a combining mark (categories Mn, Me: accents, the keycap
  U+20E3, enclosing circles) next to a digit or an ASCII letter is dropped, so a
  keycap sequence ``5`` U+FE0F U+20E3 is the digit ``5``;
- ``confusable-letters``: a letter that Unicode's confusables data says looks
  like an ASCII letter or digit (Cyrillic ``А``, Greek ``Ο``...) is folded to it
  inside a token that also holds ASCII letters or digits (an IBAN with one
  Cyrillic letter) or has ASCII digits a few characters away (an IBAN group
  written wholly in look-alikes), unless it is a digit word (``5 три 6``: detect/words.py);
  other words in another script are left alone;
- ``enclosed-letters``: enclosed Latin letters NFKC keeps as symbols or brackets
  (negative circled/squared capitals ``🅶``, regional indicators ``🇬``, parenthesized
  ``🄶``) become their letter, by their Unicode name; a flag (two regional indicators)
  glued after a digit is a blank instead (``emoji-separators``: ``142🇺🇸486``);
- ``spelled-separators``: a separator written as a word between digit groups
  (``dash``, ``hyphen``, ``minus`` -> ``-``; ``slash`` -> ``/``; ``dot`` -> ``.``;
  ``then`` -> a space, not between two whole hundreds: quantities), and the labels of ``area 417 group 63 serial 2958``
  (dashes): the words show the writer means one number; an SSN's parts named by their
  place in any order (``serial 8710, group 22, area 536``, ``last 4 8710 middle 22 first
  536``: ``_positional_parts``) read ``AAA-GG-SSSS``;
- ``letter-separators`` also takes runs of letters between an exact shape's groups
  (``536abc22xyz8710``, ``536ab-22cd-8710``: ``_letter_run_edits``; hexadecimal letters
  only with an identifier label near or a checked shape: ``_hex_reads_as_id``), and ``inner-marks`` drops a mark inside a
  group (``53:6-22-8710``: ``_inner_mark_edits``);
- ``interleaved-letters``: a letter between every two digits of a token, one letter
  repeated or with words saying to drop them (``0z0z7z1z0z5z6z2z4 (ignore the letters)``:
  ``_interleaved``), dropped; with such words, a few filler characters in a run of digit
  groups too (``_sparse_filler``), and one letter in a card's group right after a card
  word when the digits without it are a card (``_card_typo_edits``);
- ``unicode-dashes``: every dash-like character becomes ``-``;
- ``html-tags``: tags dropped (block tags leave a space; an HTML table's cell and row tags
  that ``structure.mark_html_tables`` marked leave their boundary, ``<table>`` a line break);
- ``markdown``: emphasis/code markers dropped (``*``, `````, ``~``, and ``_`` next
  to a digit becomes a space; a ``*`` or ``~`` run with white space on both sides is no
  emphasis and stays a mark); the engine also reads the text with its tags (names,
  attributes, comments) and the marker runs touching a digit as written
  (``markup_as_written``): nothing is dropped unread;
- ``html-entities``, ``percent-encoding`` and ``latex-char`` (KaTeX's ``\\char``): decoded
  first (``decode_escapes``), repeatedly up to ``MAX_DEPTH`` layers (``&amp;#52;`` is two
  layers); the decoded text then goes through every step below as if typed
  (``&nbsp;`` is a space, ``&#x200B;`` dropped);
- ``line-breaks``: every Unicode line break (Line_Break BK, CR, LF, NL: ``\v``, ``\f``,
  a bare ``\r``, U+0085, U+2028, U+2029) becomes ``\n``; any other White_Space
  character a space, any other control a space (``control-chars``);
- what renders as a number: a Markdown link whose text holds a digit is its text, its
  target appended after a paragraph break, still scanned (``markdown-links``; reference
  links ``[536][1]`` too); a link or image whose text is blank once the pass has run
  (``[](x)``, ``[**](x)``, ``[&#8203;](x)``, ``![](x =0x0)``, ``[][r]`` with ``[r]: x``) is
  nothing, its target appended the same way (an empty anchor, an image without ``alt``); a run of underscores is markup, dropped; Mattermost's digit
  emoji shortcodes (``:five:``, ``:keycap_ten:``) and U+1F51F become digits
  (``emoji-digits``); letters with a Unicode Numeric_Value 0-9 (CJK numerals and their
  financial forms, Roman numerals) become digits in a run of ``MIN_NUMERAL_RUN`` digits
  and numerals or more (``cjk-numerals``, ``九六零 - 七一 - 二一三九``); Sino-Korean digit
  syllables (``오삼육-이이-팔칠일공``, ``육 육 이 - 팔 사 - ...``) in a run of
  ``MIN_SINO_KOREAN_RUN`` (``sino-korean-digits``);
- ``latex-and-number-words``: TeX as KaTeX renders it (a command with a braced argument
  shows the argument, ``\\mathtt{536}``; spacing commands are blanks, a thin one too,
  nothing when negative (``\\!``) between two digits; ``_tex_edits``; a thin one is nothing
  in ``normalize_narrow_joined``'s second reading), and number words as digits
  (detect/words.py: digit words of en/es/fr/de/it/pt/nl, English teens, tens and
  ``hundred``, words run together, digits mixed among them);
- ``bracketed-groups`` and ``emoji-separators``: brackets (any Ps/Pe/Pi/Pf, straight
  quotes and angle brackets, Markdown-escaped too) glued to the digit groups of a run are
  dropped (``[536]-22-8710``, ``["4111", "1111"]``, ``<4111> <1111>``; a blank where a word
  would be glued to the first group: ``setCard(4111, ...`` reads ``setCard 4111, ...``; telephone
  notation left as written; ``[536][22]`` and ``{536}{22}`` side by side too), and an emoji
  shortcode (``4111:star:1111``, ``:+1:``) or a keycap ``*️⃣`` ``#️⃣`` between two digits
  is a blank: ``_group_marks``;
- ``list-markers`` and ``filler-words`` (detect/filler.py): an ordered list's numbering
  dropped; short words (or a ``#``) between the digit groups of an identifier's exact
  shape, with its label before them, read as one space;
- ``struck-text``: ``normalize_without_struck`` is the second reading of a text with
  ``~~struck~~`` text, without it (the engine judges both);
- ``leet-labels``: an identifier label spelled in leet (``S5N``, ``$$N``, ``@cct``, ``r0uting``,
  ``1BAN``: ``LEET_LABELS``, ``_LEET``; also its letters apart by dots, ``5.5.N``) is the label;
  numbers are never folded;
- ``accented-labels``: an identifier label written with accented letters (``ŠSN``, ``Šocial``,
  ``àcct``: a letter and combining marks only) is the label (``LEET_LABELS``); only the
  label's letters are folded;
- ``letter-marks``: a mark outside ASCII between two letters that stand alone (``S·S·N``,
  ``S│S│N``, ``A∕B∕A``) is the ASCII mark it is drawn as (``_letter_marks``), and symbols
  with no such look-alike (emoji, ``★``) a ``.`` (``S🙂S🙂N``), so a label
  spelled a letter at a time reads as one (recognizers/_common.py ``LETTER_GAP``);
- ``camel-labels``: a label that is a hump of a camelCase or PascalCase name, not its
  first (``clientSsn``, ``bankAcctNo``, ``abaNum``), apart from the humps around it
  (``client Ssn``, ``bank Acct No``), as ``client_ssn`` is;
- ``glued-labels``: a space between an identifier's label and the digits glued to it
  (``SSNAAA-GG-SSSS``, ``card4111...``, ``acctno12345678``) and before a word glued after
  a number of identifier length (``AAAGGSSSSplease``).

The result maps every normalized character ``i`` to the original span
``[starts[i], ends[i])`` so findings are reported on the text the user sent.
Lone surrogates (invalid UTF-8 smuggled through ``surrogateescape``) become
U+FFFD first so nothing downstream can raise on them.
"""

from __future__ import annotations

import array
import bisect
import functools
import html
import itertools
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import unquote_to_bytes

import regex
import unicodedata2 as unicodedata  # current Unicode tables, not Python 3.11's Unicode 14

from dlp_proxy.detect import filler, foreign, gatescan, words
from dlp_proxy.detect.checksums import aba_ok, luhn_ok
from dlp_proxy.detect.filler import filler_edits, footnote_edits, list_marker_edits, may_have_filler
from dlp_proxy.detect.structure import ROW, may_hold_fragments
from dlp_proxy.detect.words import digit_bound, may_have_number_words, number_word_edits

MAX_DEPTH = 3

#: (a tag of an HTML table's cell or row that ``structure.mark_html_tables`` marked ends in
#: the boundary it makes, ``CELL``/``ROW`` for its ``>``: the last alternative; no tag's
#: attributes run over a boundary)
_TAG_RE = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]{0,30}(?:(?![\x1e\x1f])\s[^<>\x1e\x1f]{0,300})?/?>"
                     r"|<[Tt][DdHhRr](?:(?![\x1e\x1f])\s[^<>\x1e\x1f]{0,300})?/?[\x1e\x1f]", re.DOTALL)
#: Where a tag ``_TAG_RE`` could match starts, and Markdown marker runs touching a digit:
#: ``markup_as_written`` makes each a space.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z!/])")
_MARKS_BY_DIGIT = re.compile(r"(?<=[0-9])[*`~_]+|[*`~_]+(?=[0-9])")
#: a masked slot written with Markdown's marker characters beside a digit group
#: (``536-22-****``, ``~~~-~~-8710``): ``markdown`` drops it as emphasis, a reader of the
#: text as written sees slots; ``markup_as_written`` writes it ``#`` for the masked reading
_MASK_MARKS = re.compile(r"(?<=[0-9][- ])([*`~_])\1{1,18}(?![*`~_A-Za-z0-9])"
                         r"|(?<![*`~_A-Za-z0-9])([*`~_])\2{1,18}(?=[- ](?:[0-9]|[*`~_#]{2}))")
_BLOCK_TAGS = frozenset(
    "br p div li ul ol tr td th table h1 h2 h3 h4 h5 h6 pre blockquote hr section article header footer".split()
)
_ENTITY_RE = re.compile(r"&(?:#0*[0-9]{1,7}|#[xX]0*[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
#: one escape or more: written with the first escape outside the repeat (the same
#: matches), so ``re`` skips to each ``%`` (it found no literal prefix in the repeated
#: group and tried every position: ~50x slower on text with a percentage)
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u02d7\u2796\u30fc\u2500")
_MD_DROP = frozenset("*`~")


def _blank_around(text: str, i: int, ch: str) -> bool:
    """The run of ``ch`` at ``i`` (its first character) has white space or the text's
    edge on both sides."""
    j = i
    while j < len(text) and text[j] == ch:
        j += 1
    return (i == 0 or text[i - 1].isspace()) and (j == len(text) or text[j].isspace())


#: The keycap emoji of ``*`` and ``#`` (``*`` U+FE0F U+20E3; the variation selector may be
#: left out): shown as an emoji image, so a separator between digits, never Markdown.
_KEYCAP_SIGN = re.compile("[*#]\ufe0f?\u20e3")
#: Mattermost's emoji shortcodes that render as digits: ``zero``..``nine`` are the keycap
#: sequences 0030-fe0f-20e3..0039-fe0f-20e3 and ``keycap_ten`` is 1f51f in Mattermost's
#: ``SystemEmojis`` (server/public/model/emoji_data.go, generated from the web app's emoji
#: data by webapp/channels/build/make_emojis.mjs).
_EMOJI_DIGITS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "keycap_ten": "10",
}
_EMOJI = re.compile(r"(?i):(" + "|".join(_EMOJI_DIGITS) + r"):")
_CHEAP_TRIGGER = re.compile(r"[<*`~_\x00-\x08\x0b\x0c\x0e-\x1d]")
_BARE_CR = re.compile(r"\r(?!\n)")


def _needs_pass(text: str) -> bool:
    """ASCII ``text`` has something ``_one_pass`` changes (one character-class search,
    and the rarer triggers only behind an ``in`` test).  A ``%`` or ``&`` changes
    nothing unless it starts an escape (``_one_pass`` and ``decode_escapes`` decode only
    a match of ``_PERCENT_RE`` or ``_ENTITY_RE``): "4.43%" or "Q&A" is no reason for the
    character-by-character pass."""
    return (_CHEAP_TRIGGER.search(text) is not None or (":" in text and _EMOJI.search(text) is not None)
            or ("\r" in text and _BARE_CR.search(text) is not None) or "\\char" in text
            or ("\\" in text and _BACKSLASH_ESC.search(text) is not None)
            or ("%" in text and _PERCENT_RE.search(text) is not None)
            or ("&" in text and _ENTITY_RE.search(text) is not None))
#: Line layout, and the table boundaries only detect/structure.py writes (it turns any
#: U+001E/U+001F of the input into spaces first); every other control becomes a space.
_KEPT_CONTROLS = "\t\n\r\x1e\x1f"
_DECODED_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")
#: Unicode's line breaks (Line_Break classes BK, CR, LF, NL: ``\v``, ``\f``, ``\r``,
#: U+0085, U+2028, U+2029) and its other white space (White_Space): a line break
#: between digit groups is read as ``\n``, other white space as a space.
_LINE_BREAK = regex.compile(r"[\p{Line_Break=BK}\p{Line_Break=CR}\p{Line_Break=LF}\p{Line_Break=NL}]")
_WHITE_SPACE = regex.compile(r"\p{White_Space}")
#: A run of ASCII characters no rule of ``_one_pass`` changes (not markup, entity,
#: percent, Markdown or control characters other than the kept ones).
_PLAIN_RUN = re.compile(r"[^<&%*`~_:\x00-\x08\x0b-\x1d\x80-\U0010ffff]+")
#: Unicode's Default_Ignorable_Code_Point property (the ``regex`` module's tables
#: follow the Unicode version it was built with).
_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")
_MARKS = frozenset({"Mn", "Me"})
#: Written-out separators between digit groups, and SSA's own labels for the parts.
_SPELLED_WORDS = ("dash", "hyphen", "minus", "slash", "dot", "then", "serial")
_SPELLED_TRIGGER = re.compile("(?i)" + "|".join(_SPELLED_WORDS))
gatescan.register(_SPELLED_TRIGGER)
_SPELLED_SEP = re.compile(r"(?i)(?<=[0-9])[ \t]{0,3}(dash|hyphen|minus|slash|dot|then)[ \t]{0,3}(?=[0-9])")
_SPELLED_AS = {"dash": "-", "hyphen": "-", "minus": "-", "slash": "/", "dot": ".", "then": " "}
#: ``then`` between two round numbers (``on 1000 then 1200 more``) is a sequence of
#: quantities, not one number: no identifier has two adjacent groups that are both whole
#: hundreds (an SSN's group is never ``00``)
_ROUND_BEFORE = re.compile(r"(?<![0-9.,])[1-9][0-9]*00$")
_ROUND_AFTER = re.compile(r"[1-9][0-9]*00(?![0-9]|[.,][0-9])")
_SSA_LABELS = re.compile(
    r"(?i)\barea(?:[ \t]*(?:number|no\.?|#))?[ \t:=#-]{0,3}([0-9]{3})[ \t,;/-]{0,3}"
    r"group(?:[ \t]*(?:number|no\.?|#))?[ \t:=#-]{0,3}([0-9]{2})[ \t,;/-]{0,3}"
    r"serial(?:[ \t]*(?:number|no\.?|#))?[ \t:=#-]{0,3}([0-9]{4})(?![0-9])"
)
#: Words that name an SSN's part (attack pass 15 A2): the first (0: ``area``, ``first``,
#: ``starts``...), the middle (1: ``group``, ``middle``) or the last (2: ``serial``,
#: ``last``, ``ends``...), with a count of its digits (``last 4``, ``first three``).
_POSITION_WORDS = {
    **dict.fromkeys(("area", "first", "start", "starts", "starting", "begins", "beginning", "leading", "prefix",
                     "1st"), 0),
    **dict.fromkeys(("group", "middle", "mid", "center", "centre", "next", "second", "2nd"), 1),
    **dict.fromkeys(("serial", "last", "final", "end", "ends", "ending", "trailing", "suffix", "third", "3rd"), 2),
}
_POS = "(" + "|".join(sorted(_POSITION_WORDS, key=lambda w: (-len(w), w))) + ")"
_POS_COUNT = r"(?:[ \t]+(?:[2-4]|two|three|four)(?:[ \t]+digits?)?)?"
_POS_TAIL = r"(?:[ \t]*(?:number|no\.?|#|digits?|part|group|is|are))?"
#: a part: the word, perhaps a count, then the group (``last 4 8710``, ``area 536``,
#: ``middle two: 22``); or the group then the word (``8710 last``)
_POS_BEFORE = rf"(?<![A-Za-z]){_POS}{_POS_COUNT}{_POS_TAIL}[ \t:=#-]{{0,3}}([0-9]{{2,4}})(?![0-9A-Za-z])"
_POS_AFTER = rf"(?<![0-9A-Za-z.,])([0-9]{{2,4}})[ \t]*(?:is[ \t]+)?(?:the[ \t]+)?{_POS}(?![A-Za-z])"
_POS_JOIN = r"[ \t]*[,;/&|.-]?[ \t]*(?:(?:and|then|with)[ \t]+)?"
_POSITIONAL = re.compile(
    rf"(?i){_POS_BEFORE}{_POS_JOIN}{_POS_BEFORE}{_POS_JOIN}{_POS_BEFORE}"
    rf"|{_POS_AFTER}{_POS_JOIN}{_POS_AFTER}{_POS_JOIN}{_POS_AFTER}"
)
gatescan.register(_POSITIONAL)
_SSN_PART_LENGTHS = (3, 2, 4)


def _may_position(text: str) -> bool:
    """``_positional_parts`` may find something: the one pass of gatescan.py does not
    rule ``_POSITIONAL`` out, and the text has nine digits."""
    return gatescan.may_search(_POSITIONAL, text) and sum(map(text.count, "0123456789")) >= 9


def _positional_parts(text: str) -> list[tuple[int, int, str]]:
    """An SSN's three parts each named by a word of its place, in any order (``serial
    8710, group 22, area 536``, ``last 4 8710 middle 22 first 536``, ``8710 last, 22
    middle, 536 first``): (start, end, ``AAA-GG-SSSS``) when the words name the three
    places once each and each group has its part's length (a count, when written, too)."""
    out: list[tuple[int, int, str]] = []
    if not _may_position(text):
        return out
    for m in _POSITIONAL.finditer(text):
        g = m.groups()
        pairs = [(g[k], g[k + 1]) for k in (0, 2, 4)] if g[0] is not None else [(g[k + 1], g[k]) for k in (6, 8, 10)]
        places = [_POSITION_WORDS[w.lower()] for w, _ in pairs]
        if sorted(places) != [0, 1, 2]:
            continue
        parts = dict(zip(places, (d for _, d in pairs), strict=True))
        if any(len(parts[k]) != n for k, n in enumerate(_SSN_PART_LENGTHS)):
            continue
        digits = (2, 4, 6) if g[0] is not None else (7, 9, 11)  # the groups' match groups
        # the identifier on its digits, first to last: the words before the first group and
        # after the last stay as written (``area 536 group 22 serial 8710`` is found on
        # ``536 group 22 serial 8710``)
        out.append((m.start(digits[0]), m.end(digits[2]), "-".join(parts[k] for k in range(3))))
    return out
#: Half-width of the token examined around a confusable letter.
_TOKEN_REACH = 40
#: A token of look-alikes only is folded when an ASCII digit is this close to it.
_DIGIT_REACH = 8
_ASCII_DIGIT = re.compile(r"[0-9]")


@functools.cache
def _confusables() -> dict[str, str]:
    """Non-ASCII letter -> the ASCII letter or digit it is confusable with, from the
    Unicode confusables data (confusables.txt) that ``confusable_homoglyphs`` ships as
    JSON: nothing is downloaded.  A letter prefers a letter of its own case, then any
    letter, then a digit."""
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[str, str] = {}
    for ch, glyphs in raw.items():
        if len(ch) != 1 or ch.isascii() or not ch.isalpha():
            continue
        ascii_alnum = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()]
        if not ascii_alnum:
            continue

        def rank(c: str, ch: str = ch) -> tuple[int, str]:
            if c.isalpha():
                return (0 if c.isupper() == ch.isupper() else 1, c)
            return (2, c)

        best = min(ascii_alnum, key=rank)
        # confusables.txt's prototype of ``I`` is ``l``: a capital (Cyrillic ``Ӏ``, fullwidth
        # ``Ｉ``, mathematical ``𝐼``) is read as the capital it is drawn as, and a letter NFKC
        # spells as one ASCII letter or digit (the mathematical and fullwidth forms) as that
        # (det21: ``𝐼𝐸04 ...``, an Irish IBAN, read ``lE04``)
        nfkc = unicodedata.normalize("NFKC", ch)
        if len(nfkc) == 1 and nfkc.isascii() and nfkc.isalnum():
            best = nfkc
        elif best == "l" and ch.isupper():
            best = "I"
        table[ch] = best
    # Small capitals (IPA and phonetic extensions: ``ɢ`` ``ʙ`` ``ᴡ``...) that the
    # confusables data leaves out: by their Unicode name, to the capital they render as.
    for cp in (*range(0x0250, 0x02B0), *range(0x1D00, 0x1DC0), *range(0xA720, 0xA800), *range(0xAB30, 0xAB70)):
        small = chr(cp)
        name = unicodedata.name(small, "")
        for prefix in ("LATIN LETTER SMALL CAPITAL ", "LATIN SMALL LETTER SMALL CAPITAL "):
            if name.startswith(prefix) and len(name) == len(prefix) + 1 and small not in table:
                table[small] = name[-1]
    return table


_NAME_DIGITS = {"ONE": "1", "TWO": "2", "THREE": "3", "FOUR": "4", "FIVE": "5", "SIX": "6", "SEVEN": "7",
                "EIGHT": "8", "NINE": "9", "ACE": "1"}


@functools.cache
def _pictograph_digits() -> dict[str, str]:
    """Symbols (category So) whose picture shows a number but which have no Unicode
    numeric value, read by their Unicode name (as ``_enclosed_letters``):

    - die faces U+2680-2685 (``DIE FACE-5``: the pips, 1-6);
    - mahjong number tiles U+1F007-1F021 (``MAHJONG TILE FIVE OF CIRCLES``: characters,
      bamboos and circles, 1-9);
    - domino tiles U+1F031-1F093 (``DOMINO TILE HORIZONTAL-03-05``: its two halves' pips,
      two digits 0-6);
    - clock faces U+1F550-1F55B (``CLOCK FACE FIVE OCLOCK``: the hour 1-9, and twelve
      o'clock, the hand at the top, 0; ten, eleven and the half hours are left alone);
    - playing cards U+1F0A1-1F0DF (``PLAYING CARD FIVE OF SPADES``: the rank in its corner,
      ace 1 to nine).
    """
    table: dict[str, str] = {}
    for cp in (*range(0x2680, 0x2686), *range(0x1F000, 0x1F02C), *range(0x1F030, 0x1F094),
               *range(0x1F550, 0x1F55C), *range(0x1F0A0, 0x1F100)):
        ch = chr(cp)
        name = unicodedata.name(ch, "")
        words = name.split()
        if name.startswith("DIE FACE-"):
            table[ch] = name[-1]
        elif name.startswith("DOMINO TILE ") and name[-6:-3].startswith("-0") and name[-2:].isdigit():
            table[ch] = name[-4] + name[-1]
        elif name.startswith("CLOCK FACE ") and name.endswith(" OCLOCK"):
            if words[2] in _NAME_DIGITS:
                table[ch] = _NAME_DIGITS[words[2]]
            elif words[2] == "TWELVE":
                table[ch] = "0"
        elif (name.startswith(("MAHJONG TILE ", "PLAYING CARD ")) and len(words) >= 5 and words[3] == "OF"
              and words[2] in _NAME_DIGITS and (words[2] != "ACE" or words[1] == "CARD")):
            table[ch] = _NAME_DIGITS[words[2]]
    return table


@functools.cache
def _confusables_data() -> dict[str, list[dict[str, str]]]:
    """confusables.json of ``confusable_homoglyphs``, parsed once."""
    data: dict[str, list[dict[str, str]]] = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    return data


@functools.cache
def _confusable_classes() -> dict[str, frozenset[str]]:
    """Each character of Unicode's confusables data (confusables.txt, as
    ``confusable_homoglyphs`` ships it: each source with its prototype and each prototype
    with its sources) -> every character confusable with it, followed transitively to a
    fixed point (the characters sharing its skeleton, and the skeletons chained by the
    data: ``ㅡ`` -> ``ー`` -> ``—``).  Single characters only."""
    raw = _confusables_data()
    parent: dict[str, str] = {}

    def root(c: str) -> str:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for ch, glyphs in raw.items():
        if len(ch) != 1:
            continue
        for g in glyphs:
            if len(g["c"]) == 1:
                a, b = root(ch), root(g["c"])
                if a != b:
                    parent[a] = b
    members: dict[str, set[str]] = {}
    for c in list(parent):
        members.setdefault(root(c), set()).add(c)
    frozen = {r: frozenset(m) for r, m in members.items()}
    return {c: frozen[root(c)] for c in parent}


#: The CJK strokes (U+31C0 block) that are one straight stroke or a dot: heng (horizontal),
#: shu (vertical), dian (dot).  A letter confusable with one is drawn as that stroke.
_SINGLE_STROKES = frozenset({"CJK STROKE H", "CJK STROKE S", "CJK STROKE D"})
#: Unicode names that say a letter is drawn as a single stroke, bar or dot (Canadian
#: syllabics' finals ``ᐨ`` SHORT HORIZONTAL STROKE, ``ᐦ`` DOUBLE SHORT VERTICAL STROKES, ``ᣟ``
#: RAISED DOT, Arabic ``ࢇ`` BASELINE ROUND DOT, Duployan HIGH/LOW DOT...): for letters the
#: confusables data has no entry for.  Not a letter "WITH" a stroke (``đ``).
_STROKE_NAME = re.compile(r"(?:HORIZONTAL|VERTICAL) (?:STROKES?|LINE|BAR)$|(?:MIDDLE|RAISED|HIGH|LOW|ROUND) DOT$")
#: Hangul's araea: the vowel is written as a single dot (``ㆍ`` U+318D, its conjoining form
#: ``ᆞ`` U+119E; ``ᆢ`` U+11A2 ssangaraea, two dots one above the other, like ``:``): neither
#: the confusables data nor the names say so (the only hand-listed letters).
_DOT_LETTERS = frozenset("ㆍᆞᆢ")
#: Numerals drawn as a single stroke: ``一`` (CJK one, horizontal: confusable with ``—``) and
#: ``〡`` (Hangzhou numeral one, vertical).  Between ASCII digit groups of an identifier's
#: shape, its dash (``_one_as_dash``); elsewhere the numeral (``cjk-numerals``).
_STROKE_NUMERALS = frozenset("一〡")


@functools.cache
def _stroke_candidates() -> str:
    """Every letter (Lo, Nl; Lm are all separators anyway) outside the ideographs and the
    algorithmically named syllables, as one string (a ``regex`` pass, not a Python loop over
    1.1 million code points)."""
    codes = array.array("I", range(0x80, 0xD800))
    codes.extend(range(0xE000, sys.maxunicode + 1))
    every = codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
    return "".join(regex.findall(
        r"(?V1)[[\p{Lo}\p{Nl}]--[\p{Ideographic}\p{Hangul_Syllable_Type=LV}\p{Hangul_Syllable_Type=LVT}"
        r"\p{Block=Yi_Syllables}]]", every))


@functools.cache
def _punct_letters() -> frozenset[str]:
    """Letters that look like a punctuation mark, a dash, a bar or a dot: between two
    digits, a separator (``letter-punctuation``).  From Unicode's data:

    - letters the confusables data pairs with a punctuation mark or symbol of the Latin-1
      range (``ꞏ`` like ``·``, ``ǃ`` like ``!``, ``ꓸ`` like ``.``);
    - letters whose confusables class, followed transitively (``_confusable_classes``), holds
      no ASCII letter or digit (those are ``confusable-letters``, ``lookalike-letters``) and
      holds a Latin-1 punctuation mark or symbol, a dash (Pd: ``ㅡ`` ``ᅳ`` -> ``ー`` -> ``—``)
      or a single CJK stroke (``_SINGLE_STROKES``: ``丨`` ``ㅣ`` with ``㇑``);
    - letters whose Unicode name says they are a stroke or a dot (``_STROKE_NAME``: ``ᐨ``);
    - Hangul araea, a dot (``_DOT_LETTERS``);

    then the other case of each (``ⲻ``, small of ``Ⲻ`` that looks like ``-``) and each letter
    NFKC folds to one of them (half-width ``ￚ``).  Numerals are left out (``一`` ``〡``:
    ``_STROKE_NUMERALS``)."""
    raw = _confusables_data()
    out = set()
    for ch, glyphs in raw.items():
        if len(ch) == 1 and not ch.isascii() and unicodedata.category(ch)[0] == "L" and any(
                len(g["c"]) == 1 and ord(g["c"]) < 0x100 and unicodedata.category(g["c"])[0] in "PS" for g in glyphs):
            out.add(ch)

    def stroke_like(c: str) -> bool:
        cat = unicodedata.category(c)
        return cat == "Pd" or (ord(c) < 0x100 and cat[0] in "PS") or unicodedata.name(c, "") in _SINGLE_STROKES

    for ch, members in _confusable_classes().items():
        if (not ch.isascii() and (unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Nl")
                and not any(c.isascii() and c.isalnum() for c in members) and any(map(stroke_like, members))):
            out.add(ch)
    for ch in _stroke_candidates():
        name = unicodedata.name(ch, "")
        if " WITH " not in name and _STROKE_NAME.search(name):
            out.add(ch)
    out |= _DOT_LETTERS
    for ch in list(out):
        for other in (ch.upper(), ch.lower()):
            if len(other) == 1 and other != ch and unicodedata.category(other)[0] == "L":
                out.add(other)
    for ch in _stroke_candidates():  # half-width Hangul ``ￚ`` ``ￜ``
        if len(folded := unicodedata.normalize("NFKC", ch)) == 1 and folded != ch and folded in out:
            out.add(ch)
    return frozenset(c for c in out if unicodedata.numeric(c, None) is None)


def letter_digits() -> dict[str, str]:
    """Letters drawn as a digit, and the digit (``_letter_digits``): for the gateway's
    display names (gateway/mentions.py ``digits_only``)."""
    return _letter_digits()


@functools.cache
def separator_letters() -> frozenset[str]:
    """Letters that show as punctuation, a dash, a bar or a dot (``_punct_letters``), the
    numerals drawn as a single stroke (``_STROKE_NUMERALS``) and the letters Unicode marks
    ``Extender`` (they lengthen or repeat what is before them: ARABIC TATWEEL ``ـ`` draws a
    line, ``ー`` ``ː`` ``々``): no letter to a reader of a display name (gateway/mentions.py
    ``visible_letter``: ``536ـ`` shows a number; insider attack of 2026-12-07, B5)."""
    return _punct_letters() | _STROKE_NUMERALS | _extender_letters()


@functools.cache
def _extender_letters() -> frozenset[str]:
    """The letters (``L*``) with Unicode's ``Extender`` property (PropList.txt, as the
    ``regex`` module reads it)."""
    extender = regex.compile(r"\p{Extender}")
    return frozenset(ch for ch in map(chr, range(0x80, 0x110000))
                     if unicodedata.category(ch)[0] == "L" and extender.match(ch) is not None)


@functools.cache
def _lookalike_digits() -> dict[str, str]:
    """Characters that Unicode's confusables data (confusables.txt, as
    ``confusable_homoglyphs`` ships it) says look like an ASCII digit other than the one
    ``normalize`` reads them as: a decimal digit of another script whose value differs
    from its look (BENGALI DIGIT FOUR ``৪`` looks like ``8``, ORIYA DIGIT TWO ``୨`` like
    ``9``, GURMUKHI DIGIT ONE ``੧`` like ``9``...), and the symbols and signs that look like
    a digit and have no value (ORIYA SIGN VISARGA ``ଃ`` like ``8``).  Letters are left to
    ``_confusables`` (folded inside a token with ASCII).  ``normalize_lookalike`` reads a
    text with these as the digit they look like."""
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[str, str] = {}
    for ch, glyphs in raw.items():
        if len(ch) != 1 or ch.isascii() or ch.isalpha():
            continue
        looks = sorted(g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isdigit())
        if not looks and unicodedata.category(ch) == "Nl":
            # a roman numeral like a letter drawn as a digit (SMALL ROMAN NUMERAL FIFTY ``ⅼ`` like
            # ``l``: 1, not 50; insider attack of 2026-12-06, F1)
            looks = sorted(_DRAWN_DIGITS[g["c"]] for g in glyphs if g["c"] in _DRAWN_DIGITS)
        if not looks:
            continue
        cat = unicodedata.category(ch)
        read = (str(unicodedata.decimal(ch)) if cat == "Nd" else _digit_value(ch, cat)
                or unicodedata.normalize("NFKC", ch))
        if read not in looks:
            table[ch] = looks[0]
    return table


@functools.cache
def _lookalike_class() -> re.Pattern[str]:
    """A character read otherwise in the second reading: a digit that looks like another
    one, or a pictograph that shows a number (``_pictograph_digits``)."""
    return re.compile("[" + "".join(re.escape(c) for c in sorted({*_lookalike_digits(), *_pictograph_digits()})) + "]")


#: ASCII letters drawn as a digit (``B`` 8, ``g`` 9, ``T`` 7, ``S`` 5, ``Z`` 2, ``G`` 6, ``O`` 0,
#: ``l`` 1...): the confusables data pairs only ``O`` and ``l`` with a digit, a writer who
#: swaps a digit for a letter takes any of these (attack pass 9 F3).
#: Not the hex digits' ``A`` ``D`` ``E`` (a hex id is no card).  ``i`` is a ``1`` as ``I`` and
#: ``l`` are (det17: ``NNN-NN-NNiO``); a run still needs an identifier's length and the
#: recognizers' checks (``i5-12400``, a CPU, reads ``15-12400``: no identifier).
_DRAWN_DIGITS = {"O": "0", "o": "0", "l": "1", "I": "1", "i": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "G": "6",
                 "b": "6", "T": "7", "B": "8", "g": "9", "q": "9"}


#: Letters that look like a digit and that Unicode's confusables data pairs with none
#: (checked against confusables.json: no entry, or none to a digit or a drawn letter):
#: Lisu ``ꓶ`` (LETTER UH), Latin ``Ꞁ`` (CAPITAL TURNED L) and Canadian syllabics ``ᒣ``
#: draw a ``7``; Cyrillic ``Ꙅ`` (CAPITAL REVERSED DZE) a ``2``.
_MORE_DRAWN_DIGITS = {"\ua4f6": "7", "\ua780": "7", "\u14a3": "7", "\ua644": "2",
                      # Cyrillic ``Ч`` ``ч`` draw a ``4``, Arabic alef ``ا`` a ``1`` (a vertical
                      # stroke; insider attack of 2026-12-06, F1)
                      "\u0427": "4", "\u0447": "4", "\u0627": "1",
                      # Latin ``ƻ`` (TWO WITH STROKE), Armenian ``շ`` 2, Coptic ``Ϭ`` 6 (re-attack of
                      # 2026-12-06, F4)
                      "\u01bb": "2", "\u0577": "2", "\u03ec": "6"}


@functools.cache
def _letter_digits() -> dict[str, str]:
    """Letters read as the digit they look like inside a digit run (``_letter_digit_edits``):
    ``_DRAWN_DIGITS``, every letter Unicode's confusables data says looks like a digit
    (``З`` 3, ``б`` 6, ``Ƨ`` 2, ``Ʒ`` 3), and every letter it says looks like one of the
    ``_DRAWN_DIGITS`` letters (Cyrillic ``В`` like ``B``: 8; ``ƽ`` like ``s``: 5)."""
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table = dict(_DRAWN_DIGITS)
    for ch, glyphs in raw.items():
        if len(ch) == 1 and ch.isalpha() and ch not in table:
            looks = sorted(g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isdigit())
            if looks:
                table[ch] = looks[0]
    for ch, letter in _confusables().items():
        if ch not in table and letter in _DRAWN_DIGITS:
            table[ch] = _DRAWN_DIGITS[letter]
    for ch, digit in _MORE_DRAWN_DIGITS.items():
        table.setdefault(ch, digit)
    # the other case of such a letter, and a letter the data pairs with one, to a fixed point
    # (``з`` small of ``З``: 3; ``ʒ`` like ``ȝ``, ``ӡ`` like ``Ʒ``; insider attack of 2026-12-06, F1)
    grown = True
    while grown:
        grown = False
        for ch in list(table):
            if ch.isascii():
                continue  # ASCII's cases are told apart (``b`` 6, ``B`` 8)
            for other in (ch.lower(), ch.upper()):
                if len(other) == 1 and other != ch and other.isalpha() and other not in table:
                    table[other], grown = table[ch], True
        for ch, glyphs in raw.items():
            if len(ch) == 1 and ch.isalpha() and not ch.isascii() and ch not in table:
                pair = next((table[g["c"]] for g in glyphs if g["c"] in table and not g["c"].isascii()), None)
                if pair is not None:
                    table[ch], grown = pair, True
    return table


#: what may stand between two groups of a run of digits and look-alike letters: a mark or a
#: blank, never a line break nor a table's cell or row mark (structure.CELL, ROW): a
#: candidate never spans two cells, and a blotter's ``client 14885`` cell beside the next
#: row's ``T+1`` note was read as one run, twice per row
_RUN_GAP_CHARS = r"[^\w\n\x1e\x1f]"


@functools.cache
def _letter_runs() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(a letter of ``_letter_digits`` glued to an ASCII digit, the same for ASCII text,
    a run of whole tokens of ASCII digits and such letters with at most three marks or
    blanks between two).  The hint is letter-led (a letter searched for, its neighbours
    looked at): four times faster than ``[0-9]L|L[0-9]`` on digit-heavy tables."""
    table = _letter_digits()
    cls = "[" + "".join(re.escape(c) for c in sorted(table)) + "]"
    ascii_cls = "[" + "".join(re.escape(c) for c in sorted(table) if c.isascii()) + "]"
    # non-ASCII: also a whole token of such letters beside a digit group or another such
    # token across a mark (``ƽƷб-ƧƧ-8710``: no letter glued to a digit)
    other = "[" + "".join(re.escape(c) for c in sorted(table) if not c.isascii()) + "]"
    hint = re.compile(rf"{cls}(?:(?<=[0-9].)|(?=[0-9]))|(?<![^\W_]){other}+[-\u2010-\u2015./ ]{{1,3}}(?:[0-9]|{other})"
                      rf"|[0-9][-\u2010-\u2015./ ]{{1,3}}{other}+(?![^\W_])")
    ascii_hint = re.compile(rf"{ascii_cls}(?:(?<=[0-9].)|(?=[0-9]))")
    tok = rf"(?:[0-9]|{cls})+"
    run = re.compile(rf"(?<![^\W_]){tok}(?:{_RUN_GAP_CHARS}{{1,3}}{tok}){{0,7}}(?![^\W_])")
    return hint, ascii_hint, run


@functools.cache
def _alone_hint() -> re.Pattern[str]:
    """For text that is not ASCII: an ASCII letter of ``_letter_digits`` standing alone as a
    group beside a digit group across one to three marks or blanks (the letter is group 1
    or 2; ``_alone_starts`` for ASCII text).  Each alternative opens with a character class,
    so the search skips to its candidates."""
    cls = "[" + "".join(re.escape(c) for c in sorted(_letter_digits()) if c.isascii()) + "]"
    return re.compile(rf"({cls})(?<![^\W_].)(?={_RUN_GAP_CHARS}{{1,3}}[0-9])|[0-9]{_RUN_GAP_CHARS}{{1,3}}({cls})(?![^\W_])")


@functools.cache
def _single_letter_run() -> re.Pattern[str]:
    """A run of digit groups and letters of ``_letter_digits`` each standing alone as a
    group (one letter between two marks or blanks, not a tag's name: ``<b>``), at most
    three marks or blanks between two groups, up to 34 groups: ``S-N-N-N-N-N-N-I-O``,
    ``NNN - N Z - NN l O``."""
    cls = "[" + "".join(re.escape(c) for c in sorted(_letter_digits())) + "]"
    # (a tag's name is no group: ``N<b>NN``, ``</i>``)
    tok = rf"(?:[0-9]+|(?<!<)(?<!</){cls}(?!>))"
    return re.compile(rf"(?<![^\W_]){tok}(?:{_RUN_GAP_CHARS}{{1,3}}{tok}){{1,33}}(?![^\W_])")


@functools.cache
def _ascii_hint_bytes() -> bytes:
    """A ``bytes.translate`` table for ASCII text: an ASCII digit to ``0``, an ASCII
    letter of ``_letter_digits`` to ``L``, any other word character to ``w``, a line break
    or a table's cell or row mark to ``n`` (``_RUN_GAP_CHARS``), every other byte (a mark,
    a blank) to a blank."""
    table = bytearray(b" " * 256)
    for w in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
        table[w] = ord("w")
    for d in b"0123456789":
        table[d] = ord("0")
    for c in _letter_digits():
        if c.isascii():
            table[ord(c)] = ord("L")
    for barrier in "\n\x1e\x1f":
        table[ord(barrier)] = ord("n")
    return bytes(table)


#: in ``_ascii_hint_bytes``' translation: whole groups of digits and lone letters with one
#: to three marks or blanks between two (``_single_letter_run``'s tokens)
_ALONE_WINDOW = re.compile(rb"(?<![w0L])(?:0+|L)(?: {1,3}(?:0+|L))*(?![w0L])")


def _alone_run_size(data: bytes, k: int) -> int:
    """The digits and letters of the run of whole digit groups and lone letters holding
    ``k`` in ``data`` (at least the size of ``_single_letter_run``'s run there): under 7 no
    such run has an identifier's length (``T+1. I'll``, ``11/22. I'll``: no hint, the clean
    path stays fast).  Searched in a slice around ``k`` (runs up to 34 groups)."""
    lo = _after_barrier(data, max(0, k - _ALONE_REACH), k)
    for m in _ALONE_WINDOW.finditer(data, lo, min(len(data), k + 1 + _ALONE_REACH)):
        if m.start() <= k < m.end():
            return m.end() - m.start() - m.group(0).count(b" ")
        if m.start() > k:
            break
    return 0


def _after_barrier(data: bytes, lo: int, k: int) -> int:
    """Where a ``finditer`` from ``lo`` for the first match ending after ``k`` may start
    instead, in ``_ascii_hint_bytes``' translation ``data`` of an ASCII text: just after the
    last ``w`` (a word character that is neither a digit nor a letter of
    ``_letter_digits``) or ``n`` (a line break) in ``data[lo:k]``, else ``lo``.

    For the patterns searched so (``_ALONE_WINDOW`` in ``data``, ``_single_letter_run``
    and ``_letter_runs``' run in the text): no match holds such a character, so a match
    starting before it ends at or before it, before ``k``; ``finditer`` from ``lo`` tries
    every position up to it (or ends a match there), then goes on as a ``finditer`` from
    just after it (lookbehinds see the text before ``pos``): the same first match ending
    after ``k``.  (In a table a word or a line break is a few characters back: the
    search no longer tries the 80 or 160 positions before ``k``.)"""
    bar = max(data.rfind(b"w", lo, k), data.rfind(b"n", lo, k))
    return lo if bar < 0 else bar + 1


def _alone_starts(data: bytes, first: bool = False) -> list[int]:
    """In ``_ascii_hint_bytes``' translation ``data``: where a letter stands alone as a group
    with a digit beside it across one to three marks or blanks (``S-N``, ``N-I``), the
    letter's place (``first``: the first one found only), when the run around it may have an
    identifier's length (``_alone_run_size``).  ``bytes.find`` for a letter, blanks and a
    digit or the other way round, each hit then checked for a letter standing alone; a
    regex with lookarounds here tried every position of every clean message (~20 us)."""
    found: list[int] = []
    n = len(data)
    for pair, before in _ALONE_PAIRS:
        k = data.find(pair)
        while k >= 0:
            at = k if before else k + len(pair) - 1  # the letter
            edge = at - 1 if before else at + 1  # its other side: a blank, a line break or the edge
            if (edge < 0 or edge >= n or data[edge] in b" n") and _alone_run_size(data, at) >= 7:
                found.append(at)
                if first:
                    return found
            k = data.find(pair, k + 1)
    return found


#: (a letter, one to three blanks and a digit, or the other way round; the letter first)
_ALONE_PAIRS = tuple((b"L" + b" " * k + b"0", True) for k in (1, 2, 3)) + tuple(
    (b"0" + b" " * k + b"L", False) for k in (1, 2, 3))


def _ascii_hint_starts(text: str) -> list[int]:
    """For ASCII ``text``: the starts of the matches of ``_letter_runs``' ASCII hint, in
    order (a letter of ``_letter_digits`` with an ASCII digit before or after it).

    The same positions as ``ascii_hint.finditer``: a hint match is one character (the
    letter; its lookarounds consume nothing), so its matches are exactly the letters with
    a digit beside them.  Here the text is translated to ``0`` (digit), ``L`` (such a
    letter) and blanks in one C pass, and ``0L`` and ``L0`` are found with ``bytes.find``:
    Python code runs per hint only, not per letter (prose has a letter of the class in
    most words, and the regex tried each)."""
    data = text.encode("ascii").translate(_ascii_hint_bytes())
    found: set[int] = set()
    for pair, at in ((b"0L", 1), (b"L0", 0)):
        k = data.find(pair)
        while k >= 0:
            found.add(k + at)
            k = data.find(pair, k + 1)
    found.update(_alone_starts(data))
    return sorted(found)


def _letter_hint_starts(text: str) -> list[int]:
    """The starts of the hint matches (``_letter_runs``) in ``text``, in order."""
    if text.isascii():
        return _ascii_hint_starts(text)
    starts = {h.start() for h in _letter_runs()[0].finditer(text)}
    starts.update(m.start(1) if m.group(1) else m.start(2) for m in _alone_hint().finditer(text))
    return sorted(starts)


#: Leet digits (det21, det23): ``A`` 4 and ``E`` 3 (hex digits: never in ``_DRAWN_DIGITS``),
#: with the drawn capitals ``T`` 7, ``G`` 6, ``S`` 5, ``B`` 8, ``Z`` 2, ``O`` 0, ``I`` 1 and
#: (det23) the lower-case ``o`` 0, ``l`` 1, ``b`` 6, ``g`` ``q`` 9 and the bar ``|`` 1, read
#: only in an identifier's exact shape (an SSN's 3-2-4 or nine, a card's four fours,
#: sixteen, or Amex 4-6-5) with a third of its characters real digits (more letters than
#: digits only with a digit in each group: ``5E6-2Z-B7lO``, never ``ABE-GS-1337``), and either that
#: identifier's label on its line (``SSN 5E6-22-12E4``, ``card 4111 1111 1111 111A``) or
#: words telling the reader to read the letters as digits near it (``read the letters as
#: numbers``, ``leetspeak``, ``l33t``: ``_LEET_TOLD``); an SSN with the label and no such
#: words at most three letters and two digits for each, as det21 read (a card has its Luhn
#: check: ``card 45gg 960g E555 6B80``).  The recognizers still validate (a card's Luhn check, an SSN's area rules).  A hex id,
#: a ticker or a product code (``E2B-7LO``) is no such shape, or has no label and no words.
_LEETD_DIGITS = {"A": "4", "E": "3", "T": "7", "G": "6", "S": "5", "B": "8", "Z": "2", "O": "0", "I": "1",
                 "o": "0", "l": "1", "|": "1", "b": "6", "g": "9", "q": "9"}
_LEETD_C = r"[0-9AETGSBZOIolbgq|]"
_LEETD_HINT = re.compile(r"[0-9][- ]?[AETGSBZOIolbgq|]|[AETGSBZOIolbgq|][- ]?[0-9]")
_LEETD_SHAPE = re.compile(
    rf"(?<![\w.|-])(?:(?P<ssn>{_LEETD_C}{{3}}([- ]?){_LEETD_C}{{2}}\2{_LEETD_C}{{4}})"
    rf"|(?P<card>{_LEETD_C}{{4}}([- ]?){_LEETD_C}{{4}}\4{_LEETD_C}{{4}}\4{_LEETD_C}{{4}}|{_LEETD_C}{{4}}([- ]?){_LEETD_C}{{6}}\5{_LEETD_C}{{5}}))"
    r"(?![\w.|-]|-?[0-9])")
_LEETD_SSN_LABEL = re.compile(r"(?i)(?<![a-z])(?:ssn|ss#|social|soc\.? ?sec|itin|tax ?id)(?![a-z])")
_LEETD_CARD_LABEL = re.compile(r"(?i)(?<![a-z])(?:card|cc#?|credit|debit|visa|mastercard|master card|amex|discover|pan)(?![a-z])")
_LEETD_REACH = 40
#: words telling the reader the letters are digits (det23): ``leet``/``l33t``/``1337``
#: (``leetspeak``, ``l33t style``), ``read the letters as numbers``, ``letters are
#: digits``, ``letters = numbers``, ``swap the letters back to numbers``
_LEET_TOLD = re.compile(
    r"(?i)(?<![a-z0-9])(?:leet|l33t|1337|133t|13375p34k)"
    r"|(?<![a-z])(?:letters?|chars?|characters?)[ \t]+(?:are|=|as|mean|stand[ \t]+for|for|->|(?:back[ \t]+)?(?:to|into))"
    r"[ \t]+(?:(?:the|their|real)[ \t]+)?(?:digits?|numbers?|numerals?)(?![a-z])")
#: how far from the identifier such words may be (either side, any line)
_LEET_TOLD_REACH = 200
#: words *saying* the letters are digits (``_LEET_TOLD`` but a bare ``1337``, which is also
#: a price or a size): ``leetspeak``, ``it's l33t``, ``letters = the digits they look like``,
#: ``swap the letters for look-alike digits``, a key (``O is zero``, ``l=1``)
_LEET_SAID = re.compile(
    r"(?i:(?<![a-z0-9])(?:leet|l33t|133t)[a-z0-9]*"
    r"|(?<![a-z])(?:letters?|chars?|characters?)[ \t]+(?:are|=|as|mean|stand[ \t]+for|for|->|(?:back[ \t]+)?(?:to|into))"
    r"[ \t]+(?:(?:the|their|real|look-?alike|matching)[ \t]+)*(?:digits?|numbers?|numerals?)(?![a-z])"
    r"|(?<![a-z])(?:swap|replace|read|treat|turn|convert|map|switch)[ \t]+(?:(?:the|all|those|these)[ \t]+)?"
    r"(?:letters?|chars?)(?![a-z])[^.\n]{0,30}?(?:digits?|numbers?|numerals?)(?![a-z])"
    r"|look-?alike[ \t]+(?:digits?|numbers?))"
    r"|(?<![A-Za-z0-9])[OolIZESGTBAgq][ \t]*(?:=|is|->|means)[ \t]*(?:zero|one|two|three|four|five|six|seven|eight|nine|[0-9])"
    r"(?![a-z0-9])")
#: with such words, an identifier's label then, right after it (a colon, ``=``, ``->``,
#: ``is``), a token of leet letters and digits in any grouping: an account, a routing
#: number, a card or an SSN written all in letters (``account number: 8TS|ABGI``, ``ITIN
#: -> qSZqTEEAq``); the recognizers validate what it reads (an IBAN's letters are its own)
_LEET_LABEL_TOKEN = re.compile(
    r"(?i:(?<![a-z])(?:ssn|ss#|social(?:[ \t]+security)?|itin|tax[ \t]?id|card|cc#?|visa|mastercard|amex|discover"
    r"|acct|account|a/c|routing|rtn|aba)(?:[ \t]+(?:number|no\.?|num|nbr|#))?\)?"
    r"[ \t]*(?:[:=#]|->|\u2192|is|was)?[ \t]*(?:[:=#]|->)?[ \t]*)"
    r"(?P<tok>[0-9AETGSBZOIolbgqaetszi|]{2,}(?:[- ][0-9AETGSBZOIolbgqaetszi|]{2,}){0,5})(?![\w|.-])")
_LEET_TOKEN_SIZE = (6, 19)
#: where words say the letters are digits, small letters read as their capitals do too
#: (``a`` 4, ``e`` 3, ``t`` 7, ``s`` 5, ``z`` 2, ``i`` 1): ``card AEAq 9s7s ...``
_SAID_DIGITS = {**_LEETD_DIGITS, "a": "4", "e": "3", "t": "7", "s": "5", "z": "2", "i": "1"}
#: groups apart by blanks read as one token only in an identifier's grouping (an SSN's,
#: a card's); other blank-separated groups are words, the first read alone
_LEET_SPACED_SHAPES = frozenset({(3, 2, 4), (4, 4, 4, 4), (4, 6, 5), (4, 4, 4, 4, 3), (4, 4, 4, 4, 2), (4, 4, 4, 4, 1)})
#: a reference's name right before nine letters and digits in a row (not read as an SSN)
_LEET_REFERENCE = re.compile(
    r"(?i)(?<![a-z])(?:order|ticket|tracking|track|sku|part|serial|ref|reference|invoice|po|case|id|code|item|model"
    r"|confirmation|conf|booking|pnr|voucher|coupon|promo|token|key|hash|build|version)(?![a-z])")


#: ASCII text as bytes: a digit ``0``, a leet letter ``L``, a blank or hyphen ``-``, else ``x``
_LEETD_BYTES = bytes(ord("0") if chr(b).isdigit() else ord("L") if chr(b) in _LEETD_DIGITS
                     else ord("-") if chr(b) in " -" else ord("x") for b in range(256))
_LEETD_PAIRS = (b"0L", b"L0", b"0-L", b"L-0")


def _may_leet_digits(text: str) -> bool:
    """``text`` has a leet letter beside a digit, perhaps across a blank or hyphen (what
    ``_LEETD_HINT`` finds; on ASCII text by a byte translation, several times faster)."""
    if text.isascii():
        data = text.encode("ascii").translate(_LEETD_BYTES)
        return any(p in data for p in _LEETD_PAIRS)
    return _LEETD_HINT.search(text) is not None


gatescan.register(_LEETD_SHAPE, _LEETD_SSN_LABEL, _LEETD_CARD_LABEL, _LEET_TOLD, _LEET_SAID, _LEET_LABEL_TOKEN)


def _leet_digit_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """The edits reading leet digits (``_LEETD_DIGITS``) in an identifier's shape, labelled
    or with words saying the letters are digits; and with words saying so, in a token
    right after a label (``_said_leet_edits``)."""
    edits = _shaped_leet_edits(text)
    return _said_leet_edits(text, edits) if _may_say_leet(text) else edits


def _may_say_leet(text: str) -> bool:
    """Words saying letters are digits (``_LEET_SAID``) and a label's token after which
    they would be read (``_LEET_LABEL_TOKEN``) may be in ``text``."""
    return gatescan.search(_LEET_SAID, text) and gatescan.search(_LEET_LABEL_TOKEN, text)


def _shaped_leet_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """``_leet_digit_edits`` in an identifier's exact shape (det21, det23)."""
    if not _may_leet_digits(text) or not gatescan.may_search(_LEETD_SHAPE, text):
        return []
    told_any = gatescan.may_search(_LEET_TOLD, text)
    if not (told_any or gatescan.may_search(_LEETD_SSN_LABEL, text) or gatescan.may_search(_LEETD_CARD_LABEL, text)):
        return []
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _LEETD_SHAPE.finditer(text):
        body = m.group(0)
        letters = sum(1 for c in body if c in _LEETD_DIGITS)
        digits = sum(1 for c in body if c.isdigit())
        if not letters or 3 * digits < len(body) - body.count("-") - body.count(" ") or (
                digits < letters and not _leet_groups_mixed(body, bool(m.group("card")))):
            continue
        told = told_any and _LEET_TOLD.search(
            text, max(0, m.start() - _LEET_TOLD_REACH), min(len(text), m.end() + _LEET_TOLD_REACH)) is not None
        if not told:
            if not m.group("card") and (letters > 3 or digits < 2 * letters):
                continue  # an SSN with a label alone: det21's few letters (``error code E3A-22-9T1A`` stays)
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            near = text[max(line_start, m.start() - _LEETD_REACH) : m.start()] + " " + text[m.end() : min(line_end, m.end() + _LEETD_REACH)]
            label = _LEETD_CARD_LABEL if m.group("card") else _LEETD_SSN_LABEL
            if label.search(near) is None:
                continue
        # nine in a row with the words: read as the ``AAA-GG-SSSS`` the writer hid (a bare
        # nine needs a label, which the words stand for), the dashes after its third and fifth
        dashed = (2, 4) if told and m.group("ssn") and len(body) == sum(_SSN_PART_LENGTHS) else ()
        if dashed and _LEET_REFERENCE.search(text, max(text.rfind("\n", 0, m.start()) + 1, m.start() - 30),
                                             m.start()) is not None:
            continue  # ``order 1Z9b4S7T2``: a reference's code, never an SSN
        edits.extend((i, i + 1, _LEETD_DIGITS.get(c, c) + ("-" if k in dashed else ""), i, i + 1)
                     for k, (i, c) in enumerate(enumerate(body, m.start())) if c in _LEETD_DIGITS or k in dashed)
    return edits


def _said_leet_edits(text: str, edits: list[tuple[int, int, str, int, int]]) -> list[tuple[int, int, str, int, int]]:
    """``edits`` and, where words say the letters are digits (``_LEET_SAID``), the leet
    letters of a token right after an identifier's label (``_LEET_LABEL_TOKEN``) in any
    grouping and with any share of real digits: the writer said how to read it."""
    said = [m.span() for m in _LEET_SAID.finditer(text)]
    if not said:
        return edits
    taken = {e[0] for e in edits}
    out = list(edits)
    read = False
    for m in _LEET_LABEL_TOKEN.finditer(text):
        a, b = m.span("tok")
        body = m.group("tok")
        if " " in body and tuple(len(g) for g in re.split(r"[- ]", body)) not in _LEET_SPACED_SHAPES:
            # words after it ("GATES lol", "Ab6O A8tb A7sg e82e l33t"): the longest first
            # groups in an identifier's grouping, else the first group alone
            cuts = [m.start() for m in re.finditer(r"[- ]", body)] + [len(body)]
            body = next((body[:k] for k in reversed(cuts)
                         if tuple(len(g) for g in re.split(r"[- ]", body[:k])) in _LEET_SPACED_SHAPES),
                        re.split(r" ", body, maxsplit=1)[0])
            b = a + len(body)
        size = sum(1 for c in body if c not in "- ")
        if not (_LEET_TOKEN_SIZE[0] <= size <= _LEET_TOKEN_SIZE[1]) or not any(c in _SAID_DIGITS for c in body):
            continue
        if not any(x - _LEET_TOLD_REACH <= a and b <= y + _LEET_TOLD_REACH for x, y in said):
            continue
        if any(i in taken for i in range(a, b)):
            continue
        out.extend((i, i + 1, _SAID_DIGITS[c], i, i + 1) for i, c in enumerate(body, a) if c in _SAID_DIGITS)
        read = True
    if read:
        # the words saying so are no digits of the reading (``... 8TS|ABGI l33t``: its
        # ``l33t`` would read ``1337`` and run on from the number): blanked there
        out.extend((x, y, " " * (y - x), x, y) for x, y in said if not any(x <= e[0] < y for e in out))
    return sorted(out)


def _leet_groups_mixed(body: str, card: bool) -> bool:
    """Each group of a leet identifier's shape (an SSN's 3-2-4, a card's fours or Amex
    4-6-5) holds a real digit: more letters than digits are read only so (``5E6-2Z-B7lO``,
    not ``ABE-GS-1337``)."""
    chars = body.replace("-", "").replace(" ", "")
    sizes = (3, 2, 4) if not card else (4, 6, 5) if len(chars) == 15 else (4, 4, 4, 4)
    at = 0
    for k in sizes:
        if not any(c.isdigit() for c in chars[at : at + k]):
            return False
        at += k
    return True


def _leet_digit_spans(edits: list[tuple[int, int, str, int, int]]) -> list[tuple[int, int]]:
    """The spans of the identifiers ``_leet_digit_edits`` read (edits at most ``_LEETD_GAP`` apart: one run)."""
    spans: list[tuple[int, int]] = []
    for e in sorted(edits):
        if spans and e[0] - spans[-1][1] <= _LEETD_GAP:
            spans[-1] = (spans[-1][0], e[1])
        else:
            spans.append((e[0], e[1]))
    return spans


_LEETD_GAP = 24


def may_have_letter_digits(text: str) -> bool:
    """``text`` has a letter of ``_letter_digits`` glued to an ASCII digit: where
    ``normalize_lookalike`` may read letters as digits (``4012 BBBB BBBB 1BB1``).  (A leet
    identifier, ``_leet_digit_edits``, holds two digits for each letter: the prefilter's
    quick check finds six of them close together.)"""
    if text.isascii():
        data = text.encode("ascii").translate(_ascii_hint_bytes())
        return b"0L" in data or b"L0" in data or bool(_alone_starts(data, first=True))
    return _letter_runs()[0].search(text) is not None or _alone_hint().search(text) is not None


def may_have_leet_digits(text: str) -> bool:
    """A leet identifier with more letters than det21 read (det23: ``095-08-48oE`` has five
    digits, not the quick check's six, and ``E`` is no letter ``may_have_letter_digits``
    knows) in the shape ``_leet_digit_edits`` reads: a leet letter beside a digit (a byte
    scan), then the shape itself.  The engine's first gate asks it besides the others."""
    return (_may_leet_digits(text) and gatescan.may_search(_LEETD_SHAPE, text)
            and _LEETD_SHAPE.search(text) is not None) or _may_say_leet(text)


#: A letter run is read with digits when it holds 7 to 34 digits and letters (an
#: identifier's length: an SSN's 9 to an IBAN's 34) and at most 12 letters.
_LETTER_RUN_SIZE = (7, 34)
_LETTER_RUN_LETTERS = 12


def _letter_digit_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """The letters of ``_letter_digits`` in a run of digit groups, read as the digit they
    look like (attack pass 9 F3: ``4Ol2 8888 8888 l88l``, ``4012 BBBB BBBB 1BB1``, ``536-22-8T10``,
    ``ƽƷб-ƧƧ-8ꓶlO``): only in a run of whole tokens of digits and such letters where one
    token glues a letter to a digit (a word alone, ``Boss 2024``, is left alone), the run
    an identifier's length (``_LETTER_RUN_SIZE``, ``_LETTER_RUN_LETTERS``)."""
    hints = _letter_hint_starts(text)
    if not hints:
        return []
    run = _letter_runs()[2]
    table = _letter_digits()
    # an ASCII text's classes (``_after_barrier``): each run searched from the word or line
    # break before it
    data = text.encode("ascii").translate(_ascii_hint_bytes()) if text.isascii() else None
    edits: list[tuple[int, int, str, int, int]] = []
    reach = 0
    for h in hints:
        if h < reach:
            continue
        if text[h].isascii() and text[h] in table and not _word_char(text, h - 1) and not _word_char(text, h + 1):
            reach = _alone_letter_run(text, h, table, edits, data)
            continue
        # the run holding this hint: from the start of the line part before it
        start = max(0, h - 80)
        if data is not None:
            start = _after_barrier(data, start, h)
        for m in run.finditer(text, start, min(len(text), h + 1 + 80)):
            if m.end() <= h:
                continue
            if m.start() > h:
                break
            reach = m.end()
            body = m.group(0)
            letters = sum(1 for c in body if c in table)
            size = letters + sum(1 for c in body if c.isdigit() and c.isascii())
            if letters and _LETTER_RUN_SIZE[0] <= size <= _LETTER_RUN_SIZE[1] and letters <= _LETTER_RUN_LETTERS:
                edits.extend((i, i + 1, table[c], i, i + 1) for i, c in enumerate(body, m.start()) if c in table)
            break
    return edits


def _word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _alone_letter_run(text: str, h: int, table: dict[str, str], edits: list[tuple[int, int, str, int, int]],
                      data: bytes | None = None) -> int:
    """For a letter of ``_letter_digits`` standing alone as a group at ``h`` (no digit
    glued to it: ``S-N-N-N-N-N-N-I-O``), the edits of the run of digit groups and such
    letters holding it (``_single_letter_run``): each letter read as its digit, when the
    run has an identifier's length (``_LETTER_RUN_SIZE``), at most ``_LETTER_RUN_LETTERS``
    letters and at least two digits for each letter (one letter standing for a digit
    among digits, never letters among a few numbers: ``T 2``, ``class B 500``).  Returns
    where the run ends (the hints before it are done).  ``data``: an ASCII text's
    ``_ascii_hint_bytes`` translation (the search starts at ``_after_barrier``)."""
    lo = max(0, h - _ALONE_REACH)
    if data is not None:
        lo = _after_barrier(data, lo, h)
    for m in _single_letter_run().finditer(text, lo, min(len(text), h + 1 + _ALONE_REACH)):
        if m.end() <= h:
            continue
        if m.start() > h:
            break
        body = m.group(0)
        letters = sum(1 for c in body if c in table)
        digits = sum(1 for c in body if c.isdigit() and c.isascii())
        if (_LETTER_RUN_SIZE[0] <= letters + digits <= _LETTER_RUN_SIZE[1] and letters <= _LETTER_RUN_LETTERS
                and digits >= 2 * letters):
            edits.extend((i, i + 1, table[c], i, i + 1) for i, c in enumerate(body, m.start()) if c in table)
        return m.end()
    return h + 1


#: how far on either side of a letter standing alone its run is looked for
_ALONE_REACH = 160


@functools.cache
def _enclosed_letters() -> dict[str, str]:
    """Enclosed Latin letters NFKC leaves as symbols or with brackets, by their Unicode
    name: negative circled and negative squared capitals (``🅶``, ``🅐``), regional
    indicators (``🇬``: one alone shows a boxed letter, a pair a flag) and parenthesized
    letters (``🄶``, ``⒢``: NFKC gives ``(G)``)."""
    table: dict[str, str] = {}
    for cp in (*range(0x249C, 0x24B6), *range(0x1F110, 0x1F12A), *range(0x1F150, 0x1F16A), *range(0x1F170, 0x1F18A),
               *range(0x1F1E6, 0x1F200)):
        name = unicodedata.name(chr(cp), "")
        if "LETTER " in name and name[-2] == " " and name[-1].isalpha():
            table[chr(cp)] = name[-1].lower() if "SMALL LETTER" in name else name[-1]
    return table


def ascii_fold(text: str) -> str:
    """``text`` as ASCII letters would spell it, for names rather than values (a JSON
    key read as context): NFKC (full-width, mathematical alphanumerics), ignorable
    characters and combining marks dropped (``ŝ`` -> ``s``), then every letter the
    confusables data maps to an ASCII one (Cyrillic ``ѕ``, small capitals)."""
    if text.isascii():
        return text
    table = _confusables()
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)):
        if ch.isascii():
            out.append(ch)
        elif _ignorable(ch) or unicodedata.category(ch) in ("Mn", "Me"):
            continue
        else:
            out.append(table.get(ch, ch))
    return "".join(out)


def _ignorable(ch: str) -> bool:
    return _IGNORABLE.match(ch) is not None


def _digit_value(ch: str, cat: str) -> str | None:
    """The ASCII digits of a non-Nd number character (circled, parenthesized...; a Roman
    numeral of the Number Forms block: ``Ⅷ`` 8, ``Ⅻ`` 12), or of a pictograph that shows a
    number (``_pictograph_digits``: a die face, a mahjong tile...), or None."""
    if cat == "So":
        return _pictograph_digits().get(ch)
    if cat != "No" and not (cat == "Nl" and _ROMAN_FIRST <= ch <= _ROMAN_LAST):
        return None
    d = unicodedata.digit(ch, None)
    if d is not None:
        return str(d)
    v = unicodedata.numeric(ch, None)
    if v is not None and v == int(v) and 0 <= v < 100:
        return str(int(v))
    return None


#: the Roman numerals of the Number Forms block (category Nl): read as their value, a
#: whole number below 100 (``ⅤⅢⅥ`` is 536, as a writer of digits one numeral each means)
_ROMAN_FIRST, _ROMAN_LAST = "\u2160", "\u2188"
#: those of two digits (10, 11, 12, 50): ``rendered_digits`` counts two for each
_ROMAN_TENS = re.compile("[\u2169\u216a\u216b\u216c\u2179\u217a\u217b\u217c\u2186]")


def _roman_in_word(text: str, i: int) -> bool:
    """The Roman numeral at ``i`` is one letter by NFKC (``Ⅼ`` L, not ``Ⅻ`` XII) and a
    letter (not another numeral) is glued to it on one side (a word, a country code, ``ΡⅬ61``
    with a Greek capital): read as that letter."""
    if len(unicodedata.normalize("NFKC", text[i])) != 1:
        return False
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    return any(c.isalpha() and not _ROMAN_FIRST <= c <= _ROMAN_LAST for c in (before, after))


def _is_mark(ch: str) -> bool:
    return not ch.isascii() and (unicodedata.category(ch) in _MARKS or _ignorable(ch))


def _digitish(ch: str) -> bool:
    if ch.isascii():
        return ch.isdigit()
    cat = unicodedata.category(ch)
    return cat == "Nd" or _digit_value(ch, cat) is not None


def _mark_droppable(prev: str, text: str, i: int) -> bool:
    """A combining mark at ``text[i]`` touches a digit or an ASCII letter: ``prev`` (the
    last normalized character) or the next character after any further marks."""
    if prev and ((prev.isascii() and prev.isalnum()) or prev.isdigit()):
        return True
    n = len(text)
    j = i + 1
    while j < n and j - i <= 8 and _is_mark(text[j]):
        j += 1
    return j < n and (_digitish(text[j]) or (text[j].isascii() and text[j].isalpha()))


def _token_has_ascii_alnum(text: str, i: int) -> tuple[int, bool]:
    """(end of the token around ``text[i]``, whether it holds an ASCII letter or digit or
    has an ASCII digit within ``_DIGIT_REACH`` characters).  A token is a run of
    letters, digits and marks, looked at up to ``_TOKEN_REACH`` characters on either
    side."""
    n = len(text)
    found = False
    j = i
    while j > 0 and i - j < _TOKEN_REACH:
        c = text[j - 1]
        if not (c.isalnum() or _is_mark(c)):
            break
        if c.isascii():
            found = True
            break
        j -= 1
    k = i + 1
    while k < n and k - i < _TOKEN_REACH:
        c = text[k]
        if not (c.isalnum() or _is_mark(c)):
            break
        if c.isascii():
            found = True
        k += 1
    if not found:
        # a group of an identifier written wholly in look-alikes ("GB82 ԜЕЅТ 1234"):
        # ASCII digits a few characters away; never a number word of its own script among
        # digits (``5 три 6``, ``5 τρία 6``: detect/words.py reads it as its digit, attack
        # atk17d words_script_mixed)
        found = _ASCII_DIGIT.search(text, max(0, j - _DIGIT_REACH), min(n, k + _DIGIT_REACH)) is not None \
            and not words.is_digit_word(text[j:k])
    return k, found


def _digit_block(ch: str) -> str:
    cp = ord(ch)
    if 0xFF10 <= cp <= 0xFF19:
        return "fullwidth-digits"
    if 0x0660 <= cp <= 0x0669 or 0x06F0 <= cp <= 0x06F9:
        return "arabic-indic-digits"
    if 0x0966 <= cp <= 0x096F:
        return "devanagari-digits"
    return "unicode-digits"


@dataclass(slots=True)
class Normalized:
    """Normalized text and, per normalized char, the original span it came from."""

    text: str
    starts: Sequence[int]
    ends: Sequence[int]
    #: (original start, original end, transform) for every change made
    events: list[tuple[int, int, str]] = field(default_factory=list)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if not self.starts:
            return (0, 0)
        end = max(end, start + 1)
        start = min(max(start, 0), len(self.starts) - 1)
        end = min(end, len(self.ends))
        return (self.starts[start], self.ends[end - 1])

    def transforms_in(self, start: int, end: int) -> tuple[str, ...]:
        """Transforms that touched the original span [start, end)."""
        found: dict[str, None] = {}
        for s, e, name in self.events:
            if s < end and e > start:
                found[name] = None
        return tuple(found)

    def transforms_finder(self) -> Callable[[int, int], tuple[str, ...]]:
        """``transforms_in``, for many spans of one reading: the events indexed by start
        once (a table's look-alike reading has an event a row and a finding a row: the
        loop over every event for every finding was quadratic in the window)."""
        events = self.events
        if len(events) < 16:
            return self.transforms_in
        order = sorted(range(len(events)), key=lambda i: events[i][0])
        firsts = [events[i][0] for i in order]
        longest = max(e - s for s, e, _ in events)

        def find(start: int, end: int) -> tuple[str, ...]:
            # an event that touches [start, end) starts before ``end`` and ends after
            # ``start``, so starts after ``start - longest``
            lo = bisect.bisect_right(firsts, start - longest)
            hi = bisect.bisect_left(firsts, end)
            hits = sorted(i for i in order[lo:hi] if events[i][1] > start)
            return tuple(dict.fromkeys(events[i][2] for i in hits))

        return find

    @property
    def changed(self) -> bool:
        return bool(self.events)


def identity(text: str) -> Normalized:
    n = len(text)
    # ranges, not lists: most of a file's windows are unchanged by normalization
    return Normalized(text, range(n), range(1, n + 1), [])


def sanitize(text: str) -> str:
    """Replace lone surrogates (and NUL) so the text is valid Unicode; length is kept."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def _one_pass(text: str, decode: bool, lookalike: bool = False) -> Normalized:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    events: list[tuple[int, int, str]] = []
    i = 0
    n = len(text)
    ascii_only = text.isascii()

    def emit(s: str, a: int, b: int) -> None:
        for c in s:
            out.append(c)
            starts.append(a)
            ends.append(b)

    def _keep_or_nfkc(ch: str, i: int) -> None:
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch and not (len(folded) > 1 and folded.isalpha() and unicodedata.category(ch)[0] in "SP" and (
                (out and out[-1][-1].isdigit()) or text[i + 1 : i + 2].isdigit())):
            # (a symbol NFKC spells with two letters or more, ``™`` ``℠`` ``№``, touching a
            # digit: a symbol between digit groups is a separator, ``536™22™8710``, kept as
            # written; a circled ``Ⓑ`` is one letter, the letter it shows)
            # NFKC can itself produce digits or dashes.
            emit(_fold(folded), i, i + 1)
            events.append((i, i + 1, "nfkc"))
        else:
            out.append(ch)
            starts.append(i)
            ends.append(i + 1)

    token_end = 0  # confusable letters: the token already judged, and its verdict
    token_fold = False
    plain = _PLAIN_RUN.match

    while i < n:
        run = plain(text, i)
        if run is not None:  # ASCII that no rule touches: copied at C speed
            j = run.end()
            if text[j - 1] == "#" and j < n and text[j] in "\ufe0f\u20e3" and _KEYCAP_SIGN.match(text, j - 1):
                j -= 1  # a keycap #️⃣: its own rule below
        if run is not None and j > i:
            out.append(text[i:j])  # ``out`` holds strings; a char is out[-1][-1]
            starts.extend(range(i, j))
            ends.extend(range(i + 1, j + 1))
            i = j
            continue
        ch = text[i]
        if ch == "<":
            m = _TAG_RE.match(text, i)
            if m:
                end = text[m.end() - 1]
                name = m.group(0)[1:].lstrip("/").split(None, 1)[0].rstrip("/>").lower() if m.group(0)[1:2] != "!" else ""
                if end in "\x1e\x1f":
                    emit(end, i, m.end())  # an HTML table's cell or row boundary (``mark_html_tables``)
                elif name == "table":
                    emit("\n", i, m.end())  # a table is a block of its own lines, as rendered
                elif name in _BLOCK_TAGS:
                    emit(" ", i, m.end())
                events.append((i, m.end(), "html-tags"))
                i = m.end()
                continue
        elif decode and ch == "&":
            m = _ENTITY_RE.match(text, i)
            if m:
                decoded = html.unescape(m.group(0))
                if decoded != m.group(0):
                    emit(_fold(decoded), i, m.end())
                    events.append((i, m.end(), "html-entities"))
                    i = m.end()
                    continue
        elif decode and ch == "%":
            m = _PERCENT_RE.match(text, i)
            if m:
                try:
                    decoded = unquote_to_bytes(m.group(0)).decode("utf-8")
                except UnicodeDecodeError:
                    decoded = ""
                # an all-digit escape of a control (%11, %00; not the tab %09) is read
                # as text: "4111%1111" keeps its percent sign as a separator (any P*/S*
                # is one, issue 15); %1E, %0A... still decode (to a space, a line break)
                if decoded and not (_DECODED_CONTROLS.search(decoded) and m.group(0).replace("%", "").isdigit()
                                    and decoded != "\t"):
                    emit(_fold(decoded), i, m.end())
                    events.append((i, m.end(), "percent-encoding"))
                    i = m.end()
                    continue
        elif ch == ":":
            m = _EMOJI.match(text, i)
            if m:
                emit(_EMOJI_DIGITS[m.group(1).lower()], i, m.end())
                events.append((i, m.end(), "emoji-digits"))
                i = m.end()
                continue
        elif ch in "*#" and _KEYCAP_SIGN.match(text, i):
            k = _KEYCAP_SIGN.match(text, i).end()  # type: ignore[union-attr]
            emit(" ", i, k)  # keycap *️⃣ #️⃣: an emoji image, a separator (never markup)
            events.append((i, k, "emoji-separators"))
            i = k
            continue
        elif ch in _MD_DROP:
            if ch != "`" and _blank_around(text, i, ch):
                # a run of ``*`` or ``~`` with white space on both sides neither opens nor
                # closes emphasis (CommonMark's flanking rules): shown as written, a mark
                # (``CCNN  *  BANK  *  NNNN``, ``NNN  ~  NN``)
                j = i
                while j < n and text[j] == ch:
                    j += 1
                out.append(text[i:j])
                starts.extend(range(i, j))
                ends.extend(range(i + 1, j + 1))
                i = j
                continue
            events.append((i, i + 1, "markdown"))
            i += 1
            continue
        elif ch == "_" and (empty := _TEX_EMPTY_SCRIPT.match(text, i)) is not None:
            events.append((i, empty.end(), "markdown"))  # ``5_{}36``: an empty subscript, nothing
            i = empty.end()
            continue
        elif ch == "_":
            j = i + 1
            while j < n and text[j] == "_":
                j += 1
            prev_digit = bool(out) and out[-1][-1].isdigit()
            k = j
            while k < n and text[k] in "*`~_":  # other markup between: dropped too
                k += 1
            next_digit = k < n and (text[k].isdigit() or (text[k] == ":" and _EMOJI.match(text, k) is not None))
            if (prev_digit or next_digit) and not _in_shortcode(text, i):
                if j - i == 1:
                    emit(" ", i, i + 1)  # 536_22_8710: a separator
                # a run ("__" strong emphasis, or more) is markup: dropped
                events.append((i, j, "markdown"))
                i = j
                continue
        if ascii_only or ch.isascii():
            if ch < " " and (ch not in _KEPT_CONTROLS or (ch == "\r" and text[i + 1 : i + 2] != "\n")):
                if _LINE_BREAK.match(ch):  # \v \f and a bare \r are line breaks
                    emit("\n", i, i + 1)
                    events.append((i, i + 1, "line-breaks"))
                else:
                    emit(" ", i, i + 1)
                    events.append((i, i + 1, "control-chars"))
            else:
                out.append(ch)
                starts.append(i)
                ends.append(i + 1)
            i += 1
            continue
        # non-ASCII character
        cat = unicodedata.category(ch)
        if lookalike and (alike := _lookalike_digits().get(ch)) is not None:
            emit(alike, i, i + 1)  # the digit it looks like (``normalize_lookalike``)
            events.append((i, i + 1, "lookalike-digits"))
        elif lookalike and ch in _BAR_ONES and _bar_glued(text, i):
            emit("1", i, i + 1)  # a bar glued to a digit drawn as ``1`` (det21: ``9￨66``, ``0￨∣-``)
            events.append((i, i + 1, "lookalike-digits"))
        elif cat == "Cf" or _ignorable(ch):
            events.append((i, i + 1, "zero-width"))
        elif cat in _MARKS and _mark_droppable(out[-1][-1] if out else "", text, i):
            events.append((i, i + 1, "combining-marks"))
        elif cat == "Nl" and _ROMAN_FIRST <= ch <= _ROMAN_LAST and _roman_in_word(text, i):
            # a Roman numeral glued to an ASCII letter (``ⅬU28 0019 ...``, ``PⅬ61``): the
            # letter it is drawn as (NFKC), a confusable in a word, not a number (atk21d)
            emit(unicodedata.normalize("NFKC", ch), i, i + 1)
            events.append((i, i + 1, "roman-letters"))
        elif (value := _digit_value(ch, cat)) is not None and (lookalike or cat != "So"):
            # a pictograph's number (a die face) only in the second reading: in the first
            # it is a symbol, a separator between digit groups as any other ("536⚀22⚀8710")
            emit(value, i, i + 1)
            events.append((i, i + 1, "digit-pictographs" if cat == "So" else "digit-forms"))
        elif _RI_FIRST <= ch <= _RI_LAST and (k := _flag_between_digits(text, i, out)):
            # a flag (a pair of regional indicators) glued after a digit: a picture between
            # the digit groups, a separator as any emoji there (``142🇺🇸486``), never the
            # letters ``US`` glued to the number (attack atk17d emoji_split)
            emit(" ", i, k)
            events.append((i, k, "emoji-separators"))
            i = k
            continue
        elif cat == "So" and (letter := _enclosed_letters().get(ch)) is not None:
            emit(letter, i, i + 1)
            events.append((i, i + 1, "enclosed-letters"))
        elif (cat == "Lm" or ch in _punct_letters()) and ch not in _DASHES and out and _digit_before(out) \
                and _digit_after(text, i):
            # a modifier letter or a letter that looks like punctuation (``ˑ``, ``ꞏ`` like ``·``)
            # between two digits: a separator, as a symbol there is (issue 15); also with
            # blanks around or doubled (``536 ㅡ 22``, ``536ㅡㅡ22``: attack pass 14 F4); after a
            # blank, nothing more (``536 ㅡㅡ 22`` reads ``536  22``)
            if out[-1][-1] not in " \t" and not _mark(out[-1][-1]) and not (i + 1 < len(text) and _mark(text[i + 1])):
                emit(" ", i, i + 1)  # (beside a mark, the mark is the separator: ``536ـ-22`` reads ``536-22``)
            events.append((i, i + 1, "letter-punctuation"))
        elif cat[0] == "L" and (look := _confusables().get(ch)) is not None:
            if i >= token_end:
                token_end, token_fold = _token_has_ascii_alnum(text, i)
            if token_fold:
                emit(look, i, i + 1)
                events.append((i, i + 1, "confusable-letters"))
            else:
                _keep_or_nfkc(ch, i)
        elif cat == "Nd":
            emit(str(unicodedata.decimal(ch)), i, i + 1)
            events.append((i, i + 1, _digit_block(ch)))
        elif ch in _DASHES or cat == "Pd":
            emit("-", i, i + 1)
            events.append((i, i + 1, "unicode-dashes"))
        elif _LINE_BREAK.match(ch):  # U+0085, U+2028, U+2029
            emit("\n", i, i + 1)
            events.append((i, i + 1, "line-breaks"))
        elif cat == "Zs" or _WHITE_SPACE.match(ch):
            emit(" ", i, i + 1)
            events.append((i, i + 1, "nfkc"))
        elif cat in ("Cs", "Co", "Cn", "Cc"):
            emit(" " if cat != "Cs" else "\ufffd", i, i + 1)
        else:
            _keep_or_nfkc(ch, i)
        i += 1
    return Normalized("".join(out), starts, ends, events)


#: How far ``letter-punctuation`` looks past blanks and other such letters for the digits
#: on either side (``536 ㅡㅡ 22``: four)
_SEPARATOR_REACH = 4


def _separator_letter(c: str) -> bool:
    return not c.isascii() and (unicodedata.category(c) == "Lm" or c in _punct_letters()) and c not in _DASHES


#: the regional indicator symbols (U+1F1E6..U+1F1FF): a pair shows a flag
_RI_FIRST, _RI_LAST = "\U0001f1e6", "\U0001f1ff"


def _flag_between_digits(text: str, i: int, out: list[str]) -> int:
    """The end of the flag at ``i`` (exactly two regional indicators, with variation
    selectors or joiners after them) when the pass's output ends with an ASCII digit and no
    regional indicator follows the pair, or 0.  Four or more in a row spell letters (an IBAN's
    bank code written with them, ``🇼🇪🇸🇹``), and a flag after a blank or a word (``🇬🇧82``)
    stays a country code."""
    n = len(text)
    if not (out and out[-1] and out[-1][-1].isascii() and out[-1][-1].isdigit()):
        return 0
    if not (i + 1 < n and _RI_FIRST <= text[i + 1] <= _RI_LAST):
        return 0
    k = i + 2
    while k < n and text[k] in "\ufe0f\ufe0e\u200d":
        k += 1
    if k < n and _RI_FIRST <= text[k] <= _RI_LAST:
        return 0
    return k


def _digit_before(out: list[str]) -> bool:
    """The pass's output ends with a digit, after at most ``_SEPARATOR_REACH`` blanks (what
    the letters before became, or the text's own) and marks (``_mark``: ``536-ـ22``)."""
    seen = 0
    for chunk in reversed(out):
        for c in reversed(chunk):
            if c.isdigit():
                return True
            if (c not in " \t" and not _mark(c)) or seen >= _SEPARATOR_REACH:
                return False
            seen += 1
    return False


def _digit_after(text: str, i: int) -> bool:
    """A digit follows ``text[i]`` after at most ``_SEPARATOR_REACH`` blanks, marks and
    letters that show as separators (``536ـ-22``: a tatweel, then the dash)."""
    n = len(text)
    j = i + 1
    while j < n and j - i <= _SEPARATOR_REACH and (text[j] in " \t" or _mark(text[j]) or _separator_letter(text[j])):
        j += 1
    return j < n and _digitish(text[j])


def _mark(c: str) -> bool:
    """A punctuation mark or a symbol (``-`` ``.`` ``/`` ``·``): what stands between digit
    groups as their separator, beside which a separator letter is nothing more."""
    return unicodedata.category(c)[0] in "PS"


def _fold(s: str) -> str:
    """Digits, dashes and format chars inside decoded or NFKC-folded text."""
    s = _DECODED_CONTROLS.sub(" ", s)  # decoded text never brings a table boundary or a control
    if s.isascii() and "\r" not in s and "\x0b" not in s and "\x0c" not in s:
        return s
    res: list[str] = []
    for c in s:
        if c != "\n" and (c == "\r" or not c.isascii()) and _LINE_BREAK.match(c):
            res.append("\n")  # a decoded line break, whichever (``&#x2028;``, ``%0B``)
            continue
        if c.isascii() and c < " " and c not in "\t\n":
            res.append("\n" if _LINE_BREAK.match(c) else " ")
            continue
        cat = unicodedata.category(c)
        if cat == "Cf" or _ignorable(c):
            continue
        if cat in _MARKS and res and (res[-1].isascii() and res[-1].isalnum()):
            continue
        if cat == "Nd":
            res.append(str(unicodedata.decimal(c)))
        elif (value := _digit_value(c, cat)) is not None:
            res.append(value)
        elif c in _DASHES or cat == "Pd":
            res.append("-")
        else:
            res.append(c)
    return "".join(res)


def _through_starts(outer: Normalized, inner: Sequence[int]) -> list[int]:
    """``outer.starts[s]`` for each ``s`` of ``inner`` (past the end: ``outer``'s last end,
    or 0).  When every ``s`` is inside (the usual case) by ``map`` at C speed: a window
    of a file is tens of thousands of positions, mapped once per step that changes it."""
    n = len(outer.starts)
    if inner and n and min(inner) >= 0 and max(inner) < n:
        if isinstance(inner, range) and inner == range(n):
            return list(outer.starts)  # an unchanged inner reading (``identity``): the same values, copied in C
        if isinstance(outer.starts, range) and outer.starts == range(n):
            return list(inner)  # through an unchanged outer reading: each ``s`` is its own start
        return list(map(outer.starts.__getitem__, inner))
    return [outer.starts[s] if s < n else (outer.ends[-1] if outer.ends else 0) for s in inner]


def _through_ends(outer: Normalized, inner: Sequence[int]) -> list[int]:
    """``outer.ends[e - 1]`` for each ``e`` of ``inner`` (0 or past the end: ``outer``'s
    last end, or 0); by ``map`` when every ``e`` is inside."""
    n = len(outer.ends)
    if inner and n and min(inner) > 0 and max(inner) <= n:
        if isinstance(inner, range) and inner == range(1, n + 1):
            return list(outer.ends)  # (as ``_through_starts``)
        if isinstance(outer.ends, range) and outer.ends == range(1, n + 1):
            return list(inner)
        return list(map(outer.ends.__getitem__, map((-1).__add__, inner)))
    return [outer.ends[e - 1] if 0 < e <= n else (outer.ends[-1] if outer.ends else 0) for e in inner]


def _compose(outer: Normalized, inner: Normalized) -> Normalized:
    """``inner`` normalized ``outer.text``; map inner positions through outer to the original."""
    starts = _through_starts(outer, inner.starts)
    ends = _through_ends(outer, inner.ends)
    events = list(outer.events)
    for s, e, name in inner.events:
        a, b = outer.original_span(s, e)
        events.append((a, b, name))
    return Normalized(inner.text, starts, ends, events)


def _may_spell(text: str) -> bool:
    """A separator word or an SSA label may be in ``text`` (``in`` tests on the lower-cased
    text: several times faster than the case-insensitive alternation on long text), or the
    gate pass's reading of the words when it read the text (False proves none is in it)."""
    seen = gatescan.scanned(_SPELLED_TRIGGER, text)
    if seen is not None:
        return seen
    if text.isascii():
        low = text.lower()
        return any(word in low for word in _SPELLED_WORDS)
    return _SPELLED_TRIGGER.search(text) is not None


def _spelled(text: str) -> Normalized | None:
    """Separator words between digits -> their mark; SSA labels -> ``AAA-GG-SSSS``."""
    spans: list[tuple[int, int, str]] = []  # (start, end, replacement) in text order
    for a, b, ident in _positional_parts(text):
        spans.append((a, b, ident))
    for m in _SSA_LABELS.finditer(text):
        if any(a < m.end() and m.start() < b for a, b, _ in spans):
            continue
        spans.append((m.start(), m.start(1), ""))
        spans.append((m.end(1), m.start(2), "-"))
        spans.append((m.end(2), m.start(3), "-"))
    for m in _SPELLED_SEP.finditer(text):
        if (m.group(1).lower() == "then" and _ROUND_AFTER.match(text, m.end()) is not None
                and _ROUND_BEFORE.search(text, max(0, m.start() - 20), m.start()) is not None):
            continue  # quantities one after the other
        if not any(a < m.end() and m.start() < b for a, b, _ in spans):
            spans.append((m.start(), m.end(), _SPELLED_AS[m.group(1).lower()]))
    if not spans:
        return None
    spans.sort()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    events: list[tuple[int, int, str]] = []
    pos = 0
    for a, b, rep in spans:
        for k in range(pos, a):
            out.append(text[k])
            starts.append(k)
            ends.append(k + 1)
        for c in rep:
            out.append(c)
            starts.append(a)
            ends.append(b)
        events.append((a, b, "spelled-separators"))
        pos = b
    for k in range(pos, len(text)):
        out.append(text[k])
        starts.append(k)
        ends.append(k + 1)
    return Normalized("".join(out), starts, ends, events)


# -- what renders as a number: links, emoji shortcodes, CJK numerals, glued labels --------

#: A Markdown inline link whose text holds a digit: it renders as its text.
_LINK = re.compile(r"\[([^\[\]\n]{1,80})\]\(([^()\s]{0,500}(?:\s+\"[^\"\n]{0,80}\")?)\)")
#: A reference link ``[536][1]`` renders as its text too (its target is defined elsewhere).
_REF_LINK = re.compile(r"\[([^\[\]\n]{1,80})\]\[([^\[\]\n]{0,40})\]")
#: A Markdown link or image whose text is blank (after the pass: emphasis markers, comments,
#: entities and invisible characters already gone): ``[](x)``, ``[ ](x "t")``, ``![](x =0x0)``.
#: Mattermost's marked (mattermost/marked lib/marked.js ``inline.link``: ``^!?\[(inside)\]\((href)\)``,
#: ``inside`` may be empty, ``href`` anything but parentheses with two levels of balanced ones)
#: renders it as an anchor with no text (webapp/channels/src/utils/markdown/renderer.tsx
#: ``link()``: ``'>' + text + '</a>'``) or an image with an empty ``alt`` (``image()``, sized
#: by ``=WxH``): nothing a reader sees between the characters around it.
_EMPTY_LINK = re.compile(
    r"!?\[[ \t\n]{0,80}\]\(((?:[^()\n]|\n(?!\n)|\((?:[^()\n]|\([^()\n]{0,200}\)){0,200}\)){0,500})\)")
#: ``[][label]`` (``[] [label]``): marked's ``reflink`` with empty text; an anchor with no text
#: when the text defines the label (``[label]: url``), else shown as written.
_EMPTY_REF_LINK = re.compile(r"!?\[[ \t]{0,80}\][ \t]{0,8}\[([^\[\]\n]{1,40})\]")
#: The one keycap emoji that is a single code point (U+1F51F KEYCAP TEN, category So
#: without a numeric value); the others are a digit, U+FE0F and U+20E3 (combining-marks).
_KEYCAP_TEN = "\N{KEYCAP TEN}"
#: Letters with a digit value (Unicode Numeric_Value 0..9) that are not digits: CJK
#: numerals (``〇一二三``... and the financial forms ``零壹贰叁``...), Roman numerals...
_NUMERALS = regex.compile(
    r"(?=[\p{Lo}\p{Nl}])[" + "".join(rf"\p{{Numeric_Value={d}}}" for d in range(10)) + "]"
)
_NUMERAL_VALUE = [regex.compile(rf"\p{{Numeric_Value={d}}}") for d in range(10)]
#: Such numerals are read as digits only in a run of at least this many digits and
#: numerals (separated by at most two non-letters): "五三六-二二-八七一〇", never the
#: 一 of 一个 or the 三四 of 三四个.
MIN_NUMERAL_RUN = 4
_NUMERAL_RUN = regex.compile(
    r"(?:[0-9]|(?=[\p{Lo}\p{Nl}])[" + "".join(rf"\p{{Numeric_Value={d}}}" for d in range(10)) + r"])"
    r"(?:(?:[^\p{L}\p{N}\n]{0,2}|[ \t][^\p{L}\p{N}\s][ \t])(?:[0-9]|(?=[\p{Lo}\p{Nl}])["
    + "".join(rf"\p{{Numeric_Value={d}}}" for d in range(10)) + r"]))"
    + "{" + str(MIN_NUMERAL_RUN - 1) + ",}"
)
#: Labels of an identifier written glued to its digits ("SSNAAA-GG-SSSS", "card4111...",
#: "#ssnAAAGGSSSS"): a space is put between, so the digits are a run and the label is
#: context.  The short ones only as a whole word; the long ones also at the end of a
#: longer one ("myssn536..."), then a space before them too.
_GLUED_SHORT = ("soc", "tin", "ein", "fein", "cc", "acc", "rtn", "aba")
#: Short labels that are also country codes of ISINs and IBANs (NO, SS...) or common
#: abbreviations: only with a mark before the digits ("SS#AAAGGSSSS", "no.12345678").
_GLUED_MARKED = ("ss", "no", "nbr", "num", "ac", "rt", "dl")
_GLUED_SHORT_SET = frozenset(_GLUED_SHORT)
_GLUED_MARKED_SET = frozenset(_GLUED_MARKED)
_GLUED_LONG = ("ssns", "ssn", "social", "security", "itin", "acct", "account", "accnt", "card", "iban", "routing", "cusip",
               "passport", "license", "licence", "number", "visa", "amex", "mastercard", "discover")
#: Common words a missing space glues to a number ("my SSN isAAA-GG-SSSS"): only as a
#: whole word, and only in lower case (upper-case IS, MY, AT are ISIN/IBAN countries).
_GLUED_WORDS = frozenset(("is", "my", "for", "its", "was", "are", "her", "his", "use", "the", "here", "mine", "be"))
#: A label with "no"/"num"/"nbr" glued after it ("acctno12345678", "ssnnum536..."): the
#: suffix is part of the label.
_GLUED_SUFFIXES = ("no", "num", "nbr", "nr")
#: A digit right after a letter, or after a letter and one of ``#:.``: digit-led, so the
#: search costs little on text with few digits (a label-led alternation costs far more
#: on every chat message).
_GLUE_POINT = re.compile(r"[0-9](?<=[A-Za-z][0-9])|[0-9](?<=[A-Za-z][#:.][0-9])")
#: Any digit touching a letter (before it, or after it with one of ``#:.`` between).
_GLUE_ANY = re.compile(r"[0-9](?:(?<=[A-Za-z][0-9])|(?<=[A-Za-z][#:.][0-9])|(?=[A-Za-z]))")
#: The same without lookarounds (a match exactly where ``_GLUE_ANY`` has one), for the one
#: pass of gatescan.py, which reads lookarounds loosely
_GLUE_HINT = re.compile(r"[A-Za-z][#:.]?[0-9]|[0-9][A-Za-z]")
gatescan.register(_GLUE_HINT)


#: ``bytes.translate`` table: an ASCII letter to ``a``, an ASCII digit to ``0``, ``#:.`` to
#: ``#``, every other byte to a blank (``_glue_points``)
_GLUE_BYTES = bytes(ord("a") if chr(b).isascii() and chr(b).isalpha() else ord("0") if chr(b) in "0123456789"
                    else ord("#") if chr(b) in "#:." else ord(" ") for b in range(256))


def _glue_points(text: str) -> list[int]:
    """The starts of ``_GLUE_POINT``'s matches in ``text``, in order: the ASCII digits with
    an ASCII letter before them, or one of ``#:.`` then an ASCII letter.

    A match is the one digit (the lookbehinds consume nothing), so the matches are exactly
    those digits.  On ASCII text they are found as ``a0`` and ``a#0`` in the text
    translated to ``a`` (letter), ``0`` (digit), ``#`` and blanks, by ``bytes.find`` (one
    C pass, then Python per glue point, not per digit); other text runs the regex."""
    if not text.isascii():
        return [m.start() for m in _GLUE_POINT.finditer(text)]
    data = text.encode("ascii").translate(_GLUE_BYTES)
    found: list[int] = []
    for pair, at in ((b"a0", 1), (b"a#0", 2)):
        k = data.find(pair)
        while k >= 0:
            found.append(k + at)
            k = data.find(pair, k + 1)
    found.sort()
    return found


def _glue_any(text: str) -> bool:
    """A digit touches a letter (``_GLUE_ANY`` has a match)."""
    return gatescan.may_search(_GLUE_HINT, text) and _GLUE_ANY.search(text) is not None
_GLUED_AFTER = re.compile(
    r"(?i)[0-9](" + "|".join((*_GLUED_LONG, "exp", "cvv", "cvc", "dob")) + r")(?![A-Za-z])"
)
#: A run of digits (and separators) starting at a boundary, with a word glued after it
#: (two letters or more, then no digit: "...366X" is a serial's check letter, "...9AB12" one token).
_LONG_RUN_THEN_LETTER = re.compile(r"[0-9](?<![A-Za-z0-9#:.\-/][0-9])(?:[0-9 .\-/]{0,24}[0-9])?(?=[A-Za-z]{2,}(?![A-Za-z0-9]))")
#: Digits a run needs before a word glued after it is split off (the shortest identifier
#: read without a label before it: SSN, ITIN, routing number).
MIN_GLUED_DIGITS = 9
#: What a match of ``_LONG_RUN_THEN_LETTER`` with ``MIN_GLUED_DIGITS`` digits or more
#: holds (that many characters of the run or more, up to its 26, then two letters), for
#: the one pass of gatescan.py: a text without it has no number to split from a word
#: glued after it.
_LONG_RUN_HINT = re.compile(rf"[0-9][0-9 .\-/]{{{MIN_GLUED_DIGITS - 1},25}}[A-Za-z]{{2}}")
gatescan.register(_GLUED_AFTER, _LONG_RUN_HINT)
#: The digits after a glued label, up to the letters glued after them ("ssnAAA-GG-SSSSok").
_GLUED_DIGITS = re.compile(r"[0-9](?:[0-9 .\-/]{0,24}[0-9])?(?=[A-Za-z])")
_TAG_HINT = re.compile(r"<[A-Za-z!/]")
_MD_MARKS = ("*", "`", "~", "__")


def may_render(text: str, alone: bool = False) -> bool:
    """``text`` (raw ASCII) may hold digits its raw form hides: markup between digits
    (an HTML comment, a tag, a link, Markdown emphasis, TeX commands) or digit emoji shortcodes.  The engine's quick
    check runs on the raw text; with this, also on the normalized one.  ``alone``: for the
    engine's reading of ``text`` by itself, number words only where its normalization
    reads them (``words.may_read_number_words``); else wherever one stands (a piece of a
    number split across fields may be one word)."""
    return ("](" in text or "][" in text or "] [" in text or ("<" in text and _TAG_HINT.search(text) is not None)
            or (":" in text and _EMOJI.search(text) is not None)
            or ("\\" in text and _TEX_HINT.search(text) is not None)
            or may_have_shortcode(text)  # "4111:star:1111"  # "\mathtt{536}-\mathtt{22}-..."
            or any(mark in text for mark in _MD_MARKS)  # dropped: digits further apart than they render
            or (words.may_read_number_words(text) if alone else digit_bound(text) > 0)  # "five three six two ..."
            or (may_have_filler(text) and bool(_filler_edits(text)))  # "536, then 22, ends 8710"
            or (_may_position(text) and bool(_positional_parts(text)))  # "ends 8710, starts 536, middle 22"
            or (_may_speak(text) and bool(words.spoken_digit_edits(text))))  # "ssn V III VI ..."


def may_read_as_digits(text: str, alone: bool = False) -> bool:
    """The engine's first gate for raw ASCII text beyond the prefilter's quick check
    (``Engine._analyze``, ``Engine.could_find``): ``text`` may hold digits only its
    reading shows (number words, markup or shortcodes between digits, look-alike or leet
    letters beside digits, keyed digit fragments, table rows).  False: the normalizer
    turns nothing in it into digits.  Also the gateway's test of which JSON keys, query
    names and websocket action names may hold an identifier (gateway/extract.py
    ``key_may_hold_number``, atrest.py), so that set is the detector's own.  ``alone``:
    for the engine's own reading of ``text`` (``may_render``)."""
    return (may_render(text, alone) or may_have_letter_digits(text) or may_have_leet_digits(text)
            or ROW in text or may_hold_fragments(text))


def rendered_digits(text: str) -> int:
    """At least how many digits the rendering steps (digit emoji shortcodes, U+1F51F KEYCAP
    TEN, letters with a numeric value such as CJK numerals) add to ``text``: for a gate
    that bounds the digits a scan sees without normalizing (the gateway's inline-scan
    gate adds this to its own count).  Linear; 0 for text with none of them.

    A text with HTML entities, percent escapes or LaTeX ``\\char`` is read decoded too (the engine reads
    the decoded text as typed): every digit its decoded text holds or normalizes to, and
    what rendering adds to it, are counted on top."""
    n = _rendered_digits(text)
    if "&" in text or "%" in text or "\\" in text:
        decoded = decode_escapes(text)
        if decoded is not None:
            shown = decoded.text
            n += sum(map(shown.count, "0123456789")) + _rendered_digits(shown)
            if not shown.isascii():
                n += sum(_char_digits(c) for c in shown if not c.isascii())
    return n


@functools.lru_cache(maxsize=65_536)
def _char_digits(ch: str) -> int:
    """Digits the pass makes of one non-ASCII character (``²`` 1, ``⑩`` 2, ``⅒`` 3)."""
    return sum(c.isdigit() for c in _one_pass(ch, decode=False).text) + sum(
        c.isdigit() for c in _one_pass(unicodedata.normalize("NFKC", ch), decode=False).text)


def _rendered_digits(text: str) -> int:
    n = 0
    if ":" in text:
        n += 2 * len(_EMOJI.findall(text))
    if not text.isascii():
        n += 2 * text.count(_KEYCAP_TEN) + len(_NUMERALS.findall(text)) + 2 * len(_ROMAN_TENS.findall(text))
        n += sum(sum(c in _SINO_KOREAN for c in m.group(0)) for m in _sino_korean_runs(text))
        if "\u283c" in text:
            n += sum(sum(c in _BRAILLE_DIGITS for c in m.group(0)) for m in _BRAILLE_NUMBER.finditer(text))
            n += sum(sum(c in _NEMETH_DIGITS for c in m.group(0)) for m in _NEMETH_NUMBER.finditer(text))
    if "\\" in text and _TEX_DEF_HINT.search(text) is not None:  # digits macros add (``\def\x{8}\x``)
        macros = _tex_macros(text)
        if macros is not None:
            n += max(0, sum(map(macros.text.count, "0123456789")) - sum(map(text.count, "0123456789")))
    words = digit_bound(text)
    if not text.isascii() or any(m in text for m in "*_~`<"):
        # number words the other steps expose: a numeral glued to a word ("五three"), an
        # invisible character or markup inside one ("th\u200bree", "th**ree**")
        words = max(words, digit_bound(_bare(text)))
    if n:
        # number words glued to a digit that rendering makes ("üçüç🔟" reads 3310: the
        # words glued to the keycap's 10), counted with the rendered digits in place
        # (and the Sino-Korean and Braille digits: ``00000오오two`` reads 00000552, the word
        # glued to the 오 that reads 5)
        shown = _EMOJI.sub("00", text) if ":" in text else text
        if not shown.isascii():
            shown = _NUMERALS.sub("0", shown.replace(_KEYCAP_TEN, "10"))
            shown = _rendered_in_place(shown)
        words = max(words, digit_bound(shown), digit_bound(_bare(shown)))
    return n + words


def _rendered_in_place(text: str) -> str:
    """``text`` with the digits of its Sino-Korean runs and Braille numbers written as
    ``0`` in place (same length): where number words glued to them are read."""
    runs = _sino_korean_runs(text)
    if not runs and "\u283c" not in text:
        return text
    chars = list(text)
    for m in runs:
        for k in range(m.start(), m.end()):
            if chars[k] in _SINO_KOREAN:
                chars[k] = "0"
    if "\u283c" in text:
        for rx, cells in ((_BRAILLE_NUMBER, _BRAILLE_DIGITS), (_NEMETH_NUMBER, _NEMETH_DIGITS)):
            for m in rx.finditer(text):
                for k in range(m.start(), m.end()):
                    if chars[k] in cells:
                        chars[k] = "0"
    return "".join(chars)


_MARKUP = re.compile(r"<[^>]{0,200}>|[*_~`]")


def _bare(text: str) -> str:
    """``text`` with markup and invisible characters dropped and every non-ASCII
    character with a numeric value made a space: where number words may be read once
    the rendering steps have run (only for ``rendered_digits``'s bound).  One
    ``str.translate`` pass over ``_BARE_CHARS`` (the gate runs on the event loop, for
    every split-window join: a Python loop over each character took ~0.65 us a
    character of compatibility digits)."""
    return _MARKUP.sub("", text).translate(_BARE_CHARS)


def bare_char(ch: str) -> str | None:
    """What ``_bare`` makes of one character: itself, ``None`` (dropped: a combining
    mark or an invisible character), a space (a non-ASCII character with a numeric value)
    or the ASCII letters NFKC folds it to."""
    if ch.isascii():
        return ch
    if unicodedata.category(ch) in ("Mn", "Me") or _ignorable(ch):
        return None
    if unicodedata.numeric(ch, None) is not None:
        return " "
    folded: str = unicodedata.normalize("NFKC", ch)
    if folded.isascii() and folded.isalpha():
        return folded  # a compatibility letter (``𝕗``, full-width ``ｆ``): a number word's letter
    return ch


class _BareChars(dict[int, "str | None"]):
    """``bare_char`` by code point, each computed once (``str.translate``'s table); at most
    ``limit`` kept (text of every code point costs the per-character call, not memory)."""

    def __init__(self, limit: int) -> None:
        super().__init__((c, chr(c)) for c in range(128))
        self.limit = limit

    def __missing__(self, code: int) -> str | None:
        out = bare_char(chr(code))
        if len(self) < self.limit:
            self[code] = out
        return out


_BARE_CHARS = _BareChars(limit=65_536)


def _numeral_digit(ch: str) -> str:
    if ch.isascii():
        return ch
    for d, rx in enumerate(_NUMERAL_VALUE):
        if rx.match(ch):
            return str(d)
    return ch  # pragma: no cover - _NUMERALS admits these only


def _edit(text: str, edits: list[tuple[int, int, str, int, int]], tail: list[tuple[int, int]],
          names: list[str]) -> Normalized:
    """``text`` with the sorted, non-overlapping ``edits`` (start, end, replacement,
    and the original span its characters map to) applied, then each ``tail`` range of
    ``text`` appended after a paragraph break (a link's target: still scanned, never
    joined with the text)."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    events: list[tuple[int, int, str]] = []
    pos = 0
    for (a, b, rep, sa, sb), name in zip(edits, names, strict=True):
        out.append(text[pos:a])
        starts.extend(range(pos, a))
        ends.extend(range(pos + 1, a + 1))
        out.append(rep)
        starts.extend([sa] * len(rep))
        ends.extend([sb] * len(rep))
        events.append((a, b, name))
        pos = b
    out.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    for a, b in tail:
        gap = len(text)
        out.append("\n\n\n\n")
        starts.extend([max(gap - 1, 0)] * 4)
        ends.extend([gap] * 4)
        out.append(text[a:b])
        starts.extend(range(a, b))
        ends.extend(range(a + 1, b + 1))
    return Normalized("".join(out), starts, ends, events)


#: Group sizes of an identifier written with a stroke numeral (``一`` CJK one, ``〡`` Hangzhou
#: one: ``_STROKE_NUMERALS``) as its dash between ASCII digit groups: SSN/ITIN 3-2-4, EIN 2-7,
#: cards in fours (the last 1-4), Amex 4-6-5, Diners 4-6-4.
_DASHED_SHAPES = frozenset({(3, 2, 4), (2, 7), (4, 6, 5), (4, 6, 4),
                            *((4, 4, 4, last) for last in range(1, 5)), (4, 4, 4, 4, 3)})


def _one_as_dash(run: str) -> bool:
    """``536一22一8710``, ``12〡3456789``, ``536-22一8710``: every numeral of the run is a stroke
    numeral (``_STROKE_NUMERALS``) between ASCII digits, and the ASCII digit groups it and the
    run's other separators make are an identifier's shape: the stroke is its dash."""
    if not run.isascii() and all(c.isascii() or c in _STROKE_NUMERALS for c in run):
        parts = _NON_DIGITS.split(run)
        return all(parts) and tuple(map(len, parts)) in _DASHED_SHAPES
    return False


_NON_DIGITS = re.compile(r"[^0-9]+")


#: Digit groups with one ASCII letter between each two (``536x22x8710``): a candidate
#: for ``_letter_separators``.  Digit-led: costs little on text with few digits.
_LETTER_SEPARATED = re.compile(r"[0-9](?<![0-9]{2})[0-9]{0,6}(?:[A-Za-z][0-9]{1,7}){1,4}(?![0-9])")
_HEX = frozenset("0123456789abcdefABCDEF")


def _letter_separators(text: str) -> Normalized | None:
    """A single ASCII letter, the same one (either case) between every two digit groups
    of an identifier's exact shape (``_DASHED_SHAPES``: 3-2-4, 2-7, a card's fours,
    Amex/Diners), is its separator: ``536x22x8710`` reads ``AAA-GG-SSSS``.  The run
    stands on its own (no digit or other letter glued to it) or is glued to the same
    letter, which then separates a label too (``xSSNx536x22x8710`` reads
    ``SSN AAA-GG-SSSS``).  Different letters (``AB123C45``, a CUSIP's check letter), other
    shapes, and a run inside a longer hexadecimal token (a hash: ``deadb536b22b8710``)
    stay as written."""
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _LETTER_SEPARATED.finditer(text):
        run = m.group(0)
        seps = [c for c in run if c.isalpha()]
        sep = seps[0].lower()
        if any(c.lower() != sep for c in seps):
            continue
        sizes = tuple(len(g) for g in re.split(r"[A-Za-z]", run))
        if sizes not in _DASHED_SHAPES:
            continue
        a, b = m.span()
        before = text[a - 1] if a else ""
        after = text[b] if b < len(text) else ""
        if (before.isalnum() and before.lower() != sep) or (after.isalnum() and after.lower() != sep):
            continue  # inside a longer alphanumeric token
        k, e = a, b
        while k > 0 and text[k - 1].isascii() and text[k - 1].isalnum():
            k -= 1
        while e < len(text) and text[e].isascii() and text[e].isalnum():
            e += 1
        if sep in "abcdef" and (k < a - 1 or e > b + 1) and all(c in _HEX for c in text[k:e]):
            continue  # more of a hexadecimal token around it: a hash, not an identifier
        if after and after.lower() == sep and b + 1 < len(text) and text[b + 1].isdigit():
            continue  # more digit groups follow: not this shape
        edits.extend((i, i + 1, "-", i, i + 1) for i in range(a, b) if text[i].isalpha())
        if before:
            if before.lower() == sep:
                edits.append((a - 1, a, " ", a - 1, a))
                if k < a - 1 and text[k].lower() == sep and a - 1 - k > 2:
                    edits.append((k, k + 1, " ", k, k + 1))  # "xSSNx": the label between two
        if after and after.lower() == sep:
            edits.append((b, b + 1, " ", b, b + 1))
    edits.extend(_letter_run_edits(text, {e[0] for e in edits}))
    if not edits:
        return None
    edits = sorted(set(edits))
    return _edit(text, edits, [], ["letter-separators"] * len(edits))


#: Single digits (or an IBAN's capitals) with one ASCII letter between each two, nine digits
#: or more, as a token of its own (``0z0z7z1z0z5z6z2z4``): a candidate for ``_interleaved``.
_INTERLEAVED = re.compile(r"(?<![0-9A-Za-z])[0-9A-Z](?:[A-Za-z][0-9A-Z]){7,}(?![0-9A-Za-z])")
_INTERLEAVED_HINT = re.compile(r"[0-9][A-Za-z][0-9][A-Za-z][0-9][A-Za-z][0-9]")
gatescan.register(_INTERLEAVED_HINT)
#: the digits read from such a token, at least (one fewer, an account number's eight, with
#: words saying to drop the letters or an identifier label near)
MIN_INTERLEAVED_DIGITS = 9
#: words telling the reader to leave the letters out ("(ignore the letters)", "drop the
#: letters", "digits only"), on the token's line
_IGNORE_LETTERS = re.compile(
    r"(?i)(?<![a-z])(?:(?:ignore|drop|remove|skip|strip|delete|disregard|omit|without|minus|no)[ \t]+"
    r"(?:the[ \t]+|all[ \t]+(?:the[ \t]+)?|any[ \t]+)?(?:letters?|alphas?|chars?|characters?)"
    r"|(?:digits|numbers|numerals)[ \t]+only|only[ \t]+(?:the[ \t]+)?(?:digits|numbers|numerals)"
    r"|letters[ \t]+(?:are[ \t]+)?(?:noise|filler|padding|fake|decoys?))(?![a-z])")
#: an IBAN's country and check digits (its mod-97 check is the recognizer's)
_IBAN_START = re.compile(r"[A-Z]{2}[0-9]{2}")
_IBAN_LABEL = re.compile(r"(?i)(?<![a-z])iban(?![a-z])")
#: how far from the token such words may be (on its line)
_IGNORE_REACH = 60


def _interleaved(text: str) -> Normalized | None:
    """A letter between every two digits of a token of nine digits or more (eight with
    the words or a label below) (``0z0z7z1z0z5z6z2z4``, ``4x8x0x9x...``): the letters are dropped
    (``interleaved-letters``) when they are one letter repeated (either case: no id, hash
    or size writes one letter between every two of nine digits; ``4x8`` is two), or when
    words on the token's line tell the reader to leave them out (``(ignore the
    letters)``, ``drop the letters``, ``digits only``: ``_IGNORE_LETTERS``), or, letters
    of the token all lower case and one of them no hexadecimal digit (a hex id is
    ``0-9a-f``), between digits (or after an IBAN's country and check digits), with an
    identifier label on the line near it (``_labelled``: ``ssn: 2z4w0y0v3w5j1h6w8``).  An IBAN's capitals between the letters are kept
    (``NhLh4h4hIhNhGh...`` reads ``NL44INGB...``), with one letter repeated or the
    words only."""
    if not gatescan.may_search(_INTERLEAVED_HINT, text) or _INTERLEAVED_HINT.search(text) is None:
        return None
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _INTERLEAVED.finditer(text):
        token = m.group(0)
        kept, dropped = token[0::2], token[1::2]
        digits = sum(c.isdigit() for c in kept)
        if digits < MIN_INTERLEAVED_DIGITS - 1:
            continue
        a, b = m.span()
        lo = max(text.rfind("\n", 0, a) + 1, a - _IGNORE_REACH)
        nl = text.find("\n", b)
        hi = min(len(text) if nl < 0 else nl, b + _IGNORE_REACH)
        told = _IGNORE_LETTERS.search(text, lo, a) is not None or _IGNORE_LETTERS.search(text, b, hi) is not None
        iban = _IBAN_START.match(kept) is not None
        labelled = _labelled(text, a, b) or (iban and _IBAN_LABEL.search(text, lo, hi) is not None)
        if digits < MIN_INTERLEAVED_DIGITS and not (told or labelled):
            continue
        if len({c.lower() for c in dropped}) > 1 and not told and not (
                (kept.isdigit() or iban) and dropped.islower() and not all(c in _HEX for c in dropped) and labelled):
            continue
        edits.extend((k, k + 1, "", k, k + 1) for k in range(a + 1, b, 2))
    if not edits:
        return None
    return _edit(text, edits, [], ["interleaved-letters"] * len(edits))


def _told_filler(text: str) -> Normalized | None:
    """``_told_filler_edits`` as a reading step (``interleaved-letters``)."""
    edits = _told_filler_edits(text)
    return _edit(text, sorted(set(edits)), [], ["interleaved-letters"] * len(set(edits))) if edits else None


#: Digit groups with a run of letters between each two, one run of two letters or more
#: (``536abc22xyz8710``, ``4111ab1111cd1111ef1111``: attack pass 15), a run may hold one
#: ``-`` ``.`` ``/`` before or after its letters (``536ab-22cd-8710``: attack pass 16): a
#: candidate for ``_letter_run_edits``.
_LETTER_RUNS = re.compile(
    r"[0-9](?<![0-9]{2})[0-9]{0,6}(?:(?:[-./]?[A-Za-z]{1,8}[-./]?|[-./])[0-9]{1,7}){1,4}(?![0-9])")
_RUN_GAP = re.compile(r"[^0-9]+")
#: what every run ``_letter_run_edits`` edits holds: a run of two letters or more, between
#: a group's last digit and the next group's first, a ``-`` ``.`` ``/`` on either side (an
#: element of ``_LETTER_RUNS``' repeat); a text the one pass finds none in has no such edit
#: (a table of dates, prices and one-letter CUSIPs: ``_LETTER_RUNS`` was tried at every digit)
_LETTER_RUN_HINT = re.compile(r"[0-9][-./]?[A-Za-z]{2,8}[-./]?[0-9]")
gatescan.register(_LETTER_RUN_HINT)
#: The 4-4-1 split of a routing number, read only when its nine digits pass the ABA check.
_ABA_SHAPE = (4, 4, 1)
#: The identifier labels that make glued hexadecimal letters between digit groups a
#: separator (``client SSN 536ee22ee8710``): on the token's line, ``_LABEL_BEFORE``
#: characters before it or ``_LABEL_AFTER`` after it.
_ID_LABEL = re.compile(
    r"(?<![a-z])(?:ssns?|ss#|social|itin|tin|ein|taxpayer|cards?|cc|credit|debit|visa|amex|mastercard|pan|"
    r"acct|account|a/c|routing|aba|rtn|transit|bank|checking|savings)(?![a-z])", re.IGNORECASE)
_LABEL_BEFORE = 60
_LABEL_AFTER = 30
#: a separator that chains a token to the next hexadecimal group (a UUID's ``-``)
_CHAIN = "-.:_/"


#: words telling the reader to leave filler characters out (det23: ``skip the x's``,
#: ``drop every other character``, ``every 2nd char is noise``, ``remove the junk chars``,
#: ``only the numbers count``, with ``_IGNORE_LETTERS``' words)
_FILLER_TOLD = re.compile(
    r"(?i)(?<![a-z])(?:(?:ignore|drop|remove|skip|strip|delete|disregard|omit|lose|cut|toss)[ \t]+"
    r"(?:the[ \t]+|all[ \t]+(?:the[ \t]+)?|any[ \t]+|every[ \t]+)?(?:(?:extra|junk|filler|fake|random|stray)[ \t]+)?"
    r"(?:(?:letters?|chars?|characters?|symbols?)[ \t]+)?"
    r"(?:([a-z])(?:'?s)?|'([^\s'\"0-9])'(?:'?s)?|\"([^\s'\"0-9])\"(?:'?s)?)(?![a-z0-9])"
    r"|(?:ignore|drop|remove|skip|strip|delete|disregard|omit|lose|cut|toss)[ \t]+"
    r"(?:the[ \t]+|all[ \t]+(?:the[ \t]+)?|any[ \t]+)?(?:(?:extra|junk|filler|fake|random|odd|non-?digit)[ \t]+)?"
    r"(?:letters?|alphas?|chars?|characters?|symbols?|[a-z]'?s|fillers?|junk|noise|padding|non-?digits?)"
    r"|(?:drop|skip|remove|ignore|read|take|keep|delete|strip)[ \t]+every[ \t]+(?:other|2nd|second|odd|even)"
    r"|every[ \t]+(?:other|2nd|second)[ \t]+(?:char(?:acter)?|letter|symbol|one)[ \t]+(?:is|are)[ \t]+"
    r"(?:noise|filler|junk|padding|fake|decoys?)"
    r"|(?:digits|numbers|numerals)[ \t]+only|only[ \t]+(?:the[ \t]+)?(?:digits|numbers|numerals)"
    r"|(?:letters|chars|characters|symbols)[ \t]+(?:are[ \t]+)?(?:noise|filler|padding|fake|junk|decoys?))(?![a-z])")
#: how far from the digits such words may be (either side, any line)
_FILLER_REACH = 200
#: a run of blank-separated tokens each holding a digit, perhaps filler between them
_FILLER_RUN = re.compile(r"[^\s]*[0-9][^\s]*(?:[ \t][^\s]*[0-9][^\s]*)*")
#: a token's edge that is punctuation of the sentence, never filler: ``(``, ``:``...
_FILLER_EDGE = "()[]{},;:\"'"
#: the digits such a run holds at least, and the filler gaps (1-2 characters between two
#: digits) among them
_FILLER_DIGITS = 9
_FILLER_GAPS = 3
gatescan.register(_FILLER_TOLD)


def _told_filler_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Filler between an identifier's digits with words telling the reader to leave it out
    (det23: ``5x3x6x2x2x8x7x1x0 (skip the x's)``, ``5a3b6-2c2-8d7e1f0 (ignore the letters)``,
    ``drop every other character: 5q3w6e...``, ``2x.2x.2x...``): in a run of blank-separated
    tokens each holding a digit, every two digits of a token apart by one or two characters
    (any but a blank: a hex id has digits side by side), a ``-`` kept as the group separator it is, at least nine digits and three
    filler gaps, with the words (``_FILLER_TOLD``) within 200 characters: the filler
    characters are dropped, the digits and separators kept; the recognizers validate.
    A run with fewer gaps has its few filler characters dropped as ``_sparse_filler`` says
    (atk22r R2: ``SSN AAA-GG-SSSx0 (skip the x)``).  Without the words, ``_interleaved``
    reads only one repeated letter or a label's token, ``_card_typo_edits`` one letter in a
    labelled card."""
    if not gatescan.may_search(_FILLER_TOLD, text):
        return []
    found = list(_FILLER_TOLD.finditer(text))
    if not found:
        return []
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _FILLER_RUN.finditer(text):
        a, b = m.span()
        near = [t for t in found if t.start() - _FILLER_REACH <= b and a <= t.end() + _FILLER_REACH]
        if not near:
            continue
        run: list[tuple[int, int, str, int, int]] = []
        places: list[int] = []
        digits = gaps = 0
        ok = True
        for t in re.finditer(r"[^ \t]+", m.group(0)):
            ta, tb = a + t.start(), a + t.end()
            while ta < tb and text[ta] in _FILLER_EDGE:
                ta += 1
            while tb > ta and text[tb - 1] in _FILLER_EDGE:
                tb -= 1
            where = [i for i in range(ta, tb) if text[i].isdigit()]
            if not where:
                ok = False
                break
            lead, trail = where[0] - ta, tb - 1 - where[-1]
            if lead > 2 or trail > 2:
                ok = False
                break
            run.extend((i, i + 1, "", i, i + 1) for i in range(ta, where[0]))
            run.extend((i, i + 1, "", i, i + 1) for i in range(where[-1] + 1, tb))
            for p, q in itertools.pairwise(where):
                gap = text[p + 1 : q]
                if not gap:  # every two digits apart: filler, not a hex id's run (``9d4e5f60``)
                    ok = False
                    break
                body = gap.replace("-", "")
                if len(body) > 2 or gap.count("-") > 1:
                    ok = False
                    break
                if body:
                    gaps += gap == body
                    run.extend((i, i + 1, "", i, i + 1) for i in range(p + 1, q) if text[i] != "-")
            if not ok:
                break
            digits += len(where)
            places.extend(where)
        if ok and digits >= _FILLER_DIGITS and gaps >= _FILLER_GAPS:
            if digits == sum(_SSN_PART_LENGTHS) and "-" not in m.group(0) and " " not in m.group(0):
                # nine digits alone: the words make it the 3-2-4 the writer hid (a bare
                # nine needs a label the words stand for); the first filler character
                # after the third and the fifth digit reads as the dash
                dash = {places[2] + 1, places[4] + 1} & {e[0] for e in run}
                run = [(e[0], e[1], "-" if e[0] in dash else "", e[3], e[4]) for e in run]
            edits.extend(run)
        else:  # a few filler characters only (``AAA-GG-SSSx0 (skip the x)``)
            edits.extend(_sparse_filler(text, a, b, near))
    return edits


#: the digits a run holds at least for a few filler characters in it to be dropped
_SPARSE_FILLER_DIGITS = 8
#: a group separator inside a token (``AAA-GG-SSSS``, ``4532.0151``)
_GROUP_SEPARATORS = "-."


def _iban_as_written(compact: str) -> bool:
    """``compact`` (blanks removed) is an IBAN that passes its mod-97 check as written."""
    if not (15 <= len(compact) <= 34 and compact.isalnum() and compact.isascii()
            and _IBAN_START.match(compact.upper()) is not None):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _sparse_filler(text: str, a: int, b: int, told: list[re.Match[str]]) -> list[tuple[int, int, str, int, int]]:
    """A few filler characters inside a run of digit groups (``text[a:b]``, blank-separated
    tokens each holding a digit) with words telling the reader to drop them (atk22r R2:
    ``SSN AAA-GG-SSSx0 (skip the x)``, ``acct 4829x103755 (drop the x's)``, ``GB82 WEST 1234
    5698 x7654 32 (skip the x)``): when the words name the character (``skip the x``, ``drop
    the 'q'``), each run of it glued to a digit; when they name none (``ignore the
    letters``, ``remove the junk``), each single letter between two digits.  A token loses
    its filler only when what is left is digits and group separators (a hash keeps its
    other letters, and so stays as written) or, first in the run, an IBAN's country and
    check digits; the run holds eight digits or more (or is that IBAN start), and the
    run is no IBAN that passes its check as written (``FR14 ... 3M02 606``).  Any number of
    such characters: the recognizers validate what is left (Luhn, SSN areas, ABA, mod-97,
    an account's label)."""
    named = {c.lower() for t in told for c in t.groups() if c and not c.isdigit()}  # a digit is never filler
    letters = any(not any(t.groups()) for t in told)
    run = text[a:b]
    if _iban_as_written("".join(run.split())):
        return []
    edits: list[tuple[int, int, str, int, int]] = []
    digits = 0
    lead_iban = False  # an IBAN's country and check digits lost filler (``GB8x2``): its groups follow
    for t in re.finditer(r"[^ \t]+", run):
        ta, tb = a + t.start(), a + t.end()
        while ta < tb and text[ta] in _FILLER_EDGE:
            ta += 1
        while tb > ta and text[tb - 1] in _FILLER_EDGE:
            tb -= 1
        digits += sum(text[i].isdigit() for i in range(ta, tb))
        drop: list[int] = []
        i = ta
        while i < tb:
            c = text[i]
            if c.lower() in named:
                j = i
                while j < tb and text[j].lower() == c.lower():
                    j += 1
                if (i > ta and text[i - 1].isdigit()) or (j < tb and text[j].isdigit()):
                    drop.extend(range(i, j))
                i = j
                continue
            if (letters and c.isascii() and c.isalpha() and ta < i < tb - 1
                    and text[i - 1].isdigit() and text[i + 1].isdigit()):
                drop.append(i)
            i += 1
        if not drop:
            continue
        dropped = set(drop)
        kept = "".join(text[i] for i in range(ta, tb) if i not in dropped)
        iban = _IBAN_START.fullmatch(kept) is not None and t.start() == 0
        if not iban and (not kept or not kept[0].isdigit() or not kept[-1].isdigit() or any(
                not (ch.isdigit() or ch in _GROUP_SEPARATORS) for ch in kept)):
            continue  # letters left (a hash, an IBAN's bank code): as written
        lead_iban = lead_iban or iban
        edits.extend((i, i + 1, "", i, i + 1) for i in drop)
    return edits if edits and (digits >= _SPARSE_FILLER_DIGITS or lead_iban) else []


#: A card's word right before digit groups with one letter glued between two digits of a
#: group (``card 4532 0151 1283 03x66``: atk22r R2, a typo-like junk letter): a candidate
#: for ``_card_typo_edits``.  The groups start and end with a digit, a blank or a dash
#: between two of them, the letter between two digits (never at a group's edge: ``x4329``
#: is an order id's).
_CARD_TYPO = re.compile(
    r"(?i)(?<![a-z])(?:card|cc|credit|debit|visa|mastercard|amex|pan)(?:[ \t]*(?:#|no\.?|num(?:ber)?|nbr))?"
    r"[ \t]*[:#=]?[ \t]*([0-9](?:[0-9]|[ -](?=[0-9])|[a-z](?=[0-9])){12,24})(?![0-9a-z])")
gatescan.register(_CARD_TYPO)


def _card_typo_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """The one letter glued between two digits of a card number right after a card's word
    (``_CARD_TYPO``), dropped when the digits without it are a card (13-19 digits, an
    issuer's range and the Luhn check: ``recognizers.cards.card_valid``).  One letter
    only, and only with the card's word right at the groups: a hex id, an order id
    (``x4329``), a ticker or a part number after no card word stays as written, and a
    random letter-less reading passes Luhn one time in ten and the issuer ranges less."""
    if not gatescan.may_search(_CARD_TYPO, text):
        return []
    # here, not at the top: the recognizers import dlp_proxy.detect, this module's package
    from dlp_proxy.recognizers.cards import card_valid

    edits: list[tuple[int, int, str, int, int]] = []
    for m in _CARD_TYPO.finditer(text):
        a, b = m.span(1)
        where = [i for i in range(a, b) if text[i].isalpha()]
        if len(where) != 1:
            continue
        if card_valid("".join(c for c in m.group(1) if c.isdigit())) is None:
            continue
        edits.append((where[0], where[0] + 1, "", where[0], where[0] + 1))
    return edits


def _labelled(text: str, a: int, b: int) -> bool:
    """An identifier label (``_ID_LABEL``) on the line of ``text[a:b]``, near it."""
    lo = max(text.rfind("\n", 0, a) + 1, a - _LABEL_BEFORE)
    nl = text.find("\n", b)
    hi = min(len(text) if nl < 0 else nl, b + _LABEL_AFTER)
    return _ID_LABEL.search(text, lo, a) is not None or _ID_LABEL.search(text, b, hi) is not None


def _hex_chained(text: str, a: int, b: int) -> bool:
    """``text[a:b]`` is one group of a longer hexadecimal id: a chaining mark (``_CHAIN``)
    and a letter or digit before or after it (``...-e89b-12d3a456...``, a UUID's groups)."""
    return (a >= 2 and text[a - 1] in _CHAIN and text[a - 2].isalnum()) or (
        b + 1 < len(text) and text[b] in _CHAIN and text[b + 1].isalnum())


def _hex_reads_as_id(text: str, a: int, b: int, digits: str, sizes: tuple[int, ...]) -> bool:
    """Runs of hexadecimal letters only between the groups of an identifier's shape
    (``536ee22ee8710``, ``4111ab1111cd1111ef1111``): read as separators when an identifier
    label is on the line near the token (``client SSN 536ee22ee8710``: ``_labelled``), or
    without one when the digits pass the shape's check (a card's fours and Luhn, a
    routing number's 4-4-1 and the ABA check); never when the token is one group of a
    longer hexadecimal id (a UUID's group: ``_hex_chained``).  Otherwise it is a hex token
    (a commit id, a request id, ``614bd27e3934``): an SSN's 3-2-4 has no check digit, and
    a random 12-32 character hex id takes that shape often enough to matter."""
    if _hex_chained(text, a, b):
        return False
    if _labelled(text, a, b):
        return True
    if sizes == _ABA_SHAPE:
        return aba_ok(digits)
    return len(sizes) >= 4 and sizes[0] == 4 and luhn_ok(digits)


def _letter_run_edits(text: str, done: set[int]) -> list[tuple[int, int, str, int, int]]:
    """Runs of letters glued between the digit groups of an identifier's exact shape
    (``_DASHED_SHAPES``, and a routing number's 4-4-1 when its digits pass the ABA check),
    at least one of two letters or more, a run may hold a ``-`` ``.`` ``/`` at either end
    (``536ab-22cd-8710``), the token standing on its own (no letter or digit glued to
    either end): each run is the identifier's dash (``NNNabcNNxyzNNNN`` reads
    ``NNN-NN-NNNN``).  Runs of hexadecimal letters only are read so only as
    ``_hex_reads_as_id`` says (a label near, or a checked shape: ``client SSN
    536ee22ee8710``, ``card 4111ab1111cd1111ef1111``); otherwise they stay a hex token
    (``614bd27e3934``, a UUID's last group; a commit id).  A single letter between groups is
    ``_letter_separators``' (the same letter only); a token that starts or ends with
    letters (an order id, ``ORD536ab22cd8710``), other shapes and longer tokens stay as
    written."""
    edits: list[tuple[int, int, str, int, int]] = []
    if not gatescan.may_search(_LETTER_RUN_HINT, text):
        return edits
    for m in _LETTER_RUNS.finditer(text):
        a, b = m.span()
        if a in done or (a and text[a - 1].isalnum()) or (b < len(text) and text[b].isalnum()):
            continue
        letters = re.findall(r"[A-Za-z]+", m.group(0))
        if not letters or max(map(len, letters)) < 2:
            continue
        groups = re.findall(r"[0-9]+", m.group(0))
        sizes = tuple(map(len, groups))
        digits = "".join(groups)
        if sizes == _ABA_SHAPE:
            if not aba_ok(digits):
                continue
        elif sizes not in _DASHED_SHAPES:
            continue
        if all(c in _HEX for run in letters for c in run) and not _hex_reads_as_id(text, a, b, digits, sizes):
            continue  # (a hex token: a request id, a UUID's group, ``614bd27e3934``)
        edits.extend((a + r.start(), a + r.end(), "-", a + r.start(), a + r.end())
                     for r in _RUN_GAP.finditer(m.group(0)))
    return edits


#: Digit groups apart by one separator (``-``, a blank, ``/``), one group or more split by
#: a mark inside it (``53:6-22-8710``, ``536-2:2-87:10``): a candidate for ``_inner_mark_edits``.
_INNER_GROUP = r"[0-9]{1,6}(?:[:;.,'|_][0-9]{1,6}){0,2}"
_INNER_MARKED = re.compile(
    rf"(?<![0-9A-Za-z.:,;'|_-]){_INNER_GROUP}(?:[- /]{_INNER_GROUP}){{1,4}}(?![0-9A-Za-z]|[-/.:,;'|_][0-9])")


#: ``_INNER_MARKED`` digit-led: the check before its first digit made after that digit (the
#: same matches: ``re`` then skips to the digits, where the leading lookbehind was tried at
#: every position of the text); the one pass reads ``_INNER_MARKED`` itself
_INNER_MARKED_DIGIT_LED = re.compile(
    rf"[0-9](?<![0-9A-Za-z.:,;'|_-][0-9])[0-9]{{0,5}}(?:[:;.,'|_][0-9]{{1,6}}){{0,2}}(?:[- /]{_INNER_GROUP}){{1,4}}"
    r"(?![0-9A-Za-z]|[-/.:,;'|_][0-9])")


#: a mark inside a digit group: every run ``_INNER_MARKED`` edits holds one (a run
#: without is passed over), so a text with none has no edit
_INNER_MARK_HINT = re.compile(r"[0-9][:;.,'|_][0-9]")
gatescan.register(_INNER_MARKED, _INNER_MARK_HINT)
#: a run's marks and its separators (a table's dates, ``2024-11-19``, are runs without a
#: mark: hundreds in a window of a blotter)
_INNER_MARK = re.compile(r"[:;.,'|_]")
_INNER_SEP = re.compile(r"[- /]")


def _inner_mark_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """A mark inside a digit group of an identifier whose groups one separator keeps apart
    (``53:6-22-8710``, ``536-2:2-87:10``, ``4111 11.11 1111 1111``): dropped when the
    groups, marks left out, make up the identifier's exact shape (``_DASHED_SHAPES``) and
    every group is apart from the next by the same separator.  A time or a decimal in a
    range (``12:30-14:45``, ``1.5-2.25``) makes no such shape."""
    edits: list[tuple[int, int, str, int, int]] = []
    if not gatescan.may_search(_INNER_MARK_HINT, text) or not gatescan.may_search(_INNER_MARKED, text):
        return edits
    for m in _INNER_MARKED_DIGIT_LED.finditer(text):
        run = m.group(0)
        inside = _INNER_MARK.findall(run)
        if not inside:
            continue
        seps = _INNER_SEP.findall(run)
        if len(set(seps)) != 1 or (len(inside) > 1 and ("." in inside or "," in inside)):
            continue  # (two decimal points or more: a version, ``2.1.0-22-1234``)
        sizes = tuple(sum(c.isdigit() for c in g) for g in run.split(seps[0]))
        if sizes not in _DASHED_SHAPES:
            continue
        a = m.start()
        edits.extend((a + k, a + k + 1, "", a + k, a + k + 1) for k, c in enumerate(run) if c in ":;.,'|_")
    return edits


#: Sino-Korean digit words, one Hangul syllable each (영/공 zero: 공 as read in phone and
#: account numbers; 령/륙 the initial-sound forms).
_SINO_KOREAN = {"영": "0", "공": "0", "령": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5", "육": "6",
                "륙": "6", "칠": "7", "팔": "8", "구": "9"}
#: A Sino-Korean digit run: at least ``MIN_SINO_KOREAN_RUN`` digit syllables and digits, with
#: nothing or one mark (blanks around it) between two, not glued to another Hangul syllable
#: (``오삼육-이이-팔칠일공``; never the words 이사, 사이, 오이, 일일이 of running Korean,
#: which blanks separate); or each syllable standing alone, one or two blanks or a mark
#: between two (``육 육 이 - 팔 사 - 일 팔 이 일``: a digit said one syllable at a time; running
#: Korean has no seven such one-syllable words in a row).
MIN_SINO_KOREAN_RUN = 7
_SK = "".join(_SINO_KOREAN)
_SINO_KOREAN_RUN = re.compile(
    rf"(?<![\uac00-\ud7a3])[{_SK}0-9](?:(?:[ \t]?[^\w\s][ \t]?)?[{_SK}0-9]){{{MIN_SINO_KOREAN_RUN - 1},}}"
    rf"(?![\uac00-\ud7a3])"
    rf"|(?<![\w])[{_SK}](?:(?:[ \t]{{1,2}}|[ \t]?[^\w\s][ \t]?)[{_SK}0-9](?![\w])){{{MIN_SINO_KOREAN_RUN - 1},}}"
)
_SINO_KOREAN_HINT = re.compile(rf"[{_SK}](?:[ \t]?[^\w\s][ \t]?|[ \t]{{1,2}})?[{_SK}]")


def _sino_korean_runs(text: str) -> list[re.Match[str]]:
    if _SINO_KOREAN_HINT.search(text) is None:
        return []
    return [m for m in _SINO_KOREAN_RUN.finditer(text) if sum(c in _SINO_KOREAN for c in m.group(0)) >= 2]


#: A link reference definition: ``[label]: url`` at the start of a line, at most three spaces in
#: (marked's ``block.def``).
_LINK_DEF = re.compile(r"(?m)^ {0,3}\[([^\[\]\n]{1,40})\]:")


def _defined_labels(text: str) -> frozenset[str]:
    """The link reference labels ``text`` defines, as marked looks them up (lower case,
    blanks folded: ``(cap[2] || cap[1]).replace(/\\s+/g, ' ')``, ``this.links[link.toLowerCase()]``)."""
    return frozenset(" ".join(m.group(1).split()).lower() for m in _LINK_DEF.finditer(text))


def _is_ref_link(defined: frozenset[str], m: re.Match[str]) -> bool:
    """``[text][label]`` reads as a link (its label not shown): when the text defines the
    label (``[label]: url``: ``defined``, ``_defined_labels``), or the label is no digit group.  An undefined label renders
    as written (CommonMark), so ``[536][22][8710]`` is three bracketed digit groups side by
    side (the bracket step reads them), while a footnote-like ``[536][1]-22-8710`` is still
    read without its marker."""
    label = m.group(2)
    if " ".join(label.split()).lower() in defined:
        return True
    return not (len(label) >= 2 and label.isdigit())


#: Braille digits (Unified English Braille): the number sign ``⠼`` then the cells of the
#: letters a-j, 1-9 and 0 (``⠼⠑⠉⠋`` is 536); in the number, a hyphen ``⠤``, a period ``⠲``,
#: a comma ``⠂`` or a blank cell U+2800 before a further digit (or number sign) keep it
#: going.  Nemeth code's lower-cell digits are not read.
_BRAILLE_DIGITS = dict(zip("\u2801\u2803\u2809\u2819\u2811\u280b\u281b\u2813\u280a\u281a", "1234567890", strict=True))
_BRAILLE_IN_NUMBER = {"\u283c": "", "\u2824": "-", "\u2832": ".", "\u2802": ",", "\u2800": " "}
_BD = "".join(_BRAILLE_DIGITS)
_BRAILLE_NUMBER = re.compile(f"\u283c[{_BD}](?:[{_BD}]|[\u2824\u2832\u2802\u2800]?\u283c?(?=[{_BD}]))*")
#: Nemeth code's digits (mathematics Braille): the lower cells, 1-9 and 0, after the numeric
#: indicator; a number's groups apart by a hyphen (Braille or ASCII) or a blank cell
_NEMETH_DIGITS = dict(zip("\u2802\u2806\u2812\u2832\u2822\u2816\u2836\u2826\u2814\u2834", "1234567890", strict=True))
_ND = "".join(_NEMETH_DIGITS)
_NEMETH_NUMBER = re.compile(f"\u283c[{_ND}](?:[{_ND}]|[\u2824\u2800 -]?\u283c?(?=[{_ND}]))*")
_NEMETH_IN_NUMBER = {"\u283c": "", "\u2824": "-", "\u2800": " ", " ": " ", "-": "-"}


def _braille_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    edits: list[tuple[int, int, str, int, int]] = []
    if "\u283c" not in text:
        return edits
    for m in _BRAILLE_NUMBER.finditer(text):
        for k in range(m.start(), m.end()):
            c = text[k]
            edits.append((k, k + 1, _BRAILLE_DIGITS.get(c) or _BRAILLE_IN_NUMBER[c], k, k + 1))
    taken = {k for k, *_ in edits}
    for m in _NEMETH_NUMBER.finditer(text):
        if m.start() in taken:
            continue
        for k in range(m.start(), m.end()):
            c = text[k]
            if c not in " -":
                edits.append((k, k + 1, _NEMETH_DIGITS.get(c) or _NEMETH_IN_NUMBER[c], k, k + 1))
    edits.sort(key=lambda e: e[0])
    return edits


def _render(text: str) -> Normalized | None:
    """Links, emoji shortcodes and CJK numerals as they render (see the module doc)."""
    edits: list[tuple[int, int, str, int, int]] = []
    names: list[str] = []
    tail: list[tuple[int, int]] = []
    if "](" in text:
        for m in _LINK.finditer(text):
            if not any(c.isdigit() for c in m.group(1)):
                continue
            edits.append((m.start(), m.start() + 1, "", m.start(), m.start() + 1))
            names.append("markdown-links")
            edits.append((m.end(1), m.end(), "", m.end(1), m.end()))
            names.append("markdown-links")
            tail.append(m.span(2))
    if "](" in text:
        for m in _EMPTY_LINK.finditer(text):
            edits.append((m.start(), m.end(), "", m.start(), m.end()))
            names.append("markdown-links")
            tail.append(m.span(1))
    defined = _defined_labels(text) if "]:" in text else frozenset()
    if ("][" in text or "] [" in text) and defined:
        for m in _EMPTY_REF_LINK.finditer(text):
            if " ".join(m.group(1).split()).lower() in defined:
                edits.append((m.start(), m.end(), "", m.start(), m.end()))
                names.append("markdown-links")
    if "][" in text:
        for m in _REF_LINK.finditer(text):
            if any(c.isdigit() for c in m.group(1)) and _is_ref_link(defined, m):
                edits.append((m.start(), m.start() + 1, "", m.start(), m.start() + 1))
                names.append("markdown-links")
                edits.append((m.end(1), m.end(), "", m.end(1), m.end()))
                names.append("markdown-links")
    if _KEYCAP_TEN in text:
        for k in (k for k, c in enumerate(text) if c == _KEYCAP_TEN):
            edits.append((k, k + 1, "10", k, k + 1))
            names.append("emoji-digits")
    if not text.isascii() and _NUMERALS.search(text):
        for m in _NUMERAL_RUN.finditer(text):
            dash = _one_as_dash(m.group(0))
            for k in range(m.start(), m.end()):
                ch = text[k]
                if not ch.isascii() and _NUMERALS.match(ch):
                    edits.append((k, k + 1, "-" if dash else _numeral_digit(ch), k, k + 1))
                    names.append("cjk-numerals")
    if not text.isascii():
        for m in _sino_korean_runs(text):
            for k in range(m.start(), m.end()):
                if text[k] in _SINO_KOREAN:
                    edits.append((k, k + 1, _SINO_KOREAN[text[k]], k, k + 1))
                    names.append("sino-korean-digits")
        braille = _braille_edits(text)
        edits.extend(braille)
        names.extend(["braille-digits"] * len(braille))
    if "\\" in text:
        escaped = _backslash_escape_edits(text)
        edits.extend(escaped)
        names.extend(["backslash-escapes"] * len(escaped))
    if not edits:
        return None
    order = sorted(range(len(edits)), key=lambda k: edits[k][0])
    kept: list[int] = []
    reach = 0
    for k in order:  # an emoji inside a link's target: the link wins
        if edits[k][0] >= reach or edits[k][0] == edits[k][1]:
            kept.append(k)
            reach = max(reach, edits[k][1])
    if tail:  # an edit inside a link's target is left out (the target is appended as written)
        inside = _covered(tail)
        kept = [k for k in kept if not inside(edits[k][0])]
    return _edit(text, [edits[k] for k in kept], tail, [names[k] for k in kept])


def _covered(spans: list[tuple[int, int]]) -> Callable[[int], bool]:
    """Whether a position lies in one of ``spans`` (half-open; they may nest or overlap): the
    spans merged and bisected, so a text of many links costs n log n, not links x edits
    (10,000 links in 60,000 characters took 80 s)."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    firsts = [a for a, _ in merged]

    def inside(pos: int) -> bool:
        i = bisect.bisect_right(firsts, pos) - 1
        return i >= 0 and pos < merged[i][1]

    return inside


def _glued(text: str) -> Normalized | None:
    """A space between a label and the digits glued to it ("SSNAAA-GG-SSSS")."""
    if not _glue_any(text):
        return None  # no digit touches a letter
    edits: list[tuple[int, int, str, int, int]] = []
    for d in _glue_points(text):  # d: the first digit
        marked = text[d - 1] in "#:."
        j = d - 1 if marked else d  # the end of the letters
        k = j
        while k > 0 and text[k - 1].isascii() and text[k - 1].isalpha():
            k -= 1
        token = text[k:j].lower()
        if k > 0 and text[k - 1].isdigit():
            # "XS1CC2345678": inside an alphanumeric token; but a long label after a
            # number of identifier length is a label ("rtn011000015acct12345678")
            before = k
            while before > 0 and text[before - 1].isdigit():
                before -= 1
            if not (token in _GLUED_LONG and k - before >= MIN_GLUED_DIGITS):
                continue
        if len(token) == 6 and token.startswith("iban") and not marked:
            # "ibangb82west...": the label, then the IBAN's country code
            edits.append((k + 4, k + 4, " ", k + 3, k + 4))
            continue
        if token in _GLUED_SHORT_SET or (marked and token in _GLUED_MARKED_SET):
            pass
        elif text[k:j] in _GLUED_WORDS and not marked:
            pass
        else:
            stem = token
            for suffix in _GLUED_SUFFIXES:
                if token.endswith(suffix) and len(token) > len(suffix):
                    stem = token[: -len(suffix)]
                    break
            label = next((w for w in _GLUED_LONG if token.endswith(w)), None)
            if label is None and stem != token and any(stem.endswith(w) for w in (*_GLUED_LONG, *_GLUED_SHORT)):
                cut = j - (len(token) - len(stem))  # "ssn|num": the label, then its suffix
                edits.append((cut, cut, " ", cut - 1, cut))
                label = token[-(len(token) - len(stem) + next(len(w) for w in (*_GLUED_LONG, *_GLUED_SHORT)
                                                               if stem.endswith(w))):]
            if label is None:
                continue
            if len(token) > len(label):  # "myssn536...": the label is a word of its own
                edits.append((j - len(label), j - len(label), " ", j - len(label), j - len(label) + 1))
        edits.append((d, d, " ", d - 1, d))
        tail = _GLUED_DIGITS.match(text, d)
        if tail is not None and _GLUED_AFTER.match(text, tail.end() - 1) is None:
            edits.append((tail.end(), tail.end(), " ", tail.end(), tail.end() + 1))  # "...8710ok"
    if gatescan.search(_GLUED_AFTER, text):
        for m in _GLUED_AFTER.finditer(text):
            edits.append((m.start(1), m.start(1), " ", m.start(1), m.start(1) + 1))
    for m in _LONG_RUN_THEN_LETTER.finditer(text if gatescan.may_search(_LONG_RUN_HINT, text) else ""):
        # "AAAGGSSSS0please": a number of identifier length that starts on its own, with a
        # word glued after it; a token that starts with letters (an IBAN, an order id) is not it
        if sum(c.isdigit() for c in m.group(0)) >= MIN_GLUED_DIGITS:
            edits.append((m.end(), m.end(), " ", m.end(), m.end() + 1))
    if not edits:
        return None
    edits = sorted(set(edits))
    edits.sort()
    return _edit(text, edits, [], ["glued-labels"] * len(edits))


# -- inline LaTeX and number words -----------------------------------------------------

#: An inline-LaTeX pair that Mattermost renders (EnableInlineLatex): ``$`` right before
#: and after a letter, digit, brace or command, on one line (``$536$-$22$-$8710$``); a
#: price (``$536 and $22``) has a blank before its second ``$``, so it is no pair.
_TEX_PAIR = re.compile(r"\$(?=[0-9A-Za-z\\{])([^$\n]{1,80}?)(?<=[0-9A-Za-z}])\$")
#: TeX between two digits (in a ```latex block, whose fence the Markdown step drops):
#: a short stretch of TeX tokens and marks with a backslash or brace in it
#: (``536\text{-}22``, ``5\!36``, ``5{3}6``).
#: Braces closing one digit group and opening the next (``{536}{22}``): outside TeX (the
#: common case: a chat message shows its braces) side-by-side bracketed groups, a blank.
_BRACE_GROUPS = re.compile(r"\}[ \t]*\{")
_TEX_BETWEEN = re.compile(
    r"(?<=[0-9])(?=[^0-9\n]{0,40}?[\\{}])(?:\\[!,;:> ]|\\(?![xuU][0-9A-Fa-f])[A-Za-z]{2,20}[ \t]*|[{}]|[^\w\s\\{}]| ){1,12}(?=[0-9{\\])"
)
#: An empty subscript or superscript between digits (``5_{}36``, ``5^{\,}36``,
#: ``5_{\text{}}36``, ``5{}^{}_{}36``): KaTeX draws nothing there, so the digits join.
#: A group is empty when it holds blanks, TeX spacing, ``~``, empty groups and commands
#: with an empty argument (two levels deep).
_TEX_EMPTY_GROUP = r"\{(?:[ \t~]|\\[!,;:> ]|\\[A-Za-z]{1,20}[ \t]*\{[ \t~]*\}|\{[ \t~]*\})*\}"
_TEX_EMPTY_SCRIPT = re.compile(
    r"(?<=[0-9}])(?:[ \t]*" + _TEX_EMPTY_GROUP + r")*(?:[ \t]*[_^][ \t]*" + _TEX_EMPTY_GROUP + r"(?:[ \t]*"
    + _TEX_EMPTY_GROUP + r")*)+[ \t]*(?=[0-9{\\])")
#: What TeX renders as nothing between digits: spacing commands (``\!`` ``\,`` ``\;``
#: ``\:`` ``\>`` ``\ ``), a command name (``\text`` ``\mathrm`` ``\quad``), braces.
#: A command has two letters or more, and is no escape (``\x33``, ``\u0033``, ``\uFF11``:
#: the encoded-text step decodes those).
_TEX_NOISE = re.compile(r"\\[!,;:> ]|\\(?![xuU][0-9A-Fa-f])[A-Za-z]{2,20}[ \t]*|[{}]")
#: A TeX command with a braced argument (``\mathtt{536}``, ``\overline {22}``): KaTeX
#: shows its argument (decorated), so the reading is the argument.
#: An optional argument in brackets before it (``\sqrt[3]{..}``'s index, ``\rule[1pt]{..}``'s
#: raise) is not read.
_TEX_ARG_CMD = re.compile(r"\\([A-Za-z]{2,30})\*?[ \t]*(?:\[[^\[\]{}\n]{0,30}\][ \t]*)?\{")
#: Commands whose first (or first two) braced arguments are not shown: a colour, a link's
#: target, a label; or shown small above or below the last (``\overset{a}{536}``,
#: ``\underset``, ``\stackrel``, ``\overunderset{a}{b}{536}``: the reader reads the base);
#: ``\raisebox{1pt}{536}``'s dimension.
_TEX_HIDDEN_ARGS = {"textcolor": 1, "colorbox": 1, "fcolorbox": 2, "href": 1, "overset": 1, "underset": 1,
                    "stackrel": 1, "overunderset": 2, "raisebox": 1}
#: Commands whose argument is never shown and that show nothing themselves: a colour
#: switch (``\color{red}8710``), a label.
_TEX_SWITCHES = frozenset({"color", "label"})
#: Commands that colour what they show (KaTeX: ``\textcolor{c}{..}``, ``\colorbox{c}{..}``,
#: ``\fcolorbox{f}{c}{..}``, and the switch ``\color{c}`` to the end of its group): in a
#: colour the reader's theme may draw as its background (``transparent``, ``white`` on a
#: light theme, ``black`` on a dark one, any colour on a custom theme), or a box in the
#: colour of the text, the reader sees nothing there.  ``normalize_tex_hidden``'s reading.
_TEX_COLOURING = frozenset({"textcolor", "colorbox", "fcolorbox"})
#: KaTeX's HTML extensions: without ``trust`` (Mattermost's latex_block.tsx sets none) the
#: command is shown as unsupported and its body is dropped (``\htmlClass{a}{999}``)
_TEX_UNTRUSTED = frozenset({"htmlClass", "htmlStyle", "htmlData", "htmlId"})
#: overlays: what they hold is drawn over its neighbour (``53\rlap{6}6``)
_TEX_OVERLAYS = frozenset({"rlap", "llap", "clap", "mathrlap", "mathllap", "mathclap"})
#: A negative space this wide or wider (in em) between two digits draws the next digit over
#: the one before (a digit is 0.5 em wide: ``AAA\kern-0.5emA-GG-SSSS`` shows ``AAA-GG-SSSS``)
_TEX_OVERPRINT_EM = 0.4
#: three or more ``\!`` (each -1/6 em) between two digits
_TEX_NEG_RUN = re.compile(r"(?<=[0-9])(?:\\![ \t]?){3,}(?=[0-9])")
#: Commands that show a blank, whatever their argument: the phantoms (their argument's
#: room, invisible) and explicit spaces.
#: A spacing command's width decides: nothing when it is zero or negative, and nothing in
#: the ``join_narrow`` reading when narrower than a word space (``_tex_width``).  ``\rule``
#: (width, height: a bar, or an invisible strut of height 0) takes two arguments.
_TEX_BLANK_CMDS = frozenset({"phantom", "hphantom", "vphantom", "hspace", "mspace", "hskip", "mskip", "kern",
                             "mkern", "rule"})
#: KaTeX's units (src/units.js) in em at the normal size (10 pt to the em; ``mu`` 1/18 em).
_TEX_UNIT_EM = {"pt": 0.1, "mm": 0.7227 / 2.54, "cm": 7.227 / 2.54, "in": 7.227, "bp": 0.1 * 803 / 800,
                "pc": 1.2, "dd": 0.1 * 1238 / 1157, "cc": 1.2 * 1238 / 1157, "nd": 0.1 * 685 / 642,
                "nc": 1.2 * 685 / 642, "sp": 0.1 / 65536, "px": 0.1 * 803 / 800, "em": 1.0, "ex": 0.431,
                "mu": 1 / 18}
#: A TeX dimension: sign, number, unit (KaTeX's size argument, braced or bare)
_TEX_DIMEN = r"([-+]?)[ \t]*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t]*(pt|mm|cm|in|bp|pc|dd|cc|nd|nc|sp|px|em|ex|mu)"
_TEX_DIMEN_ARG = re.compile(r"[ \t]*" + _TEX_DIMEN + r"[ \t]*")
#: KaTeX's spacing primitives with a bare dimension (src/functions/kern.js: ``\kern``
#: ``\mkern`` ``\hskip`` ``\mskip`` take a size argument, braced or not: ``\kern1pt``,
#: ``\mkern-4mu``); ``\relax`` after one (as KaTeX's ``\quad`` is defined) is nothing.
_TEX_KERN_NAMES = "kern|mkern|hskip|mskip"
_TEX_KERN = re.compile(rf"\\(?:{_TEX_KERN_NAMES})(?![A-Za-z])[ \t]*" + _TEX_DIMEN
                       + r"(?:[ \t]*\\relax(?![A-Za-z]))?[ \t]?")
#: What ``normalize_tex_hidden`` reads otherwise than ``normalize``: a colouring command,
#: an untrusted extension, an overlay, a negative kern, a run of ``\!`` between digits
_TEX_HIDING_HINT = re.compile(
    r"\\(?:" + "|".join(sorted({"color", *_TEX_COLOURING, *_TEX_UNTRUSTED, *_TEX_OVERLAYS})) + r")(?![A-Za-z])"
    rf"|\\(?:{_TEX_KERN_NAMES})[ \t]*-|{_TEX_NEG_RUN.pattern}")
#: Narrower than a word space: TeX's thick space (``\;``, 5/18 em) and less.
_TEX_NARROW_EM = 0.3


def _tex_width(m: re.Match[str] | None) -> float | None:
    """The width in em of a ``_TEX_DIMEN`` match (None: no dimension)."""
    if m is None:
        return None
    sign, number, unit = m.group(1), m.group(2), m.group(3)
    width = float(number) * _TEX_UNIT_EM[unit]
    return -width if sign == "-" else width
#: Fractions and binomials: both arguments shown, read ``a/b``.
_TEX_TWO_ARGS = frozenset({"frac", "dfrac", "tfrac", "cfrac", "binom", "dbinom", "tbinom"})
#: TeX's spacing commands: narrower than a word space (``\,`` ``\:`` ``\;`` ``\>`` ``\!``,
#: ``\thinspace``...; how TeX spaces the digits of one number, ``1\,000\,000``) or a word
#: space and wider (``\ `` ``\quad`` ``\qquad`` ``\enspace``...).
_TEX_SPACE = re.compile(
    r"\\(?:([,:;>!])|( )|(quad|qquad|enspace|enskip|space|nobreakspace)(?![A-Za-z])"
    r"|(thinspace|medspace|thickspace|negthinspace|negmedspace|negthickspace)(?![A-Za-z]))[ \t]?"
)
#: Text where a TeX command may show digits differently from how it is written: for the
#: engine's quick check (``may_render``).
_TEX_HINT = re.compile(r"\\(?:[A-Za-z]{2,30}\*?[ \t]*[{\[]|[,:;>! ]|(?:quad|qquad|enspace|enskip|space|nobreakspace"
    r"|thinspace|medspace|thickspace|negthinspace|negmedspace|negthickspace|kern|mkern|hskip|mskip"
    r"|[gex]?def|let|global)(?![A-Za-z]))")
#: How far a braced argument may reach (a longer one is not read).
_TEX_ARG_REACH = 160


def _brace_pairs(text: str) -> dict[int, int]:
    """Each ``{`` -> the index of its ``}`` (one line, at most ``_TEX_ARG_REACH`` apart;
    ``\\{`` ``\\}`` are characters, not braces): one linear pass with a stack, so a text of
    many unclosed braces costs no more than one of a few."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_OR_BREAK.finditer(text):
        k = m.start()
        c = text[k]
        if c == "\n":
            stack.clear()
        elif k and text[k - 1] == "\\":
            continue
        elif c == "{":
            stack.append(k)
        elif stack:
            opened = stack.pop()
            if k - opened < _TEX_ARG_REACH:
                pairs[opened] = k
    return pairs


_BRACE_OR_BREAK = re.compile(r"[{}\n]")


def _digit_beside(text: str, i: int, step: int) -> bool:
    """A digit is the first thing shown from ``i`` on (``step`` -1: before it, +1: after
    it), past braces, ``$`` and TeX commands that open an argument."""
    k = i
    while 0 <= k < len(text):
        c = text[k]
        if c.isdigit():
            return True
        if c in "{}$":
            k += step
            continue
        if step > 0 and c == "\\":
            m = _TEX_ARG_CMD.match(text, k)
            if m is None:
                return False
            k = m.end()
            continue
        return False
    return False


def _group_end(text: str, braces: dict[int, int], at: int, pairs: list[tuple[int, int]]) -> int:
    """Where the group holding ``text[at]`` ends (a colour switch reaches that far): its
    closing brace, else the end of its ``$`` pair (``pairs``), else of its line."""
    inner = min((close for opened, close in braces.items() if opened < at < close), default=-1)
    if inner >= 0:
        return inner
    end = next((b for a, b in pairs if a <= at < b), -1)
    if end >= 0:
        return end
    line = text.find("\n", at)
    return len(text) if line < 0 else line


def _tex_edits(text: str, pairs: list[tuple[int, int]], join_narrow: bool = False, tex_hidden: bool = False
               ) -> list[tuple[int, int, str, int, int]]:
    r"""TeX read as KaTeX renders it, where it shows digits: a command with a braced
    argument shows the argument (``\mathtt{536}``, ``\overline{22}``, ``\mathrm{-}``,
    nested too); the arguments a command hides (``\textcolor{red}{..}``'s colour) and the
    phantoms and explicit spaces (``\phantom{x}``, ``\hspace{1em}``) show nothing
    there; a spacing command is a blank, except one narrower than a word space (``\,``
    ``\;`` ``\!``; or a phantom) between two digits: nothing, as TeX spaces the digits of
    one number.  Outside a ``$`` pair (``pairs``: their inner spans) only a command whose
    argument holds a digit or is a mark (``{-}``), and spacing beside a digit, are read:
    TeX written out without ``$`` is read as a reader reads it.  ``tex_hidden``: what TeX
    may hide shows nothing (``normalize_tex_hidden``)."""
    edits: list[tuple[int, int, str, int, int]] = []
    taken = 0  # the end of the last hidden span (nothing inside it is read again)
    braces = _brace_pairs(text)

    def _brace_end(_text: str, i: int) -> int:
        return braces.get(i, -1)

    def inside(k: int) -> bool:
        return any(a <= k < b for a, b in pairs)

    for m in _TEX_ARG_CMD.finditer(text):
        if m.start() < taken:
            continue
        name = m.group(1)
        close = _brace_end(text, m.end() - 1)
        if close < 0:
            continue
        arg = text[m.end() : close]
        if name in _TEX_BLANK_CMDS:
            width = _tex_width(_TEX_DIMEN_ARG.fullmatch(arg))
            if name == "rule":  # \rule{width}{height}: both arguments taken
                k = close + 1
                while k < len(text) and text[k] in " \t":
                    k += 1
                if k < len(text) and text[k] == "{" and _brace_end(text, k) > 0:
                    height = _tex_width(_TEX_DIMEN_ARG.fullmatch(text[k + 1 : _brace_end(text, k)]))
                    close = _brace_end(text, k)
                    if width is not None and width > 0 and (height is None or height > 0):
                        width = 1.0  # a visible bar: a separator, never nothing
            between = _digit_beside(text, m.start() - 1, -1) and _digit_beside(text, close + 1, 1)
            if between or inside(m.start()) or _digit_beside(text, m.start() - 1, -1) or _digit_beside(text, close + 1, 1):
                joined = (name.endswith("phantom") if width is None
                          else width <= 0 or (join_narrow and width < _TEX_NARROW_EM))
                edits.append((m.start(), close + 1, "" if (between and joined) else " ", m.start(), close + 1))
                taken = close + 1
            continue
        if tex_hidden and (name in _TEX_OVERLAYS or name in _TEX_UNTRUSTED):
            # an overlay's content, an untrusted extension's body (its second argument): not seen
            stop = close
            if name in _TEX_UNTRUSTED:
                k = close + 1
                while k < len(text) and text[k] in " \t":
                    k += 1
                stop = _brace_end(text, k) if k < len(text) and text[k] == "{" else -1
            if stop >= 0:
                edits.append((m.start(), stop + 1, " " if name in _TEX_UNTRUSTED else "", m.start(), stop + 1))
                taken = stop + 1
                continue
        if tex_hidden and name == "color":
            stop = max(_group_end(text, braces, m.start(), pairs), close + 1)
            start = m.start()
            if start and braces.get(start - 1) == stop:  # ``{\color{c}0}``: the group shows nothing
                start, stop = start - 1, stop + 1
            edits.append((start, stop, "", start, stop))
            taken = stop
            continue
        if name in _TEX_SWITCHES:
            if inside(m.start()) or _digit_beside(text, close + 1, 1) or _digit_beside(text, m.start() - 1, -1):
                edits.append((m.start(), close + 1, "", m.start(), close + 1))
                taken = close + 1
            continue
        hidden = _TEX_HIDDEN_ARGS.get(name, 0)
        if hidden:
            end, shown = close, 1
            while shown < hidden:  # the next hidden argument
                k = end + 1
                while k < len(text) and text[k] in " \t":
                    k += 1
                if k >= len(text) or text[k] != "{" or (end := _brace_end(text, k)) < 0:
                    break
                shown += 1
            k = end + 1
            while k < len(text) and text[k] in " \t":
                k += 1
            last = _brace_end(text, k) if k < len(text) and text[k] == "{" else -1
            if tex_hidden and name in _TEX_COLOURING and last >= 0:
                edits.append((m.start(), last + 1, "", m.start(), last + 1))
                taken = last + 1
                continue
            if last < 0 or not any(c.isdigit() for c in text[k:last]):
                continue
            edits.append((m.start(), k + 1, "", m.start(), k + 1))
            edits.append((last, last + 1, "", last, last + 1))
            taken = k + 1
            continue
        if not (any(c.isdigit() for c in arg) or (arg.strip() and len(arg.strip()) <= 3
                                                    and not any(c.isalnum() for c in arg))):
            continue
        edits.append((m.start(), m.end(), "", m.start(), m.end()))
        if name in _TEX_TWO_ARGS and text[close + 1 : close + 2] == "{":
            second = _brace_end(text, close + 1)
            if second > 0:
                edits.append((close, close + 2, "/", close, close + 2))
                edits.append((second, second + 1, "", second, second + 1))
                continue
        edits.append((close, close + 1, "", close, close + 1))
    if tex_hidden:  # ``536\kern-0.5em6``, ``536\!\!\!6``: the digit before is drawn over
        for m in [*_TEX_KERN.finditer(text), *_TEX_NEG_RUN.finditer(text)]:
            width = _tex_width(m) if m.re is _TEX_KERN else -0.5
            if (width is not None and width <= -_TEX_OVERPRINT_EM and m.start() > 0 and text[m.start() - 1].isdigit()
                    and m.end() < len(text) and text[m.end()].isdigit()
                    and not any(a < m.end() and m.start() - 1 < b for a, b, *_ in edits)):
                edits.append((m.start() - 1, m.end(), "", m.start() - 1, m.end()))
                taken = max(taken, m.end())
    if "kern" in text or "skip" in text:
        for m in _TEX_KERN.finditer(text):  # \kern1pt, \mkern-4mu: the width decides
            if any(a <= m.start() < b for a, b, *_ in edits):
                continue
            before = _digit_beside(text, m.start() - 1, -1)
            after = _digit_beside(text, m.end(), 1)
            if not (before or after or inside(m.start())):
                continue
            width = _tex_width(m)
            joined = width is not None and (width <= 0 or (join_narrow and width < _TEX_NARROW_EM))
            edits.append((m.start(), m.end(), "" if (joined and before and after) else " ", m.start(), m.end()))
    for m in _TEX_SPACE.finditer(text):
        if m.start() < taken and any(a <= m.start() < b for a, b, *_ in edits):
            continue
        before = _digit_beside(text, m.start() - 1, -1)
        after = _digit_beside(text, m.end(), 1)
        if not (before or after or inside(m.start())):
            continue
        # a space, even a thin one (``\,`` ``\:`` ``\;`` ``\>`` ``\thinspace``), shows as a
        # visible gap between two digit groups (``536\,22\,8710`` renders ``536 22 8710``):
        # a blank; only a negative space (``\!`` ``\negthinspace``...) joins them
        # (``join_narrow``: the second reading, where a thin space splits one group: ``2\,2``)
        narrow = m.group(1) is not None or m.group(4) is not None
        negative = m.group(1) == "!" or (m.group(4) or "").startswith("neg")
        joined = negative or (join_narrow and narrow)
        edits.append((m.start(), m.end(), "" if (joined and before and after) else " ", m.start(), m.end()))
    return edits


#: A TeX macro definition without parameters, as KaTeX reads it (src/macros.js,
#: src/functions/def.js): ``\def\x{8}`` (``\gdef`` ``\edef`` ``\xdef``, ``\global`` before),
#: ``\newcommand{\x}{8}`` / ``\newcommand\x{8}`` (``\renewcommand`` ``\providecommand``),
#: and ``\let\x=8`` / ``\let\x8`` (one token).  Parameters: ``\def\x#1#2{..}``,
#: ``\newcommand{\x}[2]{..}`` (undelimited, in order; one with a default value, or
#: delimited by text, ``\def\x#1.{..}``, is not read).
_TEX_DEF = re.compile(
    r"(?:\\global[ \t]*)?\\(?:[gex]?def[ \t]*\\([A-Za-z]{1,30})((?:#[1-9])*)[ \t]*\{"
    r"|(?:newcommand|renewcommand|providecommand)\*?[ \t]*"
    r"(?:\{[ \t]*\\([A-Za-z]{1,30})[ \t]*\}|\\([A-Za-z]{1,30}))[ \t]*(?:\[[ \t]*([1-9])[ \t]*\][ \t]*)?\{"
    r"|let[ \t]*\\([A-Za-z]{1,30})[ \t]*=?[ \t]?(\\[A-Za-z]{1,30}|[^\\\s{}%]))")
#: a parameter in a macro's body
_TEX_PARAM = re.compile(r"#([1-9])")
#: a macro's argument that is no braced group: a control word, or one character
_TEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[^\s{}%]")
_TEX_DEF_HINT = re.compile(r"\\(?:[gex]?def|let|newcommand|renewcommand|providecommand)(?![A-Za-z])")
#: A macro's body longer than this is not read; expansion goes this many levels deep.
_TEX_MACRO_BODY = 40
_TEX_MACRO_DEPTH = 3
#: At most this many definitions are read in one text (the rest are left as written).
_TEX_MACRO_COUNT = 64


def _macro_args(text: str, at: int, count: int, braces: dict[int, int]) -> tuple[list[str], int] | None:
    """The ``count`` undelimited arguments of a macro used right before ``at`` (blanks
    before each skipped; a braced group without its braces, or one token), and where they
    end; None when the text has fewer."""
    args: list[str] = []
    k = at
    for _ in range(count):
        while k < len(text) and text[k] in " \t":
            k += 1
        if k < len(text) and text[k] == "{":
            close = braces.get(k, -1)
            if close < 0:
                return None
            args.append(text[k + 1 : close])
            k = close + 1
            continue
        m = _TEX_TOKEN.match(text, k)
        if m is None:
            return None
        args.append(m.group(0))
        k = m.end()
    return args, k


def _macro_uses(names: list[str]) -> re.Pattern[str] | None:
    """A use of one of the macros ``names`` (the longest name first, the blanks after it
    taken); None for none."""
    if not names:
        return None
    return re.compile(r"\\(" + "|".join(sorted(names, key=lambda w: (-len(w), w))) + r")(?![A-Za-z])[ \t]*")


def _tex_macros(text: str) -> Normalized | None:
    r"""TeX macros defined in the text expanded as KaTeX expands them: the definition
    shows nothing, each later use (``\x``, a control word, the blanks after it
    skipped) shows its body, its parameters replaced by its arguments
    (``\def\r#1#2{#2#1}\r{SSSS}{AAA-GG-}``), macros used in a body expanded too
    (``_TEX_MACRO_DEPTH`` levels).  ``$\def\x{8}536-22-\x710$`` shows ``AAA-GG-SSSS``.
    None when there is no definition.  The whole text is one scope (an over-reading:
    KaTeX scopes a ``\def`` to its group, a ``\gdef`` to the expression)."""
    if "\\" not in text or _TEX_DEF_HINT.search(text) is None:
        return None
    braces = _brace_pairs(text)
    macros: dict[str, str] = {}
    arity: dict[str, int] = {}
    edits: list[tuple[int, int, str, int, int]] = []
    defs: list[tuple[int, str]] = []  # (end of the definition, name)
    reach = 0
    for m in _TEX_DEF.finditer(text):
        if m.start() < reach:
            continue
        name = m.group(1) or m.group(3) or m.group(4)
        if name is not None:
            close = braces.get(m.end() - 1, -1)
            if close < 0 or close - m.end() > _TEX_MACRO_BODY:
                continue
            body, end = text[m.end() : close], close + 1
            params = m.group(2) or ""
            count = len(params) // 2 if m.group(1) else int(m.group(5) or 0)
            if params and params != "".join(f"#{k}" for k in range(1, count + 1)):
                continue  # parameters out of order: KaTeX refuses the definition
            if any(int(p.group(1)) > count for p in _TEX_PARAM.finditer(body)) or "#" in _TEX_PARAM.sub("", body):
                continue  # a parameter it does not take, or ``##``
        else:
            name, body, end, count = m.group(6), m.group(7), m.end(), 0
        while end < len(text) and text[end] in " \t":  # blanks after it: nothing in math
            end += 1
        if len(defs) >= _TEX_MACRO_COUNT:
            break
        macros[name] = body
        arity[name] = count
        edits.append((m.start(), end, "", m.start(), end))
        defs.append((end, name))
        reach = end
    inner = _macro_uses([n for n in macros if arity[n] == 0])
    use = _macro_uses(list(macros))
    for _ in range(_TEX_MACRO_DEPTH):  # macros without parameters used in a body, expanded when used
        changed = False
        for name, body in macros.items():
            expanded = inner.sub(lambda u: macros[u.group(1)], body) if inner else body
            if expanded != body:
                macros[name], changed = expanded, True
        if not changed:
            break
    # a body still naming a macro (recursive: KaTeX stops with an error and shows the
    # source; or one with parameters) or grown past the bound is left as written
    macros = {k: v for k, v in macros.items() if len(v) <= _TEX_MACRO_BODY and (use is None or not use.search(v))}
    first: dict[str, int] = {}
    for end, name in defs:
        first.setdefault(name, end)
    grown = 0
    if use is not None:  # one scan for every use after its name's definition
        for u in use.finditer(text, defs[0][0]):
            shown = macros.get(u.group(1))
            if shown is None or u.start() < first[u.group(1)]:
                continue
            stop = u.end()
            if arity[u.group(1)]:
                taken = _macro_args(text, u.end(), arity[u.group(1)], braces)
                if taken is None:
                    continue
                args, stop = taken
                shown = _TEX_PARAM.sub(lambda p, args=args: args[int(p.group(1)) - 1], shown)  # type: ignore[misc]
            edits.append((u.start(), stop, shown, u.start(), stop))
            grown += len(shown)
            if grown > len(text):  # expansion never more than doubles the text
                break
    if not edits:
        return None
    edits.sort()
    kept: list[tuple[int, int, str, int, int]] = []
    reach = 0
    for e in edits:  # a use redefined later: the first reading wins
        if e[0] >= reach:
            kept.append(e)
            reach = e[1]
    return _edit(text, kept, [], ["latex-macros"] * len(kept))


#: A Markdown hard line break's backslash (CommonMark 0.30 6.7, marked's GFM ``br``: a
#: backslash at the end of a line renders as the line break alone): ``4111-1111-\``
_HARD_BREAK = re.compile(r"\\(?=\r?\n)")
#: A block marker at the start of a line that continues a number: a quote ``>``
#: (repeated, with or without its space), a bullet ``-``/``*``/``+`` or a heading ``#``...
#: ``######`` and its blank, up to three spaces before it; the line goes on with a digit
#: or a separator and a digit (an ordered list's marker is a number itself: not read away)
_BLOCK_MARKER = re.compile(r"(?<=\n)[ ]{0,3}(?:(?:>[ ]?)+|[-*+][ ]+|#{1,6}[ ]+)(?=[-. ]{0,2}[0-9])")
#: the end of a line a number goes on from: a digit, maybe a separator, maybe a hard break
_NUMBER_LINE_END = re.compile(r"[0-9][-. ]{0,2}\\?\r?\n$")


def _markdown_line_marks(text: str) -> Normalized | None:
    r"""``markdown-lines``: a number broken over two lines as the message renders it: the
    backslash of a hard line break dropped where it touches a digit's line (``536-22-\``
    then ``8710``), and a quote, bullet or heading marker at the start of the line that
    goes on from a digit's line (``> 4111-1111-`` then ``> 1111-1111`` renders as one
    quote of two lines, read as the same two lines written plainly)."""
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _HARD_BREAK.finditer(text):
        i = m.start()
        if i > 0 and (text[i - 1].isdigit() or text[i - 1] in "-. "):
            edits.append((i, i + 1, "", i, i + 1))
    for m in _BLOCK_MARKER.finditer(text):
        if _NUMBER_LINE_END.search(text, max(0, m.start() - 8), m.start()):
            edits.append((m.start(), m.end(), "", m.start(), m.end()))
    if not edits:
        return None
    edits.sort()
    return _edit(text, edits, [], ["markdown-lines"] * len(edits))


def _may_latex_or_words(text: str) -> bool:
    return "$" in text or "\\" in text or "{" in text or may_have_number_words(text)


def _latex_and_words(text: str, join_narrow: bool = False, words: bool = True, tex_hidden: bool = False
                     ) -> Normalized | None:
    """Inline LaTeX and ```latex blocks as they render; number words as digits (unless
    ``words`` is false); ``tex_hidden``: what TeX may hide as nothing (``normalize_tex_hidden``)."""
    edits: list[tuple[int, int, str, int, int]] = []
    pairs: list[tuple[int, int]] = []
    if "$" in text:
        for m in _TEX_PAIR.finditer(text):
            if not any(c.isdigit() for c in m.group(1)):
                continue
            pairs.append((m.start(1), m.end(1)))
            edits.append((m.start(), m.start() + 1, "", m.start(), m.start() + 1))
            edits.append((m.end() - 1, m.end(), "", m.end() - 1, m.end()))
    read: set[int] = set()  # what the commands' reading covers: nothing else reads it
    if "_" in text or "^" in text:
        for m in _TEX_EMPTY_SCRIPT.finditer(text):
            edits.append((m.start(), m.end(), "", m.start(), m.end()))
            read.update(range(m.start(), m.end()))
    if "\\" in text:
        for e in _tex_edits(text, pairs, join_narrow, tex_hidden):
            edits.append(e)
            read.update(range(e[0], e[1]))
    for a, b in pairs:  # what else TeX shows as nothing inside a pair: command names, braces
        for n in _TEX_NOISE.finditer(text, a, b):
            if n.start() not in read:
                edits.append((n.start(), n.end(), "", n.start(), n.end()))
    if "\\" in text or "{" in text:
        for m in _TEX_BETWEEN.finditer(text):
            if not any(c in "\\{}" for c in m.group(0)):
                continue
            if _BRACE_GROUPS.fullmatch(m.group(0)):  # {536}{22}: side-by-side groups, a blank
                edits.append((m.start(), m.end(), " ", m.start(), m.end()))
                continue
            for n in _TEX_NOISE.finditer(text, m.start(), m.end()):
                if n.start() not in read:
                    edits.append((n.start(), n.end(), "", n.start(), n.end()))
    if words:
        edits.extend(number_word_edits(text))
    if not edits:
        return None
    edits = sorted(set(edits))
    kept: list[tuple[int, int, str, int, int]] = []
    reach = 0
    for e in edits:  # overlapping edits (a word both in a run and touching a digit): the first
        if e[0] >= reach:
            kept.append(e)
            reach = e[1]
    return _edit(text, kept, [], ["latex-and-number-words"] * len(kept))


# -- brackets and emoji shortcodes between digit groups ---------------------------------

#: An opening or closing bracket (any Unicode Ps/Pe: ``( ) [ ] { } ［ ］ ⟨ ⟩ 「 」``...), or quotation
#: mark (Pi/Pf: ``« » ‹ › “ ” ‘ ’``, and the straight ``" '`` and angle ``< >`` of code and
#: data: ``["4111", "1111"]``, ``('536', '22')``, ``<4111> <1111>``: around a digit group, a
#: bracket too; attack pass 9 F13), with the backslash of a Markdown escape (``\(`` renders ``(``).
_ASCII_QUOTES = "\"'<>"
_BRACKET = r"\\?[\p{Ps}\p{Pe}\p{Pi}\p{Pf}\"'<>]"
_BRACKET_CATS = ("Ps", "Pe", "Pi", "Pf")
#: A bracket glued to a digit: where a run of bracketed digit groups may be.
_BRACKETS = regex.compile(r"[\p{Ps}\p{Pe}\p{Pi}\p{Pf}\"'<>]")
_ASCII_BRACKETS = re.compile(r"[()\[\]{}\"'<>]")
#: ``bytes.translate`` table for ``may_have_marks`` on ASCII text
_BRACKET_BYTES = bytes(ord("B") if _ASCII_BRACKETS.fullmatch(chr(b)) else ord("0") if chr(b) in "0123456789"
                       else ord("\\") if chr(b) == "\\" else ord(" ") for b in range(256))


def _is_bracket(c: str) -> bool:
    return c in _ASCII_QUOTES or unicodedata.category(c) in _BRACKET_CATS
#: Digit groups with brackets around or beside them and short runs of marks or blanks
#: between (``[536]-22-8710``, ``536)-22-8710``, ``\\(536\\)-\\(22\\)``, ``(4532) (0151)``):
#: at most 10 groups of at most 8 digits, at most 6 characters between two.
_BRACKETED_RUN = regex.compile(
    rf"(?:{_BRACKET}){{0,2}}[0-9]{{1,8}}(?:(?:[^\w\n\\\p{{Ps}}\p{{Pe}}\p{{Pi}}\p{{Pf}}\"'<>]|{_BRACKET}){{1,6}}[0-9]{{1,8}}){{1,9}}"
    rf"(?:{_BRACKET}){{0,2}}"
)
#: Mattermost's emoji shortcode (``EMOJI_PATTERN``, ``:([\w+-]+):``,
#: webapp/channels/src/utils/emoticons.tsx), with a letter or a sign in its name (``:star:``,
#: ``:+1:``, ``:-1:``) or one of the system emoji named by digits alone (``:100:``, ``:1234:``;
#: never the ``:30:`` of a time), between two digits with at most two blanks each side: the web app shows an
#: emoji image there, the text shows the name: either way a separator (read, with the
#: blanks around it, as one blank).
_SHORTCODE_BETWEEN = re.compile(
    r"(?<=[0-9])[ \t]{0,2}:(?=[\w+-]*[A-Za-z+-]|(?:100|1234):)[\w+-]{1,60}:[ \t]{0,2}(?=[0-9])")
#: The same, digit-led (a quick test: C speed on text with few digits)
_SHORTCODE_HINT = re.compile(r"[0-9][ \t]{0,2}:[\w+-]{1,60}:[ \t]{0,2}[0-9]")
gatescan.register(_SHORTCODE_HINT)
#: An IBAN's start (country code and check digits) right before a colon: four letters or
#: digits after it are the bank code (``GB82:WEST:1234...``, as GB, IE, NL, BG... write
#: it), not a shortcode.
_IBAN_START_BEFORE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}$")


#: Telephone notation with brackets: a NANP number ``(608) 976-4813`` (3-3-4 digits) or an
#: international one (``+44 (0)20 7484 3953``: a ``+`` before it, or the ``(0)`` trunk
#: prefix): how phones are written, left as written (the recognizers know it for a phone).
_PHONE_SHAPE = (3, 3, 4)


def _phone_notation(text: str, m: regex.Match[str]) -> bool:
    groups = tuple(len(g) for g in re.findall(r"[0-9]+", m.group(0)))
    if groups == _PHONE_SHAPE or "(0)" in m.group(0):
        return True
    before = text[max(0, m.start() - 2) : m.start()]
    return "+" in before


_SHORTCODE = re.compile(r":[\w+-]{1,60}:")


def _in_shortcode(text: str, i: int) -> bool:
    """``text[i]`` is inside a ``:name:`` shortcode (``536:a0_:22``: the ``_`` is the
    name's, not a separator)."""
    colon = text.rfind(":", max(0, i - 60), i)
    if colon < 0:
        return False
    m = _SHORTCODE.match(text, colon)
    return m is not None and m.end() > i


def may_have_shortcode(text: str) -> bool:
    """``text`` may hold an emoji shortcode between two digits."""
    return text.count(":") >= 2 and gatescan.search(_SHORTCODE_HINT, text)


def may_have_marks(text: str) -> bool:
    """``text`` may hold bracketed digit groups: a digit beside a bracket (each bracket
    found by a one-class search, its neighbours looked at: several times faster than an
    alternation on chat text with few brackets)."""
    if text.isascii():
        # the same test on the text translated to ``B`` (a bracket of ``_ASCII_BRACKETS``),
        # ``0`` (a digit: ``isdigit`` on ASCII), ``\`` and blanks: a bracket with a digit
        # after it, before it, or before its escaping backslash (C-speed ``in`` tests)
        data = text.encode("ascii").translate(_BRACKET_BYTES)
        return b"B0" in data or b"0B" in data or b"0\\B" in data
    find = _BRACKETS.finditer
    n = len(text)
    for m in find(text):
        i = m.start()
        if (i + 1 < n and text[i + 1].isdigit()) or (i and (text[i - 1].isdigit() or (
                text[i - 1] == "\\" and i > 1 and text[i - 2].isdigit()))):
            return True
    return False


def _group_marks(text: str, shortcodes: bool) -> Normalized | None:
    """Brackets around or beside digit groups, or (``shortcodes``) emoji shortcodes
    between them, as separators (issue 15, attack pass 6 C14/C6): a run of two or more digit groups with a
    bracket glued to one of them loses every bracket (and a Markdown escape's backslash):
    ``[536]-22-8710`` reads ``AAA-GG-SSSS``, ``card (4532) (0151)...`` ``4532 0151...``; where
    only brackets were between two groups the separator the run writes elsewhere stands
    (``(536)22-8710`` reads ``AAA-GG-SSSS``), or a blank (``(4532)(0151)``).  A
    shortcode between two digits is a blank (``4111:star:1111``).  Only how the groups are
    separated changes: the recognizers still validate (a phone ``(212) 555-0147`` reads
    ``212 555-0147``, an amount ``(1,500.00)`` ``1,500.00``)."""
    edits: list[tuple[int, int, str, int, int]] = []
    names: list[str] = []
    if shortcodes:
        for m in _SHORTCODE_BETWEEN.finditer(text):
            name = m.group(0).strip(" \t:")
            if len(name) == 4 and name.isalnum() and _IBAN_START_BEFORE.search(text, max(0, m.start() - 5),
                                                                                  m.start()) is not None:
                continue
            edits.append((m.start(), m.end(), " ", m.start(), m.end()))  # with its blanks: one blank
            names.append("emoji-separators")
    if not shortcodes and may_have_marks(text):
        for m in _BRACKETED_RUN.finditer(text):
            run = m.group(0)
            if not any(_is_bracket(c) for c in run) or _phone_notation(text, m):
                continue
            a, b = m.span()
            gaps: list[tuple[int, int, str]] = []  # (start, end, what is left without brackets)
            k = a
            while k < b:
                if text[k].isdigit():
                    k += 1
                    continue
                j = k
                while j < b and not text[j].isdigit():
                    j += 1
                gaps.append((k, j, "".join(c for c in text[k:j]
                                           if c != "\\" and not _is_bracket(c))))
                k = j
            # a gap of brackets only reads as the separator the run writes elsewhere
            # (``(536)22-8710``: ``AAA-GG-SSSS``), else a blank
            inner = [kept for g0, g1, kept in gaps if kept and g0 != a and g1 != b]
            fill = max(inner, key=inner.count) if inner else " "
            for k, j, kept in gaps:
                if kept == text[k:j]:
                    continue
                # before the first / after the last group: nothing (mapped with the digit beside),
                # or a blank where a letter or digit would be glued to the group
                # (``setCard(4111, ...``: ``setCard 4111, ...``, never ``setCard4111``)
                if k == a:
                    glue = " " if not kept and k and text[k - 1].isalnum() else kept
                    edits.append((k, j + 1, glue + text[j], k, j + 1))
                elif j == b:
                    glue = " " if not kept and j < len(text) and text[j].isalnum() else kept
                    edits.append((k - 1, j, text[k - 1] + glue, k - 1, j))
                else:  # between two groups: what is left, or the run's separator
                    edits.append((k, j, kept or fill, k, j))
                names.append("bracketed-groups")
    if not edits:
        return None
    order = sorted(range(len(edits)), key=lambda i: edits[i][0])
    kept_edits: list[int] = []
    reach = 0
    for i in order:
        if edits[i][0] >= reach:
            kept_edits.append(i)
            reach = edits[i][1]
    return _edit(text, [edits[i] for i in kept_edits], [], [names[i] for i in kept_edits])


#: Identifier labels a writer may spell in leet (``S5N``, ``$$N``, ``@cct``, ``r0uting``,
#: ``1BAN``, ``c@rd``): only these words are folded (``_leet_labels``), never a number.
LEET_LABELS = (
    "ssn", "ssns", "social", "security", "itin", "tin", "taxpayer", "account", "accounts", "acct", "acc",
    "accno", "acctno", "routing", "aba", "rtn", "transit", "iban", "swift", "card", "cards", "credit",
    "debit", "visa", "mastercard", "amex", "clabe", "brokerage", "bank", "checking", "savings", "number",
)
#: The leet characters of each letter (what a writer types for it).
_LEET = {"a": "4@", "b": "8", "c": "(", "e": "3", "g": "9", "i": "1!|", "l": "1|", "o": "0",
         "s": "5$", "t": "7+", "z": "2"}
_LEET_CHARS = frozenset("".join(_LEET.values()))


@functools.lru_cache(maxsize=1)
def _leet_label_re() -> re.Pattern[str]:
    alts = []
    for word in sorted(LEET_LABELS, key=lambda w: (-len(w), w)):
        alts.append("".join(f"[{re.escape(c + c.upper() + _LEET.get(c, ''))}]" for c in word))
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(alts) + r")(?![A-Za-z0-9])")


def _leet_labels(text: str) -> Normalized | None:
    """An identifier label spelled in leet (``S5N``, ``$$N``, ``@cct``, ``r0uting``, ``1BAN``)
    read as the word: a token that is one of ``LEET_LABELS`` with each letter or one of
    its leet characters (``_LEET``), holding a letter and a leet character.  Only the
    label is folded, so a number beside it stays as written (``55N AAAGGSSSS`` reads
    ``SSN AAAGGSSSS``); a token of digits alone (``484``) is no label."""
    edits: list[tuple[int, int, str, int, int]] = []
    label = _leet_label_re()
    done = -1
    for a in _leet_hint_starts(text):
        if a < done:
            continue
        # the token around the hint, matched whole against the labels
        b = a + 2  # the hint's end
        while a > 0 and text[a - 1] in _TOKEN_CHARS:
            a -= 1
        while b < len(text) and text[b] in _TOKEN_CHARS:
            b += 1
        done = b
        if b - a > _LONGEST_LABEL:
            continue
        m = label.fullmatch(text, a, b)
        if m is None:
            continue
        tok = m.group(0)
        if not any(c.isalpha() for c in tok) or not any(c in _LEET_CHARS for c in tok):
            continue
        if _label_beside_digits(tok):
            continue  # ``SSN5 362 28710``: the label, then the number's first digit (not ``SSNs``)
        for k, c in enumerate(tok):
            if c in _LEET_CHARS:
                low = next(w for w in LEET_LABELS if len(w) == len(tok) and _leet_fits(w, tok))[k]
                edits.append((a + k, a + k + 1, low, a + k, a + k + 1))
    return _edit(text, edits, [], ["leet-labels"] * len(edits)) if edits else None


def _label_beside_digits(tok: str) -> bool:
    """``tok`` is a label as written (letters only) with digits glued before or after it
    (``SSN5``, ``card4``): a label and a number's digits, which a leet reading (``SSNs``,
    ``cards``) would take away from the number."""
    digits = "0123456789"
    core = tok.strip(digits)
    return core != tok and core.isalpha() and core.lower() in _LABEL_SET


def _leet_fits(word: str, tok: str) -> bool:
    return all(c == w or c == w.upper() or c in _LEET.get(w, "") for w, c in zip(word, tok, strict=True))


def _may_leet(text: str) -> bool:
    """A leet character glued to a letter (cheap test before ``_leet_labels``)."""
    return gatescan.may_search(_LEET_WORD, text) and _LEET_HINT.search(text) is not None


_LEET_HINT = re.compile(r"[A-Za-z][0-9$@!|+(]|[0-9$@!|+(][A-Za-z]")
#: on ASCII text: a letter as ``a``, a leet character as ``1``, any other byte as a blank
_LEET_CLASSES = bytes(
    ord("a") if chr(c).isascii() and chr(c).isalpha() else ord("1") if chr(c) in "0123456789$@!|+(" else ord(" ")
    for c in range(256)
)


def _leet_hint_starts(text: str) -> list[int]:
    """The starts of ``_LEET_HINT.finditer(text)`` (each match is two characters): on
    ASCII text, the pairs ``a1`` and ``1a`` of the text's classes (``_LEET_CLASSES``)
    found with ``bytes.find``, taken in order as ``finditer`` does (none inside the last)."""
    if not text.isascii():
        return [m.start() for m in _LEET_HINT.finditer(text)]
    data = text.encode("ascii").translate(_LEET_CLASSES)
    found: list[int] = []
    for pair in (b"a1", b"1a"):
        k = data.find(pair)
        while k >= 0:
            found.append(k)
            k = data.find(pair, k + 1)
    found.sort()
    out: list[int] = []
    reach = 0
    for k in found:
        if k >= reach:
            out.append(k)
            reach = k + 2
    return out


def _leet_word_pattern() -> str:
    """Each label with at least one leet character (one alternative per position that holds
    it): what the one Hyperscan pass (``gatescan``) looks for, so a text with digits glued to
    words (``5pm``, ``Q3``) but no leet label costs no search of its own."""
    alts = set()
    for word in LEET_LABELS:
        for k, c in enumerate(word):
            if c not in _LEET:
                continue
            parts = [f"[{re.escape(x + x.upper() + _LEET.get(x, ''))}]" for x in word]
            parts[k] = f"[{re.escape(_LEET[c])}]"
            alts.add("".join(parts))
    return "(?:" + "|".join(sorted(alts)) + ")"


_LEET_WORD = re.compile(_leet_word_pattern())
gatescan.register(_LEET_WORD)
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$@!|+(")
_LONGEST_LABEL = max(map(len, LEET_LABELS))


#: A number in scientific notation as a spreadsheet shows a long cell (``4.111111111111111e15``,
#: ``5.3622123e8``; groups with dots, ``536.221.234e0``)
_SCIENTIFIC = re.compile(r"(?<![0-9A-Za-z.,_])([0-9]{1,17}(?:[.,][0-9]{1,17}){0,4})[eE]\+?([0-9]{1,2})(?![0-9A-Za-z_]|[.,][0-9])")
_SCIENTIFIC_HINT = re.compile(r"[0-9][eE]\+?[0-9]")
gatescan.register(_SCIENTIFIC_HINT)
#: The identifier labels one of which must come before such a number (40 characters)
_SCIENTIFIC_LABEL = re.compile(
    r"(?<![a-z])(?:ssn|ss#|social|itin|tin|card|cc|credit|debit|visa|amex|mastercard|mc|pan|acct|account|a/c|"
    r"routing|aba|rtn)(?![a-z])", re.IGNORECASE)
#: Significant digits the mantissa must show: a spreadsheet's full-precision value of the
#: identifier (a short mantissa, ``5.36e8``, is an approximation, no identifier)
MIN_SCIENTIFIC_DIGITS = 8


def _scientific(text: str) -> Normalized | None:
    """``scientific-notation``: a labelled number written in scientific notation is read as
    its digits when the value is a whole number of 9 to 19 digits whose mantissa shows at
    least ``MIN_SCIENTIFIC_DIGITS`` significant digits (``card 4.111111111111111e15`` is
    ``card 4111111111111111``, ``SSN 5.3622123e8`` ``SSN 536221230``); a mantissa of
    several dotted groups is one number's groups (``536.221.234e0``)."""
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _SCIENTIFIC.finditer(text):
        parts = re.split(r"[.,]", m.group(1))
        exp = int(m.group(2))
        if len(parts) == 2:
            head, frac = parts
            if exp < len(frac):
                continue  # not a whole number
            digits = head + frac + "0" * (exp - len(frac))
        else:
            digits = "".join(parts) + "0" * exp
        if len("".join(parts).lstrip("0")) < MIN_SCIENTIFIC_DIGITS or not 9 <= len(digits) <= 19:
            continue
        if _SCIENTIFIC_LABEL.search(text, max(0, m.start() - 40), m.start()) is None:
            continue
        edits.append((m.start(), m.end(), digits, m.start(), m.end()))
    return _edit(text, edits, [], ["scientific-notation"] * len(edits)) if edits else None


gatescan.register(words.SPOKEN_LABEL, words.SPOKEN_GATE)


#: the spoken word "dash" between two words ("two one one dash eight two dash six four
#: two eight", in any language the words reader reads): a dash, so the number words on
#: either side are read as one grouped number (atk21d); between digits ``_SPELLED_SEP``
#: (det23: also between a word and a digit, ``four eight five dash 5 three``: words and
#: digits mixed, where ``_SPELLED_SEP`` reads only digit-dash-digit)
_SPOKEN_DASH = re.compile(r"(?i)(?<=[^\W_])[ \t,]{1,3}(?:dash|hyphen)[ \t,]{1,3}(?=[^\W_])")


#: An identifier given in numbered parts ("part 1: 536; part 2: 22; part 3: 8710", "grp 1:
#: 4111 / grp 2: 1111 ...", one part a line): the labels go, the groups stay apart by a
#: blank, so the shape decides as for any grouped number.  The numbers must run 1, 2, 3...
#: (det23: also ``step``/``line``/``row``/``item`` parts, ``part 1/3``, and the markers
#: ``(1)``, ``#1``, ``1/3:``, ``1 of 3:`` without a word, one part a line, blank lines between)
_PART_WORD = r"(?:part|pt|grp|group|blk|block|chunk|piece|seg(?:ment)?|section|bit|step|line|row|item)"
_OF_PARTS = r"(?:[ \t]*(?:/|of)[ \t]*[2-9](?![0-9]))"
_NUMBERED_PART_HINT = re.compile(
    rf"(?i)(?<![a-z]){_PART_WORD}[ \t]*#?[ \t]*1{_OF_PARTS}?[ \t]*[:.)=-]|\([ \t]*1[ \t]*\)|#[ \t]*1(?![0-9])"
    rf"|(?<![0-9./])1{_OF_PARTS}")
gatescan.register(_NUMBERED_PART_HINT)  # (its last alternative was tried at every ``1`` of a table)
_PART_GROUP = r"[ \t]*([0-9]{1,8}(?:[ -][0-9]{1,8}){0,3})"


@functools.cache
def _numbered_part(k: int, first: bool) -> re.Pattern[str]:
    lead = r"(?<![A-Za-z0-9./#(])" if first else r"[ \t]*[;,/|]?(?:[ \t]*\r?\n){0,2}[ \t]*(?:and[ \t]+)?"
    marker = (rf"(?:{_PART_WORD}[ \t]*#?[ \t]*{k}{_OF_PARTS}?[ \t]*[:.)=-]|\([ \t]*{k}[ \t]*\)[ \t]*[:.=-]?"
              rf"|#[ \t]*{k}(?![0-9])[ \t]*[:.)=-]?|{k}{_OF_PARTS}[ \t]*[:.)=-]?)")
    return re.compile(rf"(?i){lead}{marker}{_PART_GROUP}(?![0-9])")


def _numbered_parts(text: str) -> Normalized | None:
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _numbered_part(1, True).finditer(text):
        if edits and m.start() < edits[-1][1]:
            continue
        parts = [m]
        while len(parts) < 6:
            nxt = _numbered_part(len(parts) + 1, False).match(text, parts[-1].end())
            if nxt is None:
                break
            parts.append(nxt)
        if len(parts) < 2:
            continue
        at = m.start()
        for p in parts:
            # a part a line keeps its line break (det23): the lines then read as any number's
            # groups on lines of their own do, by a label (``(1) 150`` / ``(2) 20`` / ... is a list)
            gap = "\n" if p is not m and "\n" in text[at : p.start(1)] else " "
            edits.append((at, p.start(1), gap if p is not m or at == 0 or text[at - 1] not in " \t\n" else "",
                          at, p.start(1)))
            at = p.end(1)
    edits = [e for e in edits if e[0] < e[1]]
    return _edit(text, edits, [], ["numbered-parts"] * len(edits)) if edits else None


def _spoken_dashes(text: str) -> Normalized | None:
    edits = [(m.start(), m.end(), "-", m.start(), m.end()) for m in _SPOKEN_DASH.finditer(text)]
    return _edit(text, edits, [], ["spelled-separators"] * len(edits)) if edits else None


def _may_speak(text: str) -> bool:
    """A labelled run of spoken digits may be in ``text`` (cheap test before ``_spoken``)."""
    return gatescan.search(words.SPOKEN_GATE, text) and gatescan.search(words.SPOKEN_LABEL, text)


def _spoken(text: str) -> Normalized | None:
    """``spoken-digits``: ICAO forms, homophones and Roman numerals of a labelled run of
    spoken digits as the digit words (``words.spoken_digit_edits``), which the words
    reader then reads."""
    edits = [(a, b, w, a, b) for a, b, w in words.spoken_digit_edits(text)]
    return _edit(text, edits, [], ["spoken-digits"] * len(edits)) if edits else None


_TIMES_WORDS = {"two": 2, "twice": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
#: A digit group repeated: ``4111 x4`` (the group four times), ``4111 followed by 1111 three
#: times`` (the first group, then the second three times)
_REPEATED = re.compile(
    r"(?<![0-9A-Za-z.])([0-9]{1,6})(?:[ \t]*[x\u00d7*][ \t]*([2-5])(?![0-9A-Za-z])"
    r"|[ \t,]+(?:then|followed[ \t]+by|and[ \t]+then)[ \t]+([0-9]{1,6})[ \t]+(twice|(?:two|three|four|five|[2-5])[ \t]+times)"
    r"(?![A-Za-z0-9]))", re.IGNORECASE)
#: ``_REPEATED``'s necessary condition, ASCII (as the one Hyperscan pass reads it) and the sign ``×``
_REPEATED_HINT = re.compile(r"[0-9][ \t]*[x*][ \t]*[2-5]|times|twice", re.IGNORECASE)
gatescan.register(_REPEATED_HINT)


def _repeated(text: str) -> Normalized | None:
    """``repeated-groups``: a labelled digit group written once with a count (``card 4111
    x4``, ``card 4111 followed by 1111 three times``) is the digits it stands for, when they
    make an identifier's length (9, or 13 to 19) right after an identifier label."""
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _REPEATED.finditer(text):
        if m.group(2):
            digits = m.group(1) * int(m.group(2))
        else:
            digits = m.group(1) + m.group(3) * _TIMES_WORDS[m.group(4).split()[0].lower()]
        if not (len(digits) == 9 or 13 <= len(digits) <= 19):
            continue
        if words.SPOKEN_LABEL.search(text, max(0, m.start() - 30), m.start()) is None:
            continue
        edits.append((m.start(), m.end(), digits, m.start(), m.end()))
    return _edit(text, edits, [], ["repeated-groups"] * len(edits)) if edits else None


#: a word of letters holding a Latin letter with an accent (U+00C0-U+024F)
_ACCENT_HINT = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
_ACCENTED_WORD = re.compile(rf"[^\W\d_]{{2,{max(map(len, LEET_LABELS))}}}")


def _unaccented(ch: str) -> str | None:
    """The ASCII letter ``ch`` is with its accents (combining marks) left out, or None."""
    if ch.isascii():
        return ch
    d: str = unicodedata.normalize("NFD", ch)
    if d[0].isascii() and d[0].isalpha() and len(d) > 1 and all(unicodedata.category(x) == "Mn" for x in d[1:]):
        return d[0]
    return None


def _accented_labels(text: str) -> Normalized | None:
    """An identifier label written with accented letters (``ŠSN AAAGGSSSS``) read as the
    label: a word whose letters are ASCII letters with combining marks and that is one of
    ``LEET_LABELS`` without them (attack 11 F4).  Other words stay as written."""
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _ACCENTED_WORD.finditer(text):
        word = m.group(0)
        if word.isascii():
            continue
        base = [_unaccented(ch) for ch in word]
        if any(b is None for b in base) or "".join(b for b in base if b).lower() not in _LABEL_SET:
            continue
        for k, (ch, b) in enumerate(zip(word, base, strict=True)):
            if b is not None and ch != b:
                edits.append((m.start() + k, m.start() + k + 1, b, m.start() + k, m.start() + k + 1))
    return _edit(text, edits, [], ["accented-labels"] * len(edits)) if edits else None


_LABEL_SET = frozenset(LEET_LABELS)

#: the ASCII marks a writer puts between a label's letters (recognizers/_common.py
#: ``LETTER_GAP``)
_ASCII_LETTER_MARKS = "./|:,+~*-_"


@functools.cache
def _letter_marks() -> dict[str, str]:
    """Marks outside ASCII -> the ASCII mark they are drawn as (``S·S·N``, ``S∕S∕N``,
    ``S│S│N``): what NFKC spells as one (fullwidth ``／``), what Unicode's confusables data
    pairs with one (``∕`` with ``/``, ``∶`` with ``:``), the middle dot's confusables
    (``·`` ``•`` ``∙`` ``⋅`` ``・``: a dot), the vertical bar's (``∣`` ``￨``, which the data
    pairs with ``l``) and the vertical lines and broken bar by their names (``│`` ``¦``)."""
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[str, str] = {}

    def put(ch: str, mark: str) -> None:
        if len(ch) == 1 and not ch.isascii() and not ch.isalnum() and unicodedata.category(ch)[0] in "PS":
            table.setdefault(ch, mark)

    for cp in range(0x80, 0x30000):
        ch = chr(cp)
        nfkc = unicodedata.normalize("NFKC", ch)
        if len(nfkc) == 1 and nfkc in _ASCII_LETTER_MARKS:
            put(ch, nfkc)
            continue
        name = unicodedata.name(ch, "")
        if "VERTICAL LINE" in name or "VERTICAL BAR" in name or name == "BROKEN BAR" \
                or (name.startswith("BOX DRAWINGS") and name.endswith("VERTICAL")):
            put(ch, "|")
    for ch, glyphs in raw.items():
        for g in glyphs:
            if len(g["c"]) == 1 and g["c"] in _ASCII_LETTER_MARKS:
                put(ch, g["c"])
            elif ch in _ASCII_LETTER_MARKS:
                put(g["c"], ch)
    for g in (*raw.get("\u00b7", ()), {"c": "\u00b7"}):
        put(g["c"], ".")
    for g in raw.get("l", ()):
        put(g["c"], "|")
    return table


@functools.cache
def _letter_mark_re() -> regex.Pattern[str]:
    """Marks between two letters that stand alone (blanks may stand beside them): one of
    ``_letter_marks``, or up to eight symbols outside ASCII (emoji, ``★``, ``→``: Unicode's
    symbol categories).  ``S·S·N`` and ``S🙂S🙂N`` have two, ``col·legi`` none."""
    marks = "".join(regex.escape(ch) for ch in sorted(_letter_marks()))
    return regex.compile(r"(?<![A-Za-z])[A-Za-z][ \t]*((?:[" + marks + r"]|[[^\x00-\x7f]&&[\p{So}\p{Sm}\p{Sk}]]|[\ufe00-\ufe0f\u200d\u20e3]){1,8})"
                         r"[ \t]*(?=[A-Za-z](?![A-Za-z]))", regex.V1)


def _marked_letters(text: str) -> Normalized | None:
    """A label's letters apart by marks outside ASCII (``S·S·N``, ``S•S•N``, ``S│S│N``,
    ``A∕B∕A``, ``S🙂S🙂N``, ``a★c★c★t``) read with the ASCII mark each is drawn as
    (``S.S.N``; a symbol with no such look-alike as ``.``), which the recognizers'
    context reads as a label spelled a letter at a time (``LETTER_GAP``).  Only marks
    between two letters each alone (no letter beside it on its other side)."""
    edits: list[tuple[int, int, str, int, int]] = []
    table = _letter_marks()
    for m in _letter_mark_re().finditer(text):
        for a in range(m.start(1), m.end(1)):
            edits.append((a, a + 1, table.get(text[a], "."), a, a + 1))
    return _edit(text, edits, [], ["letter-marks"] * len(edits)) if edits else None


_CAMEL_HINT = re.compile(r"[a-z][A-Z]|[A-Z][A-Z][a-z]")
_CAMEL_TOKEN = re.compile(r"[A-Za-z]{4,64}")


def _camel_labels(text: str) -> Normalized | None:
    """A label that is a hump of a camelCase or PascalCase name, not its first
    (``clientSsn``, ``primarySsn``, ``bankAcctNo``, ``custAcctNbr``, ``abaNum``; held-out
    probe, class 2), read apart from the humps around it (``client Ssn``, ``bank Acct
    No``), as ``client_ssn`` is: a hump that is one of ``LEET_LABELS``.  Other names stay
    as written.  (A first hump that is a label, ``ssnValue``, is cut from the next too.)"""
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _CAMEL_TOKEN.finditer(text):
        token = m.group(0)
        cuts = words.hump_cuts(token)
        if len(cuts) < 3:
            continue
        labels = [token[a:b].lower() in _LABEL_SET for a, b in itertools.pairwise(cuts)]
        for i in range(1, len(labels)):
            if labels[i] or labels[i - 1]:  # the label apart from the humps before and after it
                at = m.start() + cuts[i]
                edits.append((at, at, " ", at - 1, at))
    return _edit(text, edits, [], ["camel-labels"] * len(edits)) if edits else None


#: a label's letters written one by one with dots, some in leet (``5.5.N``, ``$.$.N.``)
_DOTTED_LEET = re.compile(r"(?<![A-Za-z0-9.$@!|+(])((?:[A-Za-z0-9$@!|+(]\.){2,4}[A-Za-z0-9$@!|+(])\.?(?![A-Za-z0-9])")
_DOTTED_HINT = re.compile(r"[0-9$@!|+(]\.[A-Za-z0-9$@!|+(]\.|[A-Za-z]\.[0-9$@!|+(]\.|\.[A-Za-z0-9$@!|+(]\.[0-9$@!|+(]")
gatescan.register(_DOTTED_HINT)


def _dotted_leet_labels(text: str) -> Normalized | None:
    """A label's letters apart by dots with leet characters among them (``5.5.N AAAGGSSSS``)
    read with the letters (``S.S.N``, which the recognizers' context reads as ``S.S.N.``):
    only when the characters, dots left out, are one of ``LEET_LABELS`` and hold a letter
    and a leet character (attack 11 F4); a version (``1.2.3``) has no letter."""
    edits: list[tuple[int, int, str, int, int]] = []
    for m in _DOTTED_LEET.finditer(text):
        chars = m.group(1)[::2]
        if not any(c.isalpha() for c in chars) or not any(c in _LEET_CHARS for c in chars):
            continue
        word = next((w for w in LEET_LABELS if len(w) == len(chars) and _leet_fits(w, chars)), None)
        if word is None:
            continue
        for k, c in enumerate(chars):
            if c in _LEET_CHARS:
                at = m.start(1) + 2 * k
                edits.append((at, at + 1, word[k], at, at + 1))
    return _edit(text, edits, [], ["leet-labels"] * len(edits)) if edits else None


#: the transforms that decode an escape (``%22``, ``&#53;``): their reading hides the
#: escape's own characters, so a text with one is also read without decoding
DECODING = frozenset({"html-entities", "percent-encoding"})


def normalize(text: str, *, decode: bool = True, join_narrow: bool = False, lookalike: bool = False,
              words: bool = True, tex_hidden: bool = False) -> Normalized:
    """Normalize ``text`` (already sanitized) for detection.  ``decode=False``: the
    reading that leaves HTML entities and percent escapes as written (``536%22`` shows
    the digits 2 and 2, which the decoded reading turns into a quote).  ``lookalike``:
    the characters of ``_lookalike_digits`` read as the digit they look like
    (``normalize_lookalike``).  ``words=False``: number words stay words (the reading
    beside the one that spells them as digits: ``AAA-GG-SSSS four`` is an SSN and a
    word, not ``AAA-GG-SSSS4``).  ``tex_hidden``: TeX's coloured text read as nothing
    (``normalize_tex_hidden``)."""
    named = foreign.label_edits(text)
    if named:  # ``社会保障番号``: ``SSN``, read as written (before letters beside digits are folded)
        labelled = _edit(text, named, [], ["foreign-labels"] * len(named))
        return _compose(labelled, normalize(labelled.text, decode=decode, join_narrow=join_narrow,
                                            lookalike=lookalike, words=words, tex_hidden=tex_hidden))
    if "=" in text and ("8=FIX" in text or "35=" in text):
        soh = _fix_soh(text)
        if soh is not None:  # ``8=FIX.4.4^A35=D^A38=24808``: before markup is read (``<SOH>`` is no tag)
            return _compose(soh, normalize(soh.text, decode=decode, join_narrow=join_narrow, lookalike=lookalike,
                                           words=words, tex_hidden=tex_hidden))
    if text.isascii() and not _needs_pass(text):
        result = identity(text)
    elif decode:
        result = _decode_layers(text, lookalike)
    else:
        result = _one_pass(text, decode=False, lookalike=lookalike)
    if "\n" in result.text:
        blocks = _markdown_line_marks(result.text)
        if blocks is not None:
            result = _compose(result, blocks)
    if ("](" in result.text or "][" in result.text or "] [" in result.text or _KEYCAP_TEN in result.text
            or not result.text.isascii()):
        rendered = _render(result.text)
        if rendered is not None:
            result = _compose(result, rendered)
    if "\\" in result.text:
        macros = _tex_macros(result.text)
        if macros is not None:
            result = _compose(result, macros)
    if _may_speak(result.text):
        spoken = _spoken(result.text)
        if spoken is not None:
            result = _compose(result, spoken)
    if words and any(w in result.text for w in ("dash", "hyphen", "DASH", "Dash", "HYPHEN", "Hyphen")) \
            and may_have_number_words(result.text):
        spoken_dash = _spoken_dashes(result.text)
        if spoken_dash is not None:
            result = _compose(result, spoken_dash)
    if gatescan.search(_NUMBERED_PART_HINT, result.text):
        numbered = _numbered_parts(result.text)
        if numbered is not None:
            result = _compose(result, numbered)
    if _may_latex_or_words(result.text) if words else ("$" in result.text or "\\" in result.text
                                                           or "{" in result.text):
        tex = _latex_and_words(result.text, join_narrow, words, tex_hidden)
        if tex is not None:
            result = _compose(result, tex)
    inner = _inner_mark_edits(result.text)
    if inner:  # a mark inside a group (``53:6-22-8710``); before shortcodes: ``2:2-87:10`` is none
        result = _compose(result, _edit(result.text, inner, [], ["inner-marks"] * len(inner)))
    if may_have_shortcode(result.text):  # before glued labels: ``536:be0:22`` is a shortcode
        shortcodes = _group_marks(result.text, shortcodes=True)
        if shortcodes is not None:
            result = _compose(result, shortcodes)
    if not result.text.isascii() and _ACCENT_HINT.search(result.text):  # ``ŠSN``
        accented = _accented_labels(result.text)
        if accented is not None:
            result = _compose(result, accented)
    if not result.text.isascii():  # ``S·S·N``: ``S.S.N``
        marked = _marked_letters(result.text)
        if marked is not None:
            result = _compose(result, marked)
    if "." in result.text and gatescan.search(_DOTTED_HINT, result.text):  # ``5.5.N``
        dotted = _dotted_leet_labels(result.text)
        if dotted is not None:
            result = _compose(result, dotted)
    if _CAMEL_HINT.search(result.text) is not None:  # ``clientSsn``: ``client Ssn``
        camel = _camel_labels(result.text)
        if camel is not None:
            result = _compose(result, camel)
    if _may_leet(result.text):  # before glued labels and letter separators: ``S5N``
        leet = _leet_labels(result.text)
        if leet is not None:
            result = _compose(result, leet)
    filler = _told_filler(result.text)  # ``5a3b6-2c2-8d7e1f0 (ignore the letters)``
    if filler is not None:
        result = _compose(result, filler)
    if _glue_any(result.text):  # a digit touches a letter
        typo = _card_typo_edits(result.text)  # ``card 4532 0151 1283 03x66``
        if typo:
            result = _compose(result, _edit(result.text, typo, [], ["interleaved-letters"] * len(typo)))
        interleaved = _interleaved(result.text)  # before letter separators: ``0z0z7z...``
        if interleaved is not None:
            result = _compose(result, interleaved)
        lettered = _letter_separators(result.text)
        if lettered is not None:
            result = _compose(result, lettered)
    if gatescan.search(_SCIENTIFIC_HINT, result.text):
        scientific = _scientific(result.text)
        if scientific is not None:
            result = _compose(result, scientific)
    if gatescan.search(_REPEATED_HINT, result.text) or "\u00d7" in result.text:
        repeated = _repeated(result.text)
        if repeated is not None:
            result = _compose(result, repeated)
    glued = _glued(result.text)
    if glued is not None:
        result = _compose(result, glued)
    if _may_spell(result.text) or _may_position(result.text):
        spelled = _spelled(result.text)
        if spelled is not None:
            result = _compose(result, spelled)
    between = _between_groups(result.text)
    if between is not None:
        result = _compose(result, between)
    if may_have_marks(result.text):  # after list markers: ``1) 536`` is an item's number
        marks = _group_marks(result.text, shortcodes=False)
        if marks is not None:
            result = _compose(result, marks)
    return result


#: how chat, logs and tickets write a FIX message's field separator, the SOH byte (U+0001),
#: when they cannot show it: caret notation ``^A``, ``<SOH>``, ``[SOH]``, ``SOH`` (the
#: reading of tags as written blanks the ``<``), a source escape ``\x01`` ``\u0001``
#: ``\001``, the control picture ``␁`` (U+2401)
_FIX_SOH_FORMS = r"\^A|<(?i:soh)>|\[(?i:soh)\]|(?<![A-Za-z<\[])(?i:soh)>?|\\x01|\\u0001|\\001|\u2401"
#: one of them where a field ends: before the next field's tag, a blank or the line's end
_FIX_SOH = re.compile(rf"(?:{_FIX_SOH_FORMS})(?=[0-9]{{1,4}}=|\s|$)", re.MULTILINE)
#: a FIX message written with one: its begin string or message type, after one or at a field's start
_FIX_SOH_MESSAGE = re.compile(
    rf"(?:^|{_FIX_SOH_FORMS}|[|\s])(?:8=FIXT?\.[0-9]|35=[0-9A-Za-z]{{1,2}}(?:{_FIX_SOH_FORMS}))", re.MULTILINE)


def _fix_soh(text: str) -> Normalized | None:
    """A FIX message's separators written out (``_FIX_SOH_FORMS``) read as the ``|`` logs
    print for SOH (``fix-separators``), so each field is one (recognizers/_structure.py
    ``_FIX_FIELD``): ``^A38=24808`` had the ``A`` glued to the tag, and ``\x0138=`` the
    escape's digits, and the account recognizer read a quantity after ``1=ACCT01`` as an
    account (held-out probe of 2026-12-07: 81 FIX messages stopped).  None when ``text``
    is no such message."""
    if _FIX_SOH_MESSAGE.search(text) is None:
        return None
    edits = [(m.start(), m.end(), "|", m.start(), m.end()) for m in _FIX_SOH.finditer(text)]
    return _edit(text, edits, [], ["fix-separators"] * len(edits)) if edits else None


#: a backslash between a letter or digit and a word (``82\WEST``), the word followed by
#: another backslash, a blank or a digit: what ``_TEX_BETWEEN`` may read as a command
_BACKSLASH_WORD = re.compile(r"[0-9A-Za-z][ \t]?\\[A-Za-z]{2,20}(?:\\|[ \t]|[0-9])")
#: each backslash between two letters or digits: a separator as written
_BACKSLASH_SEP = re.compile(r"(?<=[0-9A-Za-z \t])\\(?=[0-9A-Za-z])")


def markup_as_written(text: str) -> str | None:
    """The reading of ``text`` with its markup as written, where ``normalize`` drops it:
    the ``<`` that starts each tag or comment made a space (``html-tags`` drops them), and
    so is every Markdown marker run (``*`` `````` ``~`` ``_``) touching a digit (``markdown``
    drops them: ``AAA-GG-SSSS*5`` would read ``AAA-GG-SSSS5``), and so is a digit emoji
    shortcode touching a digit (``emoji-digits`` makes it a digit glued to the number: an
    image beside it); a masked slot of marker characters beside a digit group
    (``536-22-****``) is written ``#`` slots.  Same length: offsets are the text's own.  None when the text has
    none of them.

    Nothing is dropped unread: Mattermost shows a post's HTML as text (the web app
    formats posts with marked's ``sanitize``, which escapes raw HTML:
    webapp/channels/src/utils/markdown/index.ts), where HTML renders attribute values
    (``title``, ``alt``, ``value``) are shown or a click away, and a marker that opens no
    emphasis is shown as written.  The engine judges both readings."""
    tags = "<" in text and _TAG_RE.search(text) is not None
    marks = ("*" in text or "`" in text or "~" in text or "_" in text) and _MARKS_BY_DIGIT.search(text) is not None

    def glued(m: re.Match[str]) -> bool:
        return text[m.start() - 1 : m.start()].isdigit() or text[m.end() : m.end() + 1].isdigit()

    emoji = ":" in text and any(map(glued, _EMOJI.finditer(text)))
    masks = ("*" in text or "`" in text or "~" in text or "_" in text) and _MASK_MARKS.search(text) is not None
    # a backslash before letters between groups (``GB82\WEST\1234...``): TeX reads a command
    # and drops it; written out, outside a ``$`` pair, it is a separator and the letters show
    slashes = "\\" in text and _BACKSLASH_WORD.search(text) is not None
    if not (tags or marks or emoji or masks or slashes):
        return None
    if masks:  # a masked slot of marker characters (``536-22-****``): slots as written
        text = _MASK_MARKS.sub(lambda m: "#" * len(m.group(0)), text)
    if slashes:
        text = _BACKSLASH_SEP.sub(" ", text)
    if tags:
        text = _TAG_OPEN.sub(" ", text)
    if marks:
        text = _MARKS_BY_DIGIT.sub(lambda m: " " * len(m.group(0)), text)
    if emoji:  # a digit emoji glued to a number (``AAA-GG-SSSS:five:``): an image beside it
        text = _EMOJI.sub(lambda m: " " * len(m.group(0)) if glued(m) else m.group(0), text)
    return text


#: GitHub/Mattermost strikethrough: ``~~`` around text that neither starts nor ends
#: with a blank, within one paragraph
_STRUCK = re.compile(r"~~(?=\S)(?:[^\n]|\n(?!\n)){1,400}?(?<=\S)~~")


#: A narrow TeX space (``\,`` ``\:`` ``\;`` ``\>`` ``\thinspace``...) between two digits
_NARROW_TEX_BETWEEN = re.compile(
    r"[0-9][ \t]?\\(?:(?:[,:;>]|thinspace|medspace|thickspace)(?![A-Za-z])[ \t]?"
    r"|(?:kern|mkern|hskip|mskip|hspace\*?|mspace|rule)(?![A-Za-z])[^0-9\n]{0,12}[0-9.]{1,8}[^0-9\n]{1,24}?)[0-9]")


def normalize_narrow_joined(text: str, *, decode: bool = True) -> Normalized | None:
    r"""The second reading of a text with a narrow TeX space between two digits: joined
    (``normalize`` reads it as the visible gap it renders, ``536\,22\,8710`` as
    ``536 22 8710``; a thin space may as well split one group, ``2\,2``, which a reader
    takes as one number): None when there is none.  The engine judges both readings."""
    if "\\" not in text or _NARROW_TEX_BETWEEN.search(text) is None:
        return None
    return normalize(text, decode=decode, join_narrow=True)


def normalize_tex_hidden(text: str, *, decode: bool = True) -> Normalized | None:
    r"""The reading of a text with TeX that may hide what it holds, where it shows nothing:
    what a colour command colours (``_TEX_COLOURING``: ``A{\color{transparent}0}AA-GG-SSSS``
    shows ``AAA-GG-SSSS``; ``normalize`` reads the coloured text as shown,
    ``\textcolor{red}{536}``), an untrusted HTML extension's body (``_TEX_UNTRUSTED``), an
    overlay's content (``_TEX_OVERLAYS``: ``53\rlap{6}6``), and a digit another digit is drawn
    over by a negative space (``536\kern-0.5em6``, ``_TEX_OVERPRINT_EM``; re-attack of
    2026-12-06, F1-F3): None when there is none.  The engine judges both readings."""
    if "\\" not in text or _TEX_HIDING_HINT.search(text) is None:
        return None
    return normalize(text, decode=decode, tex_hidden=True)


#: Vertical bars that are not ASCII (``∣`` DIVIDES, half-width ``￨``, box-drawing ``│``,
#: which the confusables data pairs with ``l``/``1`` or NFKC makes of one): glued to a digit
#: (a run of up to three), the second reading takes each for the ``1`` it is drawn as (the first reads
#: it as a separator, as any symbol).  The ASCII ``|`` is a separator of code and tables.
_BAR_ONES = frozenset("\u2223\uffe8\u2502")
_BAR_BETWEEN = re.compile(r"(?<=\w)[\u2223\uffe8\u2502]|[\u2223\uffe8\u2502](?=\w)")


def _bar_glued(text: str, i: int) -> bool:
    """The run of ``_BAR_ONES`` holding ``text[i]`` (three at most) touches a digit."""
    a = i
    while a > 0 and i - a < 3 and text[a - 1] in _BAR_ONES:
        a -= 1
    b = i + 1
    while b < len(text) and b - i < 3 and text[b] in _BAR_ONES:
        b += 1
    return (a > 0 and _digitish(text[a - 1])) or (b < len(text) and _digitish(text[b]))


def normalize_lookalike(text: str, *, decode: bool = True) -> Normalized | None:
    """The second reading of a text holding a character that looks like another digit
    than its value (``_lookalike_digits``: Bengali ``৪`` has the value 4 and looks like
    ``8``), or a pictograph that shows a number (a die face, read in the first reading as
    a symbol between groups): with the digit it looks like or shows.  ``normalize`` reads it by its value; a reader
    sees the look, so a card ``4012 ৪888 8888 1881`` is valid (Luhn) only in this
    reading.  None when there is no such character; the engine judges both readings."""
    letters = _letter_digit_edits(text)
    leet = _leet_digit_edits(text)
    if leet:
        # the leet reading's identifiers and their labels: another run's letters read as
        # digits there would spell the label away (``is`` ``15``, ``SS#`` ``55#``)
        near = [(a - _LEETD_REACH, b + _LEETD_REACH) for a, b in _leet_digit_spans(leet)]
        have = {e[0] for e in leet}
        letters = sorted([*leet, *(e for e in letters if e[0] not in have
                                   and not any(x <= e[0] < y for x, y in near))])
    if letters:
        # letters drawn as digits inside a digit run (``4Ol2 8888 8888 l88l``): read as
        # those digits, then the text as a whole with the look of every digit
        read = _edit(text, letters, [], ["lookalike-letters"] * len(letters))
        return _compose(read, normalize(read.text, decode=decode, lookalike=True))
    if text.isascii() or (_lookalike_class().search(text) is None and _BAR_BETWEEN.search(text) is None):
        return None
    return normalize(text, decode=decode, lookalike=True)


def normalize_without_struck(text: str, *, decode: bool = True) -> Normalized | None:
    """The reading of ``text`` with struck-through text (``~~...~~``) left out, mapped
    to ``text``; None when nothing is struck.  ``53~~7~~6`` renders its ``7`` struck
    through: the reader may take the number with it or without it, so the engine
    judges both readings (``normalize`` keeps the struck text, markers dropped)."""
    if "~~" not in text:
        return None
    edits = [(m.start(), m.end(), "", m.start(), m.end()) for m in _STRUCK.finditer(text)]
    if not edits:
        return None
    bare = _edit(text, edits, [], ["struck-text"] * len(edits))
    return _compose(bare, normalize(bare.text, decode=decode))


#: ``filler_edits`` finds nothing in a text where its gap pattern has no match (it
#: returns at once then; tests/test_detect_gatescan.py holds it to that): the one pass
#: of gatescan.py rules most tables out without the gap scan.
gatescan.register(filler._GAP)


def _filler_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    if (not gatescan.may_search(filler._GAP, text) and not filler.may_have_slots(text)
            and not filler.may_have_template(text)):
        return []
    edits = filler_edits(text)
    if edits and _IBAN_WRITTEN_HINT.search(text) is not None:
        # a valid IBAN written out is no run of filler words ("IE29 AIBK 9311 ...": ``IE`` is
        # not "i.e." and ``AIBK`` not a word between groups, atk21d/det22)
        spans = _written_ibans(text)
        if spans:
            edits = [e for e in edits if not any(a < e[1] and e[0] < b for a, b in spans)]
    return edits


#: an IBAN's start written plainly: a country code and two check digits, then a group
_IBAN_WRITTEN_HINT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}[ ]?[A-Za-z0-9]{4}")
_IBAN_WRITTEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")


def _written_ibans(text: str) -> list[tuple[int, int]]:
    """The spans of valid IBANs written with ASCII letters and digits, in groups of any
    size with single spaces (``IE29 AIBK 9311 5212 3456 78``), the longest valid prefix."""
    from dlp_proxy.recognizers.iban import IBAN_LENGTHS, iban_valid

    out: list[tuple[int, int]] = []
    for m in _IBAN_WRITTEN.finditer(text):
        want = IBAN_LENGTHS.get(m.group(0)[:2].upper())
        if want is None:
            continue
        n, k = 0, m.start()
        while k < m.end() and n < want:
            if text[k] != " ":
                n += 1
            k += 1
        if n == want and iban_valid(text[m.start() : k].replace(" ", "").upper()):
            out.append((m.start(), k))
    return out


def _between_groups(text: str) -> Normalized | None:
    """Ordered-list markers and filler words between an identifier's digit groups
    (detect/filler.py: ``list-markers``, ``filler-words``)."""
    edits: list[tuple[int, int, str, int, int]] = []
    names: list[str] = []
    if "\n" in text:
        marks = list_marker_edits(text)
        notes = footnote_edits(text)
        if notes:  # (footnotes: their markers are no ordered list's)
            marks = sorted(marks + notes)
        edits.extend(marks)
        names.extend(["list-markers"] * len(marks))
    if may_have_filler(text):
        if edits:  # the items as they render, then the filler between them
            listed = _edit(text, edits, [], names)
            fill = _filler_edits(listed.text)
            if fill:
                return _compose(listed, _edit(listed.text, fill, [], ["filler-words"] * len(fill)))
            return listed
        fill = _filler_edits(text)
        edits.extend(fill)
        names.extend(["filler-words"] * len(fill))
    if not edits:
        return None
    return _edit(text, edits, [], names)


def _decode_layers(text: str, lookalike: bool = False) -> Normalized:
    """The decoded reading: escapes decoded first (``decode_escapes``), then the decoded
    text through the whole pass, as if it had been typed (``536&nbsp;22`` reads as
    ``536 22`` exactly as with a literal U+00A0)."""
    decoded = decode_escapes(text)
    if decoded is None:
        return _one_pass(text, decode=False, lookalike=lookalike)
    return _compose(decoded, _one_pass(decoded.text, decode=False, lookalike=lookalike))


#: Quoted-printable (RFC 2045): ``=`` and two hex digits write a byte (capitals by the
#: RFC; decoders such as Python's ``quopri`` take small letters too), ``=`` at a line's
#: end is a soft line break; a run of them (written with the first outside the
#: repeat, so ``re`` skips to each ``=``)
_QP_RUN = re.compile(r"=(?:[0-9A-Fa-f]{2}|\r?\n)(?:=(?:[0-9A-Fa-f]{2}|\r?\n))*")
_QP_ESCAPE = re.compile(r"=([0-9A-Fa-f]{2})|=\r?\n")
#: the bytes whose escapes show a text is quoted-printable: those an encoder must escape
#: (``=``, line breaks and blanks, bytes above ASCII) or that one may to hide a text's
#: layout (punctuation: ``=3A=20``, ``=2D``), not letters, digits or other controls
#: (``x=12``, ``id=4F``: a key and its value)
_QP_SHOWN = frozenset([0x09, 0x0A, 0x0D, *range(0x20, 0x30), *range(0x3A, 0x41), *range(0x5B, 0x61),
                       *range(0x7B, 0x7F), *range(0x80, 0x100)])
#: a FIX field's tag, right before its ``=``: at the text's or a line's start or after a
#: field separator (``|``, SOH, ``;``, ``^``, or one written out: ``_FIX_SOH_FORMS``; not a
#: blank, which a text field's words hold)
_FIX_TAG_BEFORE = re.compile(rf"(?:^|[|\x01;^]|{_FIX_SOH_FORMS})[0-9]{{1,4}}$", re.MULTILINE)
#: a numeric FIX value after its ``=``: digits (a decimal point, a timestamp's ``-`` ``:``)
#: up to the next field separator or the end
_FIX_NUMERIC_VALUE = re.compile(rf"=[0-9][0-9.:-]*(?=[|\x01;]|{_FIX_SOH_FORMS}|\s|$)", re.MULTILINE)


#: a FIX field after a blank: a message whose separators were decoded to blanks (a
#: written ``\x01`` read as the control it escapes, one layer before the ``=XX`` are read)
#: shows many; a text field's words one or two
_BLANK_FIX_FIELDS = re.compile(r"(?:^|\s)[0-9]{1,4}=[^\s=]", re.MULTILINE)
_BLANK_FIX_LEAST = 6
_BLANK_TAG_BEFORE = re.compile(r"\s[0-9]{1,4}$")


def _fix_field_value(text: str, at: int, blanks: bool = False) -> bool:
    """``text[at]`` is the ``=`` of a numeric field of a FIX message (``|11=2150397193|``):
    a tag after a field separator before it (``blanks``: a blank is one, the text having
    ``_BLANK_FIX_LEAST`` fields after blanks), digits alone up to the next separator after
    it, so its ``=2`` starts no quoted-printable escape (``=21`` would read ``!``, and the
    account recognizer read the field across it).  A value with letters or another ``=``
    in it (``|AAA=2DGG=2DSSSS``) is read as escapes as before."""
    lo = max(0, at - 10)
    return ((_FIX_TAG_BEFORE.search(text, lo, at) is not None
             or (blanks and _BLANK_TAG_BEFORE.search(text, lo, at) is not None))
            and _FIX_NUMERIC_VALUE.match(text, at) is not None)
#: escapes of such bytes a text holds at least, for its ``=XX`` to be read as escapes
#: (``ratio=3D`` alone is a key and its value)
QP_SHOWN_LEAST = 2


def _qp_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Quoted-printable escapes decoded where only some bytes are escaped (``SSN=3A=20
    536=2D22=2D8710``), each on its own characters (a run of bytes above ASCII, one UTF-8
    text, on the run's): when the text holds ``QP_SHOWN_LEAST`` escapes of bytes that show
    quoted-printable (``_QP_SHOWN``), else none (``key=value`` text)."""
    runs = list(_QP_RUN.finditer(text))
    if not runs:
        return []
    if "8=FIX" in text or "35=" in text:
        # a FIX field's ``=`` is the field's, its value no escape (``11=2150397193``, ``9=276``)
        blanks = len(_BLANK_FIX_FIELDS.findall(text)) >= _BLANK_FIX_LEAST
        runs = [r for r in runs if not _fix_field_value(text, r.start(), blanks)]
    shown = 0
    for r in runs:
        escapes = [m for m in _QP_ESCAPE.finditer(text, r.start(), r.end()) if m.group(1) is not None]
        if len(escapes) == 1 and r.start() and (text[r.start() - 1].isalpha() or text[r.start() - 1] == "_") \
                and r.end() < len(text) and text[r.end()].isalnum():
            continue  # one escape between a key and the rest of its value (``gross=601763805``, ``acct=ACME``)
        raw = bytes(int(m.group(1), 16) for m in escapes)
        utf8 = raw.isascii()
        if not utf8:
            try:
                raw.decode("utf-8")
                utf8 = True
            except UnicodeDecodeError:
                pass
        shown += sum(1 for m in escapes if int(m.group(1), 16) in _QP_SHOWN and (utf8 or int(m.group(1), 16) < 0x80))
        if shown >= QP_SHOWN_LEAST:
            break
    if shown < QP_SHOWN_LEAST:
        return []
    edits: list[tuple[int, int, str, int, int]] = []
    for r in runs:
        escapes = list(_QP_ESCAPE.finditer(text, r.start(), r.end()))
        raw = bytes(int(m.group(1), 16) for m in escapes if m.group(1) is not None)
        if raw.isascii():
            edits.extend((m.start(), m.end(), "" if m.group(1) is None else
                          _DECODED_CONTROLS.sub(" ", chr(int(m.group(1), 16))), m.start(), m.end()) for m in escapes)
            continue
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        edits.append((r.start(), r.end(), _DECODED_CONTROLS.sub(" ", decoded), r.start(), r.end()))
    return edits


def _decode_once(text: str) -> Normalized | None:
    """One layer of HTML entities and percent escapes decoded, nothing else changed."""
    edits: list[tuple[int, int, str, int, int]] = []
    names: list[str] = []
    if "&" in text:
        for m in _ENTITY_RE.finditer(text):
            decoded = html.unescape(m.group(0))
            if decoded != m.group(0):
                # decoded text never brings a table boundary or a control
                edits.append((m.start(), m.end(), _DECODED_CONTROLS.sub(" ", decoded), m.start(), m.end()))
                names.append("html-entities")
    if "%" in text:
        for m in _PERCENT_RE.finditer(text):
            try:
                decoded = unquote_to_bytes(m.group(0)).decode("utf-8")
            except UnicodeDecodeError:
                continue
            # an all-digit escape of a control (%11, %00; not the tab %09) is read as
            # text: "4111%1111" keeps its percent sign as a separator (any P*/S* is one,
            # issue 15); %1E, %0A... still decode (to a space, a line break)
            if decoded and not (_DECODED_CONTROLS.search(decoded) and m.group(0).replace("%", "").isdigit()
                                and decoded != "\t"):
                edits.append((m.start(), m.end(), _DECODED_CONTROLS.sub(" ", decoded), m.start(), m.end()))
                names.append("percent-encoding")
    if "=" in text:
        qp = _qp_edits(text)
        edits.extend(qp)
        names.extend(["quoted-printable"] * len(qp))
    if "\\char" in text:
        for m in _TEX_CHAR.finditer(text):
            dec, octal, hexa, quoted = m.groups()
            code = (int(dec) if dec else int(octal, 8) if octal else int(hexa, 16) if hexa else ord(quoted))
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                edits.append((m.start(), m.end(), _DECODED_CONTROLS.sub(" ", chr(code)), m.start(), m.end()))
                names.append("latex-char")
    if "\\" in text:
        escaped = _backslash_escape_edits(text)
        edits.extend(escaped)
        names.extend(["backslash-escapes"] * len(escaped))
    if _may_char_calls(text):
        called = _char_call_edits(text)
        edits.extend(called)
        names.extend(["char-codes"] * len(called))
    if not edits:
        return None
    order = sorted(range(len(edits)), key=lambda k: edits[k][0])
    kept: list[int] = []
    reach = 0
    for k in order:  # (an escape inside another's span: the first wins)
        if edits[k][0] >= reach:
            kept.append(k)
            reach = edits[k][1]
    return _edit(text, [edits[k] for k in kept], [], [names[k] for k in kept])


#: A character-code call of source code (det23): ``String.fromCharCode(53,51,54)``,
#: ``String.fromCodePoint(...)``, ``chr(53)``, ``unichr(53)``, ``char(53)``, ``Char(53)``,
#: decimal or ``0x`` hexadecimal codes; group 1 the codes.
_CODE = r"(?:0[xX][0-9A-Fa-f]{1,6}|[0-9]{1,7})"
_CHAR_CALL = re.compile(
    rf"(?<![\w$])(?<![\w$]\.)(?:String\.fromCharCode|String\.fromCodePoint|unichr|chr|[Cc]har|\(char\)[ \t]*)"
    rf"[ \t]*\([ \t]*({_CODE}(?:[ \t]*,[ \t]*{_CODE})*)[ \t]*\)")
#: A list of character codes given whole to a call that makes a string of them (atk22r
#: R3): ``map(chr, [53, 51, ...])``, ``bytes([53, ...])``/``bytearray(...)`` (``.decode()``),
#: ``String.fromCharCode(...[53, ...])``, ``String.fromCharCode.apply(null, [53, ...])``,
#: ``chr(c) for c in [53, ...]``; group 1 the codes (the list is read as its characters,
#: the call around it left as written).
_CHAR_LIST_CALL = re.compile(
    r"(?:map[ \t]*\([ \t]*(?:chr|unichr|String\.fromCharCode)[ \t]*,|byte(?:s|array)[ \t]*\("
    r"|from(?:CharCode|CodePoint)[ \t]*\([ \t]*\.\.\.|fromCharCode\.apply[ \t]*\([ \t]*[\w.]+[ \t]*,"
    r"|chr[ \t]*\([ \t]*\w+[ \t]*\)[ \t]+for[ \t]+\w+[ \t]+in)"
    rf"[ \t]*[\[(][ \t]*({_CODE}(?:[ \t]*,[ \t]*{_CODE})*)[ \t]*,?[ \t]*[\])]")
#: a number given to a call that makes it a string (``str(536)``, ``String(22)``,
#: ``Integer.toString(8710)``): read as the number (``str(536)+'-'+str(22)+...``)
_NUMBER_CALL = re.compile(
    r"(?<![\w$.])(?:str|String|Integer\.toString|Long\.toString|repr|to_string|itoa|strconv\.Itoa)"
    r"[ \t]*\([ \t]*(['\"]?)([0-9]{1,12})\1[ \t]*\)")
#: what joins two such calls into one string: ``+``, PHP's ``.``, ``..`` (Lua), ``&`` (VB)
_CHAR_JOIN = re.compile(r"[ \t]*(?:\+|\.\.?|&)[ \t]*")


def _may_char_calls(text: str) -> bool:
    return "(" in text and ("hr(" in text or "har(" in text or "CharCode" in text or "CodePoint" in text
                            or "hr (" in text or "har (" in text or "chr," in text or "bytes" in text or "bytearray" in text
                            or "str(" in text or "String(" in text or "toString(" in text or "chr ," in text
                            or "itoa(" in text.lower() or "to_string(" in text)


def _char_call_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Each character-code call (``_CHAR_CALL``) as the characters it makes, and the
    operator joining two of them (``chr(53)+chr(51)``) as nothing: the string the code
    builds (det23).  A call with a code that is no character is left as written."""
    edits: list[tuple[int, int, str, int, int]] = []
    prev_end = -1
    for m in _CHAR_CALL.finditer(text):
        codes = [int(c, 16) if c[:2] in ("0x", "0X") else int(c) for c in re.split(r"[ \t]*,[ \t]*", m.group(1))]
        if not all(0 < c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF for c in codes):
            prev_end = -1
            continue
        if prev_end >= 0 and _CHAR_JOIN.fullmatch(text, prev_end, m.start()) is not None and m.start() > prev_end:
            edits.append((prev_end, m.start(), "", prev_end, m.start()))
        edits.append((m.start(), m.end(), _DECODED_CONTROLS.sub(" ", "".join(map(chr, codes))), m.start(), m.end()))
        prev_end = m.end()
    taken = [(e[0], e[1]) for e in edits]
    for m in _CHAR_LIST_CALL.finditer(text):
        a, b = m.span(1)
        if any(x < b and a < y for x, y in taken):
            continue
        codes = [int(c, 16) if c[:2] in ("0x", "0X") else int(c) for c in re.split(r"[ \t]*,[ \t]*", m.group(1))]
        if all(0 < c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF for c in codes):
            edits.append((a, b, _DECODED_CONTROLS.sub(" ", "".join(map(chr, codes))), a, b))
            taken.append((a, b))
    for m in _NUMBER_CALL.finditer(text):
        if not any(x < m.end() and m.start() < y for x, y in taken):
            edits.append((m.start(), m.end(), m.group(2), m.start(), m.end()))
    return sorted(edits)


#: KaTeX's ``\char`` (its macro reads a decimal number, ``'`` and octal digits, ``"`` and
#: hex digits of any length, or a backquote and a character; one space after a number
#: ends it): the character of that code (``\char53``, ``\char"0035``, ``\char`5``).
_TEX_CHAR = re.compile(r"\\char[ \t]*(?:([0-9]{1,8})|'([0-7]{1,8})|\"([0-9A-Fa-f]{1,8})|`\\?(.))[ ]?")


#: Source-code and JSON escapes of one character: ``\\u0035`` (JSON, JavaScript, Java,
#: Python; a UTF-16 surrogate pair as one character), ``\\u{35}`` (ES6, Rust, Swift),
#: ``\\U00000035`` (Python, C), ``\\x35`` and ``\\065`` (three octal digits: C, Python,
#: shells).  ``\\x`` and octal are read only for an ASCII character: runs of them that
#: write UTF-8 bytes are ``decode.find_blobs``' hex reading.
_BACKSLASH_ESC = re.compile(
    r"\\(?:u([dD][89abAB][0-9A-Fa-f]{2})\\u([dD][c-fC-F][0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|u\{([0-9A-Fa-f]{1,6})\}"
    r"|U([0-9A-Fa-f]{8})|x([0-7][0-9A-Fa-f])|([0-1][0-7]{2}))")


def _backslash_escape_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """The edits that decode ``text``'s backslash escapes (``_BACKSLASH_ESC``,
    ``_backslash_char``); an octal escape alone right after a digit is a separator, not
    an escape (``70\\0123``)."""
    edits: list[tuple[int, int, str, int, int]] = []
    last = -1
    for m in _BACKSLASH_ESC.finditer(text):
        if (m.group(7) is not None and m.start() != last and m.start() and text[m.start() - 1].isdigit()
                and not text.startswith("\\", m.end())):
            continue  # "70\0123": a backslash between digit groups is a separator, no octal escape
        last = m.end()
        char = _backslash_char(m)
        if char is not None:
            edits.append((m.start(), m.end(), _DECODED_CONTROLS.sub(" ", char), m.start(), m.end()))
    return edits


def _backslash_char(m: re.Match[str]) -> str | None:
    high, low, u4, braced, u8, hex2, octal = m.groups()
    if high is not None:
        code = 0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00)
    else:
        digits = u4 or braced or u8 or hex2
        code = int(digits, 16) if digits is not None else int(octal, 8)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def decode_escapes(text: str) -> Normalized | None:
    """``text`` with its HTML entities and percent escapes decoded, up to ``MAX_DEPTH``
    layers (``&amp;#52;`` is two), and nothing else changed; None when it has none.

    Every later reading runs on this text as on any other (the whole normalizing pass,
    the displayed order of bidi controls, struck text, the quick checks): an escape
    shows its character, so the decoded text is what the reader sees."""
    if "&" not in text and "%" not in text and "\\" not in text and "=" not in text and not _may_char_calls(text):
        return None
    result: Normalized | None = None
    current = text
    for _ in range(MAX_DEPTH):
        step = _decode_once(current)
        if step is None or step.text == current:
            break
        result = step if result is None else _compose(result, step)
        current = step.text
    return result
