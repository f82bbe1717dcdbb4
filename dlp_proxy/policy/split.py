"""Identifiers split across messages or built up by edits, judged per channel.

``123-45`` in one post and ``-6789`` in another are each harmless to the detector;
together, in front of the same readers, they are an SSN.  ``SplitWindow`` keeps, per
*channel* (the audience: every user's pieces, so two colluding users each posting half
are joined; a thread's posts are in their channel), the recent *pieces* in Redis and
runs the detector over the new piece joined with earlier ones.  A text outside any
channel (a profile field) has a window per user and route group.  The gateway feeds it
the digit-bearing texts of every inspected request but drafts (their writer alone sees
them): posts, edits, scheduled posts (at their send time: ``add``), slash commands, channel headers and purposes, bookmarks, the text extracted from
files, plugin and unknown writes.  A finding that crosses from earlier pieces into the
new one is returned, located in the new message (the part of the identifier it
contributed), with the transform ``split-messages``; the gateway judges it with the rest
of the request's findings.

What is joined (``_plan``):

- **pairs, both orders**: the new piece after each of the last ``max_messages - 1``
  distinct earlier pieces, those of its own timeline first (the channel's root posts, or
  the thread it replies in: ``Piece.r``; replies in another thread are shown apart)
  (head, then tail) *and before it* (tail posted first, or an
  earlier post edited to add a half: the reader sees both, in whichever order);
- **chains** of up to ``MAX_CHAIN + 1`` consecutive pieces in channel order through the
  new one (an identifier in three or four posts; a repeated text is a member each time),
  and up to ``LONG_CHAIN`` from a piece with words through bare pieces (``_bare``: an
  identifier typed a few characters a post; with letters among them, once more written
  together: an IBAN a character a post), each once through every piece and once past
  the chat between them (``_chat``: "room 12 is free", "call at 2:30?").  An edit (``post_id``) takes the place
  of the post it edits: its new text is chained with that post's neighbours, and the
  post's earlier version leaves the chain (it is no longer shown) but stays a pair
  partner (readers saw it before the edit); a post's versions count once among the
  partners, and the window keeps a post's first version and the one the edit replaces
  (the ones between leave it: one post edited 40 times flushed the window);
- an earlier piece joins up to its last digit and a separator right after it (words
  after the piece, "536-22 and the rest later", are dropped; words before it stay, as
  context); a later piece joins from its first digit and a separator right before it;
- filler (no digit, or a single digit in a longer text: "one sec", "ok 1") is no piece
  (``may_carry_a_piece``): the gateway does not put it in the window at all;
- each piece and the new message are also scanned on their own (only when something
  crossed), and a finding across a join that shares digits with an identifier one of
  them holds alone is not reported (two complete SSNs in consecutive posts are not a
  third one made of their halves).

Limits (constructor arguments, documented in docs/policy.md and docs/detection.md):

- ``max_messages`` (default 6; the gateway: ``DLP_SPLIT_MAX_FRAGMENTS``): the new
  piece is paired with up to ``max_messages - 1`` earlier distinct pieces of the
  channel (the most recent ones): the cost bound.  Identical pieces count once, so a
  repeated filler post does not push a half out of reach.
- the window keeps pieces by *time and size*, not by a small count:
  ``ttl_seconds`` (``DLP_SPLIT_WINDOW_SECONDS``) and ``max_bytes``
  (``DLP_SPLIT_WINDOW_BYTES``) per channel, at most ``MAX_STORED`` pieces; the oldest
  go first.
- ``max_chars`` (default 256): a piece keeps its first and last ``max_chars``
  characters (an identifier split across messages sits at a boundary).  The scanned
  text is at most ``8 * (max_messages - 1) + 4 * (2 * MAX_CHAIN + 1)`` joins (half
  of the pairs with pieces shown after the new one: scheduled posts; the chains twice,
  through every piece and past the chat, each once more glued where two posts of
  nothing but the number meet) of at most ``(MAX_CHAIN + 1) * (max_chars + 3)``
  characters, plus the long chains: at most ``_LONG_JOINS`` joins of two pieces' parts
  and ``LONG_CHAIN - 2`` bare ones (at most ``BARE_CHARS`` characters each).

Nothing readable is stored: each fragment is a small JSON object encrypted with
AES-256-GCM under a key derived (HKDF-SHA256) from the installation's ``hash`` key,
with the Redis key name and the fragment's time as associated data; the time (whole
seconds) is stored in clear in front of the blob so that the Lua script can evict by
age; the key name is an HMAC of the channel (of user and route group outside a
channel); a post id is kept only as an HMAC, inside the encrypted fragment.  A
fragment that cannot be decrypted (key rotated, tampered) is dropped; a key of the
wrong type (tampered, or a window written by an earlier version) is deleted and the
window restarted; the new message itself is still judged by the normal scan.

A scheduled post's piece waits apart until its send time (``scheduled_key``: a sorted
set by send time, the same sealed blobs) and is moved into the window by the first
piece of the channel after it.  An uploaded file's text ends are kept sealed by a keyed
hash of its id (``remember_file``, ``file_texts``) for the posts that attach it.

A post Mattermost deleted takes its pieces out (``forget_post``: the gateway calls it
once ``DELETE /api/v4/posts/{id}`` is answered 200; the window is found by the post's
entry, ``post_key``, written when the post is tagged or edited).

One Redis round trip per message: a Lua script reads the window (a Redis list),
appends the new fragment, evicts from the oldest end what is past ``ttl_seconds``,
``max_bytes`` or ``MAX_STORED`` and renews the key's TTL, atomically (two messages in
one channel at once cannot both miss each other's fragment).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import inspect
import itertools
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, NamedTuple, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.exceptions import ResponseError

from dlp_proxy.keys import keyed_hash
from dlp_proxy.model import (
    CREDIT_CARD,
    IBAN_CODE,
    SENSITIVE_ENTITIES,
    US_ITIN,
    US_SSN,
    Finding,
    lines_not_pieces,
)
from dlp_proxy.randpool import random_bytes

log = logging.getLogger("dlp_proxy.policy.split")

SEPARATOR = "\n"
SPLIT_TRANSFORM = "split-messages"
#: The longest run of earlier pieces chained with the new one (an identifier in four
#: posts); every other earlier piece is paired with the new one alone, in both orders.
MAX_CHAIN = 3
#: Longer chains, up to ``LONG_CHAIN`` pieces, go through *bare* pieces only: nothing
#: but identifier characters and separators, at most ``BARE_UNITS`` of them ("36",
#: "6-2", "1111"), as someone typing an identifier a few characters a post writes it,
#: from a first piece with words ("client SSN 5", "card 4111": its label).  Each is
#: short, so such a chain costs little; a piece with words ends it.  Bare pieces alone
#: (no words anywhere) chain up to ``MAX_CHAIN + 1``: longer runs of bare numbers
#: ("15", "38", "54", ...) make checksum-valid card numbers by chance.
LONG_CHAIN = 36
BARE_UNITS = 6
BARE_CHARS = 16
#: Long chains scanned for one new piece at most, in all (through every piece, past the
#: chat, written together): per length, the chain starts at the last piece with words
#: before a run of bare ones, so at most two (the new piece itself may be that start,
#: an edit followed by bare pieces); an edit amid many bare pieces is cut off here.
_LONG_JOINS = 32
#: The weakest reading that counts across a join.  A join puts side by side texts
#: their writers did not write together (often different people's): a shape alone
#: that is weak in one message (a 3-2-4 with dots, blanks or slashes and no context
#: word, 0.7: prices, versions, dates: "at 182.35" then "order 8710 shipped") is not
#: enough; a dashed 3-2-4, a checksum (cards, routing numbers, IBANs) or a context
#: word is.
MIN_SCORE = 0.8
#: A finding across more than ``MAX_CHAIN + 1`` pieces counts only with a context word
#: (the recognizers' explanation names it: ``context='card'``): a checksum alone is not
#: enough there, since the bare numbers of a price or a count posted one after another
#: ("px 93", "94", "95", ...) make Luhn-valid card numbers by chance.
_LABELLED = "context='"
#: Identifiers whose checksum and shape name them without a label (a card's Luhn check
#: and issuer prefix, an IBAN's country, length and mod-97): a join may complete them
#: unlabelled.  Every other one (an SSN or ITIN is any 3-2-4 with a valid area, a
#: routing number's checksum passes one number in ten, an account number has none) is
#: counted across a join only with a label of its own (``_labelled_here``) or where the
#: writer visibly split it (``_Join.writers``): an equity desk's "17 lots TSLA at 116-23"
#: after "bid 5969 offered 2690" is a Treasury price in 32nds and a size, not an SSN
#: (attack pass 10 P1: 10 to 35 of 60 desk posts stopped).
_SELF_EVIDENT = frozenset({CREDIT_CARD, IBAN_CODE})
#: ``context='acct' (-14 chars)`` in a recognizer's explanation (recognizers/_common.py)
_CONTEXT_AT = re.compile(r"context='([^']+)'(?: \(([+-]?\d+) chars\))?")
#: A word between a number and a context word after it that hands the label to
#: something else ("4868 booked to acct DESK-4": the account is DESK-4; "8710 is my
#: SSN" labels 8710).
_ELSEWHERE = re.compile(r"\b(?:to|for|from|at|in|on|into|onto|via|with|by|per|vs|under)\b")
#: Words before a later piece's number that name that number as one of its own (a desk's
#: price, size, order, ticket; a reference): it does not continue a number above
#: (``_Join.continues``).  Any other words carry it on: a closed list of connectives
#: was walked round with any other word ("remainder 8710", "sorry, 8710": attack pass 11).
_NAMES_A_NUMBER = frozenset({
    "bid", "bids", "offer", "offered", "ask", "px", "price", "level", "size", "qty", "quantity", "lot", "lots",
    "shares", "shs", "contracts", "sold", "bought", "buy", "sell", "fill", "filled", "fills", "working", "done",
    "vwap", "twap", "avg", "average", "arrival", "slippage", "bps", "notional", "limit", "stop", "strike", "exp",
    "ticket", "tkt", "order", "ord", "orders", "ref", "reference", "po", "invoice", "inv", "id", "case", "trade",
    "trades", "confirm", "conf", "cusip", "isin", "sedol", "ticker", "ext", "extension", "room", "page", "pg",
    "build", "version", "ver", "v", "release", "rev", "line", "row", "item", "step", "issue", "pr", "bug", "job",
    "port", "pid", "node", "ty", "fv", "tu", "us", "wn", "ust", "yield", "coupon", "cpn", "maturity", "settle",
    "settles", "settlement", "trade-date", "t", "qtr", "q", "fy", "year", "yr", "day", "days", "week", "month",
    "phone", "tel", "fax", "cell", "mobile", "zip", "postcode", "at",
})


def names_a_number(before: str) -> bool:
    """The last four words of ``before`` (in its last line and sentence) hold a word that
    names the number after them as one of its own (``_NAMES_A_NUMBER``: "order", "px",
    "qty", "id"...): another text's label does not reach it (``_Join.continues``; the
    recent context of a channel, a file's name)."""
    words = re.split(r"[\n.;!?]", before)[-1]
    return any(w in _NAMES_A_NUMBER for w in re.findall(r"[^\W\d_]+", words.lower())[-4:])


#: Pieces a channel's window holds at most, whatever their size (the byte budget and
#: the age limit usually evict first).
MAX_STORED = 512
#: Of the stored pieces, the newest ``READ_FACTOR * (max_messages - 1)`` are read back
#: (pair partners are chosen among them: distinct texts, so repeats cost nothing).
READ_FACTOR = 4
#: Seconds an uploaded file's text ends are kept for the posts that attach it
#: (``SplitWindow.remember_file``): as long as the gateway keeps an upload session.
FILE_SECONDS = 7 * 24 * 3600
#: Fragments kept opened in the process (``SplitWindow._piece``), the oldest dropped first.
OPENED_CACHE_SIZE = 4096


#: KEYS[1] the window, KEYS[2] its scheduled pieces, KEYS[3] its recent context
#: (``SplitWindow.recent_key``); ARGV: the new sealed fragment, the most pieces kept,
#: the oldest time kept (whole seconds), the byte budget, the key's TTL, how many to
#: return, now and the latest send time read back, the new recent-context entry ("":
#: none), how many entries are kept (0: none read), their TTL.
#: The recent context is read before the new entry is appended (same round trip).
#: Each blob starts with its time in clear ("<seconds>|"); a blob without one is
#: evicted.  Returns the newest fragments stored before this one, oldest first, the
#: scheduled ones sent soon, and the recent context's entries, oldest first (an
#: array reply: hiredis, a dependency, parses it in C; one ``<length>:<blob>`` string
#: split in Python cost ~50 us more a message for a full window).
_PUSH_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[3], ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[7])
for i = 1, #due do redis.call('RPUSH', KEYS[1], due[i]) end
local before = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('RPUSH', KEYS[1], ARGV[1])
local max_n = tonumber(ARGV[2])
local cutoff = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local total = string.len(ARGV[1])
for i = 1, #before do total = total + string.len(before[i]) end
local n = #before + 1
local drop = 0
for i = 1, #before do
  local t = tonumber(string.match(before[i], '^(%d+)|'))
  if t ~= nil and t >= cutoff and total <= budget and n - drop <= max_n then break end
  total = total - string.len(before[i])
  drop = drop + 1
end
if drop > 0 then redis.call('LTRIM', KEYS[1], drop, -1) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
local want = tonumber(ARGV[6])
local first = math.max(drop + 1, #before - want + 1)
local out = {}
for i = first, #before do out[#out + 1] = before[i] end
local later = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[7], ARGV[8], 'LIMIT', 0, want)
local recent = {}
local keep = tonumber(ARGV[10])
if keep > 0 then
  recent = redis.call('LRANGE', KEYS[3], -keep, -1)
  if ARGV[9] ~= '' then
    redis.call('RPUSH', KEYS[3], ARGV[9])
    redis.call('LTRIM', KEYS[3], -keep, -1)
    redis.call('EXPIRE', KEYS[3], tonumber(ARGV[11]))
  end
end
return {out, later, recent}
"""


#: KEYS[1] the window, KEYS[2] its scheduled pieces; ARGV: the new sealed fragment, its
#: send time, the earliest and latest send time read back, how many to read back on
#: each side, the most scheduled pieces kept, the scheduled pieces' TTL (seconds).
#: Returns {the window's newest fragments, the scheduled ones sent at or before the new
#: one (the nearest first), those sent after it (the nearest first)}.
_SCHEDULE_LUA = """
local want = tonumber(ARGV[5])
local recent = redis.call('LRANGE', KEYS[1], -want, -1)
local before = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[2], ARGV[3], 'LIMIT', 0, want)
local after = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], ARGV[4], 'LIMIT', 0, want)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local n = redis.call('ZCARD', KEYS[2])
local max_n = tonumber(ARGV[6])
if n > max_n then redis.call('ZREMRANGEBYRANK', KEYS[2], max_n - n, -1) end
local ttl = tonumber(ARGV[7])
if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
return {recent, before, after}
"""


#: KEYS[1] the scheduled pieces, KEYS[2] the scheduled post's entry (``post_key``);
#: ARGV: a stored fragment, what replaces it (at the same send time), the window's
#: name, the entry's TTL.
_TAG_SCHEDULED_LUA = """
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], at, ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[4]))
return 1
"""


#: KEYS[1] the window, KEYS[2] the post's entry (``post_key``); ARGV: a stored
#: fragment, what replaces it (in its place), the window's name, the entry's TTL.
_TAG_LUA = """
local i = redis.call('LPOS', KEYS[1], ARGV[1])
if not i then return 0 end
redis.call('LSET', KEYS[1], i, ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[4]))
return 1
"""


def _groups(reply: Any, n: int) -> list[list[bytes]]:
    """A script's reply of ``n`` lists of blobs.  Raises ``ValueError`` on anything
    else (the gateway fails closed)."""
    if not isinstance(reply, list) or len(reply) != n:
        raise ValueError("split window: malformed fragment lists")
    return [_fragments(r) for r in reply]


def _fragments(reply: Any) -> list[bytes]:
    """``_PUSH_LUA``'s reply: a list of blobs.  Raises ``ValueError`` on anything else
    (the gateway fails closed)."""
    if not isinstance(reply, list) or not all(isinstance(b, bytes) for b in reply):
        raise ValueError("split window: malformed fragment list")
    return reply


_NON_ASCII = re.compile("[^\x00-\x7f]")


def _digit_count(text: str) -> int:
    """The characters of ``text`` that are digits or numeric (``_digit``): the ASCII
    digits counted at C speed, then the non-ASCII characters alone (no ASCII character
    but 0-9 is a digit or numeric), not every character in a Python loop."""
    n = sum(map(text.count, "0123456789"))
    if text.isascii():
        return n
    return n + sum(1 for c in _NON_ASCII.findall(text) if c.isdigit() or c.isnumeric())


#: a text with a single digit is a piece only when the digit is at its start or end
#: (separators aside: "5", "-0", "ssn 5", "5 is the first"): a split can leave one
#: digit on either side of the cut.  A digit with words on both sides ("brb 2 min",
#: "room 1 is free") is filler, and filler must not push the real pieces out of reach
_SEPARATORS = " \t\r\n-./_,:;#()+*~|\\!?\"'"


def _digit(c: str) -> bool:
    return c.isdigit() or c.isnumeric()


@functools.lru_cache(maxsize=4096)
def _has_digit(text: str) -> bool:
    """``any(c.isdigit() for c in text)``, remembered: each piece of a channel's window
    is read back by up to ``READ_FACTOR * (max_messages - 1)`` later messages, and
    ``plan`` asks this of every one of them (~2 us of Python each, ~0.25 ms a plan)."""
    return any(c.isdigit() for c in text)


#: words that may follow a label at the end of a label post ("account number is:")
_LABEL_TAIL = r"(?:\s*(?:is|was|no\.?|nbr|num|number|#|=|ending(?:\s+in)?)){0,2}"


@functools.lru_cache(maxsize=1)
def _label_words() -> list[str]:
    """The context words of the recognizers of the entities the window looks for
    (lower-cased, ASCII), the longest first."""
    from dlp_proxy.recognizers.bank import (  # the recognizers' own vocabulary
        STRONG_ACCOUNT,
        RoutingNumberRecognizer,
        SortCodeAccountRecognizer,
    )
    from dlp_proxy.recognizers.cards import PaymentCardRecognizer
    from dlp_proxy.recognizers.iban import IbanCodeRecognizer
    from dlp_proxy.recognizers.ssn import ItinRecognizer, SsnRecognizer

    words = {w.lower() for group in (SsnRecognizer.DEFAULT_CONTEXT, ItinRecognizer.DEFAULT_CONTEXT,
                                     RoutingNumberRecognizer.DEFAULT_CONTEXT, STRONG_ACCOUNT,
                                     SortCodeAccountRecognizer.DEFAULT_CONTEXT,
                                     PaymentCardRecognizer.DEFAULT_CONTEXT, IbanCodeRecognizer.DEFAULT_CONTEXT)
             for w in group if w.isascii()}
    return sorted(words, key=lambda w: (-len(w), w))


@functools.lru_cache(maxsize=1)
def _label_alternation() -> str:
    """``_label_words`` as one alternation over lower-cased text, read as the recognizers
    read them (recognizers/_common.py ``lower_alternation``): each phrase (and each
    acronym, spelled a letter at a time) with the recognizers' gaps between its parts ("S/S/N:",
    "I.T.I.N", "account_number:"), the words grouped by their first letter."""
    from dlp_proxy.recognizers._common import lower_alternation  # (not at import: loads the recognizers)

    alternation = lower_alternation(_label_words())
    assert alternation is not None  # the words are ASCII (``_label_words``)
    return alternation


@functools.lru_cache(maxsize=1)
def _label_at_end() -> re.Pattern[str]:
    """The context words of the recognizers of the entities the window looks for,
    as the last words of a text (separators after them aside)."""
    return re.compile(r"(?<![a-z0-9])" + _label_alternation() + r"(?![a-z0-9])" + _LABEL_TAIL + r"[\W_]*\Z")


@functools.lru_cache(maxsize=1)
def _label_word() -> re.Pattern[str]:
    """``_label_at_end``'s words anywhere, not followed by a letter or digit: a
    lower-cased text in which this finds nothing has no line that ``is_label`` reads as
    a label (a line's lower-cased end is a substring of the lower-cased text, a line
    ends at a line break, and what follows a label in ``is_label`` follows it here), so
    a text's lines need not be asked one by one (``line_pieces``).  No boundary before
    the word: ``is_label`` reads a line's last ``LABEL_CHARS`` characters, where a word
    may start the excerpt after a letter of the line."""
    return re.compile(_label_alternation() + "(?![a-z0-9])")


def has_label_word(text: str) -> bool:
    """Whether ``text`` holds a context word of the identifiers the window looks for
    (``_label_word``): one regex pass, before the detector's ``context_terms``."""
    return _label_word().search(text.lower()) is not None


#: how much of a text's end ``is_label`` reads
LABEL_CHARS = 48


def is_label(message: str) -> bool:
    """A text without digits that ends with an identifier's label ("client SSN:",
    "John's account number:", "card no"): the readers see it right over the next
    post, so a bare number there has its context word.  A label is a piece (the
    first of a join, before the new one, ``_cut``)."""
    tail = message[-LABEL_CHARS:].lower()
    return any(c.isalpha() for c in tail) and _label_at_end().search(tail) is not None


@functools.lru_cache(maxsize=4096)
def _ends_in_label(text: str) -> bool:
    """A piece with digits whose words after its last digit are an identifier's label
    ("ABA 032468018, acct #", "wire: RTN 050174960 / a/c"): the readers see that label
    right over the next post, as they see a label-only post (``is_label``), so a piece
    first in a join keeps it (``_cut``) and it names a number that starts the next one."""
    i = len(text)
    while i > 0 and not text[i - 1].isdigit():
        i -= 1
    if not 0 < i < len(text):
        return False
    if is_label(text[i:]):
        return True
    # "wire: RTN 222107383 / account": after a routing number, an account word is its label
    words = re.findall(r"[a-z/']+", text[i:].lower())
    return bool(words) and words[-1] in _account_words() and _routing_word().search(text[:i].lower()) is not None


@functools.lru_cache(maxsize=1)
def _account_words() -> frozenset[str]:
    from dlp_proxy.recognizers.bank import WEAK_ACCOUNT

    return frozenset(w.lower() for w in WEAK_ACCOUNT if " " not in w)


@functools.lru_cache(maxsize=1)
def _routing_word() -> re.Pattern[str]:
    from dlp_proxy.detect.literals import literal_trie  # (not at import: detect/__init__ loads the engine)
    from dlp_proxy.recognizers.bank import RoutingNumberRecognizer

    words = sorted({w.lower() for w in RoutingNumberRecognizer.DEFAULT_CONTEXT if w.isascii()}, key=lambda w: (-len(w), w))
    return re.compile(r"(?<![a-z0-9])" + literal_trie(words) + r"(?![a-z0-9])")


_SPACED = re.compile(r"[ \t]*(?:[A-Z0-9]{1,4}[ \t]+)+[A-Z0-9]{1,4}[ \t]*")


#: capitals ``unspaced`` never writes a lone capital onto: an IBAN's labels
_LABEL_TOKENS = frozenset({"IBAN", "BIC"})


def unspaced(text: str) -> str:
    """A post of capital letters typed apart and short groups ("E S 66", "I T 82",
    "B A R C", "W 109": an IBAN spelled a few characters a post, its number words read
    as digits) with the blanks next to a lone capital left out ("ES66", "BARC"), as the
    recognizers read an IBAN's groups.  Any other text is returned as it is."""
    if len(text) > 2 * BARE_CHARS or _SPACED.fullmatch(text) is None:
        return text
    tokens = text.split()
    out = tokens[0]
    for prev, token in itertools.pairwise(tokens):
        lone = (len(prev) == 1 and prev.isalpha()) or (len(token) == 1 and token.isalpha())
        # (a label stays a word: "IBAN G" is the label and a country code's first letter)
        out += token if lone and prev not in _LABEL_TOKENS else " " + token
    return out if out != " ".join(tokens) else text


def may_carry_a_piece(message: str, labels: bool = True, capitals: bool = False) -> bool:
    """Whether ``message`` may hold a piece of an identifier split across texts: two
    digits or more (or digit forms normalization folds to digits), one digit at its
    start or end (separators aside), or no digit and an identifier's label at its end
    (``is_label``).  The others (filler) neither enter the window nor pay for its
    Redis round trip, so the window holds pieces, not chatter.  Exact and cheap: the
    gateway asks it before any Redis work.  ``labels`` False: the caller knows
    ``message`` holds no label word (``_label_word``), and no label is looked for.
    ``capitals``: a post of one to four capitals ("BARC", "G", "E S": an IBAN's bank
    code, its letters typed a post), or an IBAN's label and the first one or two letters
    of its country code ("IBAN G", ``_iban_head``), is a piece too (the gateway's posts:
    ``split_piece``; not a text's lines, ``line_pieces``, where such a line is read as
    written: the IBAN recognizer reads a line break inside an IBAN's first characters);
    so is a post of one to four letters drawn as digits (``lO``, ``O``: ``_lookalike_post``),
    joined only glued to the digits ending the post before it."""
    n = _digit_count(message)
    if n >= 2:
        return True
    if n == 0:
        return ((capitals and (_capitals(message) or _capitals(unspaced(message)) or _iban_head(message)
                             or _lookalike_post(message)))
                or (labels and is_label(message)))
    core = message.strip(_SEPARATORS)
    return bool(core) and (_digit(core[0]) or _digit(core[-1]))


class _Analyzer(Protocol):
    """A detector: ``analyze`` returns the findings, or an awaitable of them (the
    gateway's scans a text that may cost more than a few milliseconds in a worker
    process, off the event loop: dlp_proxy/gateway/pipeline.py)."""

    def analyze(
        self, text: str, *, entities: Collection[str] | None = None
    ) -> list[Finding] | Awaitable[list[Finding]]: ...


async def _analyze(detector: _Analyzer, text: str, entities: Collection[str]) -> list[Finding]:
    with lines_not_pieces():  # a joined text: its lines are no pieces of one message
        found = detector.analyze(text, entities=entities)
        if inspect.isawaitable(found):
            return list(await found)
        return list(found)


#: where a part of a joined text went: (its start in the text scanned, its start in
#: the joined text, its length with its gap)
_Moved = tuple[int, int, int]


def apart(text: str, starts: Sequence[int]) -> list[tuple[str, list[_Moved]]]:
    """``text``, made of independent parts (a window's joins, or its pieces on their
    own, each followed by its gap) starting at ``starts``, as the texts to scan: the
    text itself when its parts are all ASCII or none is; else its ASCII parts in one
    text and the others in another, with where each part went.

    One character outside ASCII turns off the detector's ASCII fast paths and turns on
    readings (display order, look-alike letters, words read as numbers) for the whole
    text it is in.  A channel's window joins each new post with up to 31 earlier
    pieces: a few pieces of Hebrew, Korean or OCR text in it made every later post with
    a digit cost 14-18 s of scan where it cost 0.03-0.2 s in a clean channel
    (docs/benchmarks.md, "Split window").  The parts never read across their gaps
    (``_GAP``), so where they are scanned does not change what each one holds."""
    bounds = [*starts, len(text)]
    ascii_parts: list[tuple[int, int]] = []
    other_parts: list[tuple[int, int]] = []
    for lo, hi in itertools.pairwise(bounds):
        (ascii_parts if text[lo:hi].isascii() else other_parts).append((lo, hi))
    if not ascii_parts or not other_parts:
        return [(text, [(0, 0, len(text))])]
    groups: list[tuple[str, list[_Moved]]] = []
    for parts in (ascii_parts, other_parts):
        at = 0
        where: list[_Moved] = []
        for lo, hi in parts:
            where.append((at, lo, hi - lo))
            at += hi - lo
        groups.append(("".join(text[lo:hi] for lo, hi in parts), where))
    return groups


def moved_back(found: list[Finding], where: list[_Moved]) -> list[Finding]:
    """``found`` in a text of ``apart``, located in the joined text: each finding within
    its part (a reading that runs past its part's gap, into a part it never met in the
    joined text, is none)."""
    if len(where) == 1 and where[0][0] == where[0][1]:
        return found
    starts = [at for at, _, _ in where]
    out: list[Finding] = []
    for f in found:
        at, origin, size = where[bisect.bisect_right(starts, f.start) - 1]
        if f.end <= at + size:
            out.append(dataclasses.replace(f, start=f.start - at + origin, end=f.end - at + origin))
    return out


async def _analyze_apart(detector: _Analyzer, text: str, starts: Sequence[int],
                         entities: Collection[str]) -> list[Finding]:
    """``_analyze`` of a joined text, its ASCII parts apart from the others (``apart``)."""
    out: list[Finding] = []
    for group, where in apart(text, starts):
        out.extend(moved_back(await _analyze(detector, group, entities), where))
    return sorted(out, key=lambda f: f.start)


def _analyze_apart_sync(analyze: Callable[[str], list[Finding]], text: str, starts: Sequence[int]) -> list[Finding]:
    out: list[Finding] = []
    for group, where in apart(text, starts):
        out.extend(moved_back(analyze(group), where))
    return sorted(out, key=lambda f: f.start)


class Piece(NamedTuple):
    """A fragment as read back from the window."""

    t: float  # when it was added
    s: str  # its text (first and last ``max_chars`` characters)
    p: str = ""  # keyed hash of the post it is a version of ("" when unknown)
    r: str = ""  # keyed hash of the thread it is a reply in ("": the channel's root posts)


def keep(text: str, max_chars: int) -> str:
    """What is stored of a text: all of it, or its first and last ``max_chars``."""
    if len(text) <= 2 * max_chars + 1:
        return text
    return f"{text[:max_chars]}\n{text[-max_chars:]}"


class Added(NamedTuple):
    """A piece added to a window, and what it completed."""

    name: str
    blob: bytes
    findings: list[Finding]
    #: a scheduled post's piece: kept apart until its send time (``scheduled_key``)
    pending: bool = False
    #: the post's entry in the channel's recent context (``recent_key``), b"" when none
    context: bytes = b""


class SplitWindow:
    def __init__(
        self,
        redis_client: Any,
        *,
        max_messages: int = 6,
        ttl_seconds: int = 300,
        max_chars: int = 256,
        max_bytes: int = 65536,
        key: bytes | None = None,
        prefix: str = "dlp:split:",
        entities: Collection[str] = SENSITIVE_ENTITIES,
        clock: Callable[[], float] = time.time,
        recent_posts: int = 4,
        recent_seconds: int = 180,
    ) -> None:
        if not 2 <= max_messages <= 64:
            raise ValueError("max_messages must be 2 to 64 (the new piece and up to 63 earlier)")
        if ttl_seconds < 1 or max_chars < 16 or max_bytes < 1024:
            raise ValueError("ttl_seconds must be >= 1, max_chars >= 16 and max_bytes >= 1024")
        if key is None:
            from dlp_proxy.keys import load_key

            key = load_key("hash")
        self.redis = redis_client
        self.max_messages = max_messages
        self.ttl_seconds = ttl_seconds
        self.max_chars = max_chars
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.entities = frozenset(entities)
        self.clock = clock
        #: the recent context (``recent_key``): entries kept, and for how long
        self.recent_posts = max(0, min(recent_posts, 16))
        self.recent_seconds = max(1, recent_seconds)
        self._name_key = key
        self._script = redis_client.register_script(_PUSH_LUA) if redis_client is not None else None
        self._tag_script = redis_client.register_script(_TAG_LUA) if redis_client is not None else None
        self._schedule_script = redis_client.register_script(_SCHEDULE_LUA) if redis_client is not None else None
        self._tag_scheduled_script = (redis_client.register_script(_TAG_SCHEDULED_LUA)
                                      if redis_client is not None else None)
        #: fragments opened, by (window, blob): ``_piece``
        self._opened: dict[tuple[str, bytes], Piece] = {}
        self._aead = AESGCM(
            HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dlp-proxy split-window v2").derive(
                key
            )
        )

    def redis_key(self, user_id: str, channel_id: str) -> str:
        """The window of a channel (all its users: the audience); a text outside any
        channel (``channel_id`` "~<route group>" or empty) has one per user and group."""
        if channel_id and not channel_id.startswith("~"):
            return self.prefix + keyed_hash(self._name_key, f"split\0channel\0{channel_id}")[:40]
        return self.prefix + keyed_hash(self._name_key, f"split\0{user_id}\0{channel_id}")[:40]

    @staticmethod
    def recent_key(name: str) -> str:
        """Where a window keeps its channel's recent context (``add`` with ``words``,
        ``note``): a list of the latest posts' context words, beside the window."""
        return name + ":ctx"

    def _entry(self, now: float, words: Collection[str], digits: bool, thread: str | None) -> bytes:
        """A recent-context entry: its time in clear in front (as a fragment's), then the
        context words (the detector's vocabulary only, never the text), whether the post
        had a number, and the keyed hash of its thread."""
        data: dict[str, Any] = {"w": sorted(words)[:RECENT_MAX_WORDS], "d": int(digits)}
        if thread:
            data["r"] = keyed_hash(self._name_key, f"split\0thread\0{thread}")[:24]
        return f"{int(now)}|".encode() + json.dumps(data, separators=(",", ":")).encode()

    async def note(self, user_id: str, channel_id: str, words: Collection[str], thread: str | None = None) -> Added:
        """A post without a piece but with context words ("what's Jane Doe's social
        security number?"): its words join the channel's recent context, for the short
        posts after it (``add``'s ``recent``).  One round trip, no read; ``withdraw``
        takes the entry out again (the post was stopped or refused)."""
        name = self.redis_key(user_id, channel_id)
        if not self.recent_posts or not words:
            return Added(name, b"", [])
        entry = self._entry(self.clock(), words, False, thread)
        key = self.recent_key(name)
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(key, entry)
        pipe.ltrim(key, -self.recent_posts, -1)
        pipe.expire(key, self.recent_seconds)
        await pipe.execute()
        return Added(name, b"", [], context=entry)

    def _recent_words(self, entries: list[bytes], now: float, thread: str) -> set[str]:
        """The context words that label a short post now (``entries``: the channel's
        recent context before it, oldest first): those of the latest entries of its own
        timeline or of the channel's root posts (a thread's root is one), within
        ``recent_seconds``, from the newest back to the latest post with a number
        (whose words label its own number: "client SSN AAA-GG-" then "notes 100200300"):
        a question is context for the first answer with a number after it,
        not for the numbers of the posts after that answer ("which account?", "order
        4839201234 filled", "4839201299 too")."""
        words: set[str] = set()
        for raw in reversed(entries):
            stamp, bar, rest = raw.partition(b"|")
            try:
                if not bar or not stamp.isdigit():
                    raise ValueError("no time stamp")
                data = json.loads(rest)
            except ValueError:
                continue
            if not isinstance(data, dict) or now - int(stamp) > self.recent_seconds:
                continue
            r = data.get("r", "")
            if r and r != thread:
                continue  # a reply in another thread: shown apart
            if data.get("d"):
                break  # its words are its own number's label ("client SSN AAA-GG-")
            words.update(w for w in data.get("w", ()) if isinstance(w, str))
        return words

    @staticmethod
    def scheduled_key(name: str) -> str:
        """Where a window keeps its scheduled posts' pieces until they are sent: a
        sorted set by send time (``add`` with ``send_at``), beside the window."""
        return name + ":sched"

    def post_tag(self, post_id: str) -> str:
        return keyed_hash(self._name_key, f"split\0post\0{post_id}")[:24]

    def post_key(self, post_id: str) -> str:
        """Which window holds a post's pieces (``forget_post``): a key named by a keyed
        hash of the post id (not its ``post_tag``), the window's name as its value."""
        return self.prefix + "post:" + keyed_hash(self._name_key, f"split\0post-window\0{post_id}")[:40]

    async def forget_post(self, post_id: str) -> int:
        """Mattermost deleted a post: no reader sees it any more, so its pieces (every
        version tagged with it) leave its window.  Returns how many left.  Three round
        trips, for deletes of posts with a piece only (others: one)."""
        entry = self.post_key(post_id)
        name = await self.redis.get(entry)
        if not name:
            return 0
        name = name.decode() if isinstance(name, bytes) else str(name)
        tag = self.post_tag(post_id)
        gone = [blob for blob in _fragments(await self.redis.lrange(name, 0, -1))
                if (piece := self._piece(name, blob)) is not None and piece.p == tag]
        unsent = await self._versions(name, tag)
        pipe = self.redis.pipeline(transaction=False)
        for blob in gone:
            pipe.lrem(name, 1, blob)
        if unsent:
            pipe.zrem(self.scheduled_key(name), *unsent)
        pipe.delete(entry)
        await pipe.execute()
        return len(gone) + len(unsent)

    async def _versions(self, name: str, tag: str) -> list[bytes]:
        """The scheduled pieces of ``name`` tagged ``tag`` (a scheduled post's versions)."""
        return [blob for blob in _fragments(await self.redis.zrange(self.scheduled_key(name), 0, -1))
                if (piece := self._piece(name, blob)) is not None and piece.p == tag]

    # -- storage -------------------------------------------------------------------
    def _seal(self, name: str, fragment: dict[str, Any]) -> bytes:
        stamp = str(int(fragment["t"])).encode()
        nonce = random_bytes(12)
        plain = json.dumps(fragment, separators=(",", ":")).encode("utf-8", "surrogatepass")
        return stamp + b"|" + nonce + self._aead.encrypt(nonce, plain, name.encode() + b"|" + stamp)

    def _open(self, name: str, blob: bytes) -> dict[str, Any] | None:
        stamp, bar, rest = blob.partition(b"|")
        try:
            if not bar or not stamp.isdigit():
                raise ValueError("no time stamp")
            plain = self._aead.decrypt(rest[:12], rest[12:], name.encode() + b"|" + stamp)
            data = json.loads(plain.decode("utf-8", "surrogatepass"))
        except (InvalidTag, ValueError):
            log.warning("a split-window fragment of %s could not be decrypted; dropped", name)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            return None
        return data

    def _piece(self, name: str, blob: bytes) -> Piece | None:
        """``_open`` as a ``Piece``, remembered by (window, blob): a fragment is read
        back by up to ``READ_FACTOR * (max_messages - 1)`` later messages of its
        channel, and is decrypted once per process, not once per reading.  The blob
        (its nonce and tag) and the window's name (the associated data) are the key,
        so a fragment copied to another window is still opened, and refused, there."""
        key = (name, blob)
        got = self._opened.get(key)
        if got is not None:
            return got
        opened = self._open(name, blob)
        if opened is None:
            return None
        piece = Piece(float(opened.get("t", 0)), str(opened["s"]), str(opened.get("p", "")), str(opened.get("r", "")))
        self._remember(key, piece)
        return piece

    def _remember(self, key: tuple[str, bytes], piece: Piece) -> None:
        if len(self._opened) >= OPENED_CACHE_SIZE:
            del self._opened[next(iter(self._opened))]  # the oldest first
        self._opened[key] = piece

    async def _push(self, name: str, sealed: bytes, now: float, entry: bytes = b"",
                    ) -> tuple[list[bytes], list[bytes], list[bytes]]:
        """Move the scheduled pieces sent by now into the window (at the end: their
        send time is in them), append ``sealed``, evict by age, size and count; return
        the newest fragments that were there before, the scheduled ones sent within
        the window's age from now (the soonest first), and the channel's recent context
        before ``entry`` is appended to it (one round trip)."""
        assert self._script is not None
        args = [sealed, MAX_STORED, int(now) - self.ttl_seconds, self.max_bytes, self.ttl_seconds,
                READ_FACTOR * (self.max_messages - 1), repr(now), repr(now + self.ttl_seconds),
                entry, self.recent_posts, self.recent_seconds]
        keys = [name, self.scheduled_key(name), self.recent_key(name)]
        try:
            stored, later, recent = _groups(await self._script(keys=keys, args=args), 3)
        except ResponseError as exc:
            if "WRONGTYPE" not in str(exc):
                raise
            log.warning("split window %s had the wrong type; starting a new one", name)
            await self.redis.delete(*keys)
            stored, later, recent = _groups(await self._script(keys=keys, args=args), 3)
        return stored, later, recent

    async def tag(self, added: Added, post_id: str) -> bool:
        """Tag a stored piece with the post Mattermost created from it (its id only as
        ``post_tag``, inside the sealed fragment), so that the post's first edit stands
        where the post is in the channel's order.  The fragment keeps its time and text;
        one round trip (``_TAG_LUA``).  False when the piece has left the window."""
        if not added.blob:
            return False  # a recent-context entry alone (``note``)
        piece = self._piece(added.name, added.blob)
        if piece is None or not post_id:
            return False
        tagged = piece._replace(p=self.post_tag(post_id))
        fragment: dict[str, Any] = {"t": tagged.t, "s": tagged.s, "p": tagged.p}
        if tagged.r:
            fragment["r"] = tagged.r
        blob = self._seal(added.name, fragment)
        self._remember((added.name, blob), tagged)
        if added.pending:
            # a scheduled post saved (created, or edited: the edit replaces it, its other
            # versions are never sent); found by its entry until its send time has passed
            assert self._tag_scheduled_script is not None
            ttl = max(1, int(piece.t - self.clock())) + self.ttl_seconds
            if not await self._tag_scheduled_script(keys=[self.scheduled_key(added.name), self.post_key(post_id)],
                                                    args=[added.blob, blob, added.name, ttl]):
                return False
            stale = [b for b in await self._versions(added.name, tagged.p) if b != blob]
            if stale:
                await self.redis.zrem(self.scheduled_key(added.name), *stale)
            return True
        assert self._tag_script is not None
        return bool(await self._tag_script(keys=[added.name, self.post_key(post_id)],
                                           args=[added.blob, blob, added.name, self.ttl_seconds]))

    # -- uploaded files' texts ----------------------------------------------------
    def file_key(self, file_id: str) -> str:
        """Where an uploaded file's text ends are kept (``remember_file``): a keyed hash
        of its id."""
        return self.prefix + "file:" + keyed_hash(self._name_key, f"split\0file\0{file_id}")[:40]

    async def remember_file(self, file_id: str, text: str) -> None:
        """Keep an uploaded file's text ends (its first and last ``max_chars``
        characters, ``keep``) for ``FILE_SECONDS``, sealed as fragments are (the key's
        name as associated data), so that a post attaching it (``file_ids``) is judged
        with them (``file_texts``): Mattermost shows a post's message over its files."""
        name = self.file_key(file_id)
        nonce = random_bytes(12)
        plain = json.dumps({"s": keep(text, self.max_chars)}).encode("utf-8", "surrogatepass")
        await self.redis.set(name, nonce + self._aead.encrypt(nonce, plain, name.encode()), ex=FILE_SECONDS)

    async def file_texts(self, file_ids: list[str]) -> list[str | None]:
        """The text ends ``remember_file`` kept of each file (None: none kept, or not
        readable any more: a key rotated, a tampered value).  One round trip."""
        if not file_ids:
            return []
        names = [self.file_key(f) for f in file_ids]
        out: list[str | None] = []
        for name, blob in zip(names, await self.redis.mget(names), strict=True):
            text = None
            if isinstance(blob, bytes) and len(blob) > 12:
                try:
                    data = json.loads(self._aead.decrypt(blob[:12], blob[12:], name.encode()).decode(
                        "utf-8", "surrogatepass"))
                    text = data.get("s") if isinstance(data, dict) and isinstance(data.get("s"), str) else None
                except (InvalidTag, ValueError):
                    log.warning("an uploaded file's text ends could not be decrypted; dropped")
            out.append(text)
        return out

    async def clear(self, user_id: str, channel_id: str) -> None:
        await self.redis.delete(self.redis_key(user_id, channel_id))

    # -- the check -----------------------------------------------------------------
    async def check(self, user_id: str, channel_id: str, text: str, detector: _Analyzer, *,
                    post_id: str | None = None) -> list[Finding]:
        """Add ``text`` to the window of ``channel_id`` (``post_id``: the post it edits);
        return findings completed by it across messages.  Raises on Redis errors (the
        gateway fails closed)."""
        return (await self.add(user_id, channel_id, text, detector, post_id=post_id)).findings

    async def withdraw(self, added: Added) -> None:
        """Take a piece out again: the request that carried it was stopped, so no reader
        sees it (one more round trip, for stopped requests only)."""
        if added.context:
            await self.redis.lrem(self.recent_key(added.name), 1, added.context)
        if not added.blob:
            return
        if added.pending:
            await self.redis.zrem(self.scheduled_key(added.name), added.blob)
        else:
            await self.redis.lrem(added.name, 1, added.blob)

    async def add(self, user_id: str, channel_id: str, text: str, detector: _Analyzer, *,
                  post_id: str | None = None, thread: str | None = None,
                  send_at: float | None = None, recent: bool = False, words: Collection[str] = ()) -> Added:
        """``check``, and what to hand ``withdraw`` if the request is stopped
        (``thread``: the root post of the thread the text is a reply in).

        ``recent``: the text is a post's (created or edited, not scheduled): it joins the
        channel's recent context (``recent_key``) with its context words ``words`` and
        its number, and, when short (``RECENT_MAX_CHARS``), is read with the recent
        context's words in front of each line (``_labelled_by_recent``), as a thread's
        root labels a bare answer in the thread.

        ``send_at``: a scheduled post's send time (seconds; ``post_id``: the scheduled
        post it edits).  Mattermost sends it itself then (app/scheduled_post_job.go),
        not through the gateway, so its piece is placed where readers will see it: it
        is judged now, at that time, with the window's pieces still young then and the
        other scheduled pieces sent within the window's age of it, and kept apart
        (``scheduled_key``) until then: it counts against no piece of the posts shown
        now, and a delete or an edit of the scheduled post takes it out (``forget_post``,
        ``tag``).  Once sent, the next piece of the channel moves it into the window at
        its send time.  A send time already past is sent at the job's next run: a
        piece of now."""
        name = self.redis_key(user_id, channel_id)
        now = self.clock()
        text = unspaced(text)
        if send_at is not None and send_at > now:
            return await self._schedule(name, text, detector, now, send_at, post_id, thread)
        new = Piece(now, keep(text, self.max_chars), self.post_tag(post_id) if post_id else "",
                    keyed_hash(self._name_key, f"split\0thread\0{thread}")[:24] if thread else "")
        fragment: dict[str, Any] = {"t": now, "s": new.s}
        if new.p:
            fragment["p"] = new.p
        if new.r:
            fragment["r"] = new.r
        blob = self._seal(name, fragment)
        if post_id:  # an edit: a delete of its post takes it out (``forget_post``)
            await self.redis.set(self.post_key(post_id), name, ex=self.ttl_seconds)
        # (a label-only post, "client SSN:", is a piece without a number)
        entry = self._entry(now, words, _has_digit(text), thread) if recent and self.recent_posts else b""
        return Added(name, blob, await self._judge(name, blob, new, text, now, detector, entry, recent),
                     context=entry)

    async def _schedule(self, name: str, text: str, detector: _Analyzer, now: float, send_at: float,
                        post_id: str | None, thread: str | None) -> Added:
        new = Piece(send_at, keep(text, self.max_chars), self.post_tag(post_id) if post_id else "",
                    keyed_hash(self._name_key, f"split\0thread\0{thread}")[:24] if thread else "")
        fragment: dict[str, Any] = {"t": send_at, "s": new.s}
        if new.p:
            fragment["p"] = new.p
        if new.r:
            fragment["r"] = new.r
        blob = self._seal(name, fragment)
        ttl = int(send_at - now) + 1 + self.ttl_seconds  # kept until sent, then its age
        if post_id:  # an edit of a scheduled post: a delete of it takes the piece out
            await self.redis.set(self.post_key(post_id), name, ex=ttl)
        assert self._schedule_script is not None
        want = READ_FACTOR * (self.max_messages - 1)
        recent, before, after = _groups(await self._schedule_script(
            keys=[name, self.scheduled_key(name)],
            args=[blob, repr(send_at), repr(send_at - self.ttl_seconds), repr(send_at + self.ttl_seconds),
                  want, MAX_STORED, ttl]), 3)
        self._remember((name, blob), new)
        earlier: list[Piece] = []
        for sealed in (*recent, *before, *after):
            piece = self._piece(name, sealed)
            # shown within the window's age of the send time; the versions of the
            # scheduled post this edit replaces are never sent
            if piece is not None and abs(send_at - piece.t) <= self.ttl_seconds and not (new.p and piece.p == new.p):
                earlier.append(piece)
        scan = plan(earlier, new, self.max_messages - 1, self.max_chars)
        found = [] if scan is None else await _completed(scan, text, new, detector, self.entities,
                                                         "messages of the channel")
        return Added(name, blob, found, pending=True)

    async def _judge(self, name: str, blob: bytes, new: Piece, text: str, now: float,
                     detector: _Analyzer, entry: bytes = b"", recent: bool = False) -> list[Finding]:
        stored, later, context = await self._push(name, blob, now, entry)
        found: list[Finding] = []
        if recent and len(text) <= RECENT_MAX_CHARS and (words := self._recent_words(context, now, new.r)):
            found = await _labelled_by_recent(text, words, detector, self.entities)
        self._remember((name, blob), new)
        earlier: list[Piece] = []
        opened = self._opened
        versions: list[tuple[bytes, Piece]] = []  # the new piece's post's earlier versions, oldest first
        for sealed in stored:
            piece = opened.get((name, sealed)) or self._piece(name, sealed)  # ``_piece``, its hit inline
            if piece is not None and now - piece.t <= self.ttl_seconds:
                earlier.append(piece)
                if new.p and piece.p == new.p:
                    versions.append((sealed, piece))
        # scheduled posts sent within the window's age from now: shown with this one
        earlier.extend(piece for sealed in later if (piece := self._piece(name, sealed)) is not None
                       and piece.t - now <= self.ttl_seconds)
        if len(versions) > 2:
            # A post keeps its first version (its place in the channel) and the one the
            # edit replaces: the versions between are shown no more, and a post edited 40
            # times must not push the channel's other pieces out of the read-back.
            pipe = self.redis.pipeline(transaction=False)
            for sealed, _ in versions[1:-1]:
                pipe.lrem(name, 1, sealed)
            await pipe.execute()
            gone = {id(piece) for _, piece in versions[1:-1]}
            earlier = [p for p in earlier if id(p) not in gone]
        scan = plan(earlier, new, self.max_messages - 1, self.max_chars)
        if scan is None:
            return found
        return [*found, *await _completed(scan, text, new, detector, self.entities, "messages of the channel")]


#: a post's text (its pieces joined) longer than this gets no recent context: an answer
#: is short ("it's AAAGGSSSS", "Jane Doe AAAGGSSSS")
RECENT_MAX_CHARS = 256
#: context words kept of one post in the recent context
RECENT_MAX_WORDS = 8
RECENT_TRANSFORM = "recent-context"


_TOKEN = re.compile(r"\S+")
#: words of a line that name its number as one of another kind, whatever was asked
#: above it (an employer's EIN, a log's epoch, a test or sample value)
_NAMED_OTHERWISE = re.compile(r"\b(?:f?ein|heartbeat|epoch|timestamp|ts|test|sample|placeholder|dummy|fake|example)\b")
#: the shapes of a number the recent context reaches: a run of digits (group 1), or an
#: SSN's 3-2-4 with dashes; not a number with dots, blanks or other marks inside
#: (versions, prices, card-like groupings, ``42-5035330``)
_RECENT_SHAPE = re.compile(r"([0-9]{6,})|[0-9]{3}-[0-9]{2}-[0-9]{4}")


def _the_lines_number(line: str, start: int, end: int) -> bool:
    """``line[start:end]`` is the line's number, whole: every blank-separated token of
    the line with a digit lies within it, each token wholly (an answer: "it's
    AAAGGSSSS", "Jane Doe AAAGGSSSS", "AAA GG SSSS"), the marks and words glued to it
    aside ("(AAAGGSSSS)", "AAAGGSSSS!!").  A version, a price, a time or a date among
    other numbers, or a part of a longer token ("10.2.13.2948"), is not."""
    for m in _TOKEN.finditer(line):
        if not _has_digit(m.group()):
            continue
        first = next(i for i, c in enumerate(m.group()) if c.isdigit()) + m.start()
        last = max(i for i, c in enumerate(m.group()) if c.isdigit()) + m.start() + 1
        if first < start or last > end:
            return False
    return True


async def _labelled_by_recent(text: str, words: Collection[str], detector: _Analyzer,
                              entities: Collection[str]) -> list[Finding]:
    """The findings of ``text`` read with the channel's recent context words in front of
    each of its lines with a digit (``"<words>: <line>"``, as ``Pipeline._cross_field``
    labels a field with another field's words), located in ``text``: only those whose
    context word is the label's (one the line reads itself is the normal scan's), and
    whose number no word of its own line names as another number (``names_a_number``:
    "which account?" then "order 4839201234 filled")."""
    label: list[str] = []
    for w in sorted(words, key=lambda w: (len(w), w)):  # within a context window (``pipeline._label``)
        if sum(len(x) + 1 for x in label) + len(w) + 1 > 48:
            break
        label.append(w)
    head = " ".join(label) + ": "
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []  # (start in the labelled text, end, offset in ``text``)
    pos = offset = 0
    for line in text.split("\n"):
        if _has_digit(line):
            parts.append(head + line + "\n")
            spans.append((pos + len(head), pos + len(head) + len(line), offset))
            pos += len(head) + len(line) + 1
        offset += len(line) + 1
    if not parts:
        return []
    out: list[Finding] = []
    for f in await _analyze(detector, "".join(parts), entities):
        m = _CONTEXT_AT.search(f.explanation)
        hit = next(((lo, at) for lo, hi, at in spans if lo <= f.start and f.end <= hi), None)
        if f.score < MIN_SCORE or m is None or hit is None:
            continue
        lo, at = hit
        if f.start + int(m.group(2) or 0) >= lo:
            continue  # its context word is in the line itself (or after it): not the label's
        start, end = f.start - lo + at, f.end - lo + at
        line_start = text.rfind("\n", 0, start) + 1
        line_end = len(text) if (brk := text.find("\n", end)) < 0 else brk
        line = text[line_start:line_end]
        if not _the_lines_number(line, start - line_start, end - line_start) or has_label_word(line):
            continue  # one number among others ("775000 NNNNNNNNN 95-10 bid"), or a line with its own label
        core = _RECENT_SHAPE.fullmatch(text[start:end].strip(_SEPARATORS))
        if core is None or (core.group(1) is None and f.entity_type not in (US_SSN, US_ITIN)):
            continue  # a version, a price, a card-like grouping; a 3-2-4 is an SSN's or ITIN's shape
        if names_a_number(text[line_start:start]) or _NAMED_OTHERWISE.search(line.lower()):
            continue
        if any(g.entity_type == f.entity_type and g.start < end and start < g.end for g in out):
            continue
        out.append(Finding(entity_type=f.entity_type, start=start, end=end, score=f.score,
                           recognizer=f.recognizer, transforms=(*f.transforms, RECENT_TRANSFORM),
                           explanation=f"{f.explanation}; context from the channel's recent posts"))
    return out


async def _completed(scan: _Scan, text: str, new: Piece, detector: _Analyzer, entities: Collection[str],
                     where: str, *, posts: bool = True) -> list[Finding]:
    """The findings of ``scan`` that cross from earlier pieces into ``new`` (``text``
    as written), located in ``text``.  ``posts``: the pieces are posts (written apart,
    often by different people): a crossing reading must also name itself, have a
    label of its own or show the writer's split (``_SELF_EVIDENT``); parts of one
    request (a file's name and its text, a message and its files) are one writer's,
    shown together, and need the score alone."""
    crossing = _crossing(scan, await _analyze_apart(detector, scan.text, scan.parts, entities), posts)
    if not crossing:
        return []
    # identifiers each piece holds on its own (scanned only now: most messages
    # complete nothing)
    alone = await _analyze_apart(detector, scan.alone_text, scan.alone, entities)
    return _located(scan, crossing, alone, text, new, where)


def _crossing(scan: _Scan, found: list[Finding], posts: bool) -> list[tuple[Finding, _Join]]:
    """The readings of ``scan.text`` (``found``) that cross a join and count there
    (``_completed``)."""
    return [(f, j) for f in found if f.score >= MIN_SCORE for j in scan.joins if j.crosses(f)
            and (j.touched(f) <= MAX_CHAIN + 1 or _LABELLED in f.explanation)
            and (not j.compact or f.entity_type in _SELF_EVIDENT)
            and not j.masked_apart(f, scan)
            and (not posts or (j.continues(f, scan) and (
                f.entity_type in _SELF_EVIDENT or _labelled_here(f, j, scan)
                or (j.writers(f, scan) and not _labels_another_number(f, j, scan)))))]


_BESIDE_ROUTING = "validation=beside-routing-number"


def _located(scan: _Scan, crossing: list[tuple[Finding, _Join]], alone: list[Finding], text: str, new: Piece,
             where: str) -> list[Finding]:
    """``crossing`` without the readings that are the tail of one whole identifier and
    the head of another (``alone``: each piece's own), located in the new ``text``."""
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    # the alone text has every piece in one text: an account read there only beside a
    # routing number in another piece (recognizers/bank.py AccountBesideRoutingRecognizer,
    # "however far from it") is no identifier a piece holds alone ("ABA 320536762, acct #
    # 2354" then "58231509" is one account, not two)
    alone = [g for g in alone if _BESIDE_ROUTING not in g.explanation]
    for f, join in crossing:
        if any(g.start < hi and lo < g.end for g in alone for lo, hi in join.alone_spans(f, scan.alone)):
            continue  # the tail of one whole identifier and the head of another
        start, end = join.in_new(f, text, new.s)
        if (f.entity_type, start, end) in seen:
            continue
        seen.add((f.entity_type, start, end))
        findings.append(
            Finding(
                entity_type=f.entity_type,
                start=start,
                end=end,
                score=f.score,
                recognizer=f.recognizer,
                transforms=(*f.transforms, SPLIT_TRANSFORM),
                explanation=f"identifier completed across {max(2, join.touched(f))} {where}",
            )
        )
    return findings


async def completed_within(texts: list[str], detector: _Analyzer, *, max_chars: int = 256,
                           entities: Collection[str] = SENSITIVE_ENTITIES,
                           last_only: bool = False) -> list[tuple[int, Finding]]:
    """An identifier split between texts that one request shows together, read with
    the window's joins (``plan``) and without Redis: a file's name and its content
    ("Smith 702-31.txt" holding "ends 4419": Mattermost shows the name above the
    preview).  Each text is the new piece against those before it, in both orders.
    Returns (index of the text, finding located in that text).  ``last_only``: only
    the last text is the new piece (a post's message against its files' text ends)."""
    out: list[tuple[int, Finding]] = []
    for k in range(max(1, len(texts) - 1) if last_only else 1, len(texts)):
        earlier = [Piece(float(i), keep(t, max_chars)) for i, t in enumerate(texts[:k])]
        new = Piece(float(k), keep(texts[k], max_chars))
        scan = plan(earlier, new, len(earlier), max_chars)
        if scan is not None:
            out.extend((k, f) for f in await _completed(scan, texts[k], new, detector, entities,
                                                        "parts of the request shown together", posts=False))
    return out



#: ``completed_lines``: of a text's lines that may carry a piece, the first this many ...
LINES_MAX_PIECES = 24
#: ... each the new piece against this many of the pieces above it that may meet it
LINES_PAIRS = 4
_TABLE_MARKS = re.compile("[\x1c-\x1f]")
_LINE_BREAK = re.compile("\r\n|[\n\r\u2028\u2029\x85\x0b\x0c]")
#: a number that a word after it makes a count ("9980 letters sent", "617 done", "77 failed"):
#: a plural (not "is", "digits", ...) or a status word
_COUNTED = re.compile(
    r"[0-9][0-9,.]*[ \t]+(?:(?!(?:is|was|as|its|has|this|plus|thus|digits|ends|starts|equals|reads|follows|goes|"
    r"comes|rest)(?![A-Za-z]))[a-z]{2,}s|done|failed|left|open|closed|pending|processed|remaining|matched|"
    r"mismatched|sent|rejected|approved|total)(?![A-Za-z])")

#: a date or a clock time on a line of a text (a forwarded e-mail's ``Date: Wed, Dec 1,
#: 2026 at 4:45 PM``, ``Sent: 12/01/2026 16:45``): what it says is when, not a piece of
#: a number (its digits joined with a number lines below read as an SSN); hours up to 23
#: and minutes up to 59 only
_WHEN = re.compile(
    r"(?i)(?<![0-9A-Za-z])(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?[ \t]+[0-9]{1,2}"
    r"(?:st|nd|rd|th)?,?[ \t]+[0-9]{4}|[0-9]{1,2}[ \t]+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
    r"\.?,?[ \t]+[0-9]{4}|[0-9]{4}-[01][0-9]-[0-3][0-9]|[01]?[0-9]/[0-3]?[0-9]/(?:[0-9]{4}|[0-9]{2})"
    r"|(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?(?:[ \t]*[ap]\.?m\.?)?)(?![0-9A-Za-z])")


_ASCII_DIGIT = re.compile("[0-9]")
_DIGIT_OR_WIDE = re.compile("[0-9\x80-\U0010ffff]")


def _digit_at(text: str, pos: int) -> int:
    """Where the first digit (``_digit``) of ``text`` at or after ``pos`` is, or -1."""
    if text.isascii():
        m = _ASCII_DIGIT.search(text, pos)
        return -1 if m is None else m.start()
    while (m := _DIGIT_OR_WIDE.search(text, pos)) is not None:
        if _digit(m.group()):
            return m.start()
        pos = m.end()
    return -1


def _digits_on_two_lines(text: str) -> bool:
    """Whether two lines of ``text`` (``_LINE_BREAK``) hold a digit each: three searches."""
    first = _digit_at(text, 0)
    if first < 0:
        return False
    brk = _LINE_BREAK.search(text, first)
    return brk is not None and _digit_at(text, brk.end()) >= 0


def line_pieces(text: str, marked: str | None = None) -> list[tuple[int, str]]:
    """The lines of ``text`` that may carry a piece (``may_carry_a_piece``, its counts
    aside: "617 done", "77 failed" on lines of a status report are no pieces), with where
    each starts, when other lines stand between two of them (two pieces on lines side
    by side the engine reads together as written: an empty list); at most ``LINES_MAX_PIECES``.
    ``marked``: ``text`` with a table's cell and row boundaries marked (detect/structure.py
    ``mark_tables``, same length): a table's rows are records, no pieces of one number."""
    # one search of the whole text instead of a label's regex at every line's end
    # (~4 us a line, most of an ordinary multi-line message's line reading)
    labels = _label_word().search(text.lower()) is not None
    if not labels and not _digits_on_two_lines(text):
        return []  # no label, and digits on one line at most: one piece at most
    pieces: list[tuple[int, str]] = []
    between = False
    pos = 0
    for m in (*_LINE_BREAK.finditer(text), None):
        end = len(text) if m is None else m.start()
        line = text[pos:end]
        if (may_carry_a_piece(line, labels) and may_carry_a_piece(_WHEN.sub(" ", _COUNTED.sub(" ", line)))
                and (marked is None or _TABLE_MARKS.search(marked, pos, end + 1) is None)):
            pieces.append((pos, line))
            if len(pieces) >= LINES_MAX_PIECES:
                break
        elif pieces:
            between = True  # filler, or a blank line, after a piece
        if m is None:
            break
        pos = m.end()
    return pieces if len(pieces) >= 3 or (between and len(pieces) == 2) else []


def completed_lines(text: str, analyze: Callable[[str], list[Finding]], *, max_chars: int = 256,
                    marked: str | None = None) -> list[Finding]:
    """An identifier split between lines of one text with other lines between them
    ("client SSN 536-22", "lunch at noon?", "8710"), read as the split window reads a
    channel's posts, without Redis: the lines that may carry a piece are the pieces
    (``line_pieces``; the others are filler, as filler posts never enter the window),
    each the new piece against the ``LINES_PAIRS`` nearest above it that may meet it
    and in the chains through it (``plan``), under the posts' rules (``_completed``:
    a reading across lines counts only when it names itself, has a label of its own or
    the writer visibly split it).  ``analyze``: the detector on a joined text.  Returns
    the findings located in ``text`` (``marked``: as ``line_pieces``)."""
    pieces = line_pieces(text, marked)
    out: list[Finding] = []
    for k in range(1, len(pieces)):
        at, line = pieces[k]
        new = Piece(float(k), keep(line, max_chars))
        scan = plan([Piece(float(i), keep(t, max_chars)) for i, (_, t) in enumerate(pieces[:k])], new,
                    LINES_PAIRS, max_chars)
        if scan is None:
            continue
        crossing = _crossing(scan, _analyze_apart_sync(analyze, scan.text, scan.parts), True)
        if crossing:
            alone = _analyze_apart_sync(analyze, scan.alone_text, scan.alone)
            out.extend(Finding(f.entity_type, f.start + at, f.end + at, f.score, f.recognizer, f.transforms,
                               f.explanation)
                       for f in _located(scan, crossing, alone, line, new, "lines of the text"))
    return out

#: Between two candidate joins: more line breaks than a separator may hold, and more
#: characters than a context window reaches back (letters that are no context word,
#: not blanks: a YAML pattern scanning blanks would backtrack over them), so joins
#: never touch.  Words of 11 letters, not one of 72: a word of 12 or more token
#: characters makes the engine search the whole text for base64 and hex blobs
#: (detect/decode.py), which was two thirds of a window's scan (docs/benchmarks.md).
#: A blank line between the words: two lines in a row of 4 or more letters are read as a
#: base32 block wrapped in lines (``decode._wrapped_blocks``), which decoded each gap of
#: a window's joins, ~40 % of its scan.
_GAP = "\n" * 3 + ("z" * 11 + "\n\n") * 6 + "\n"


def _dangling(ch: str) -> bool:
    return not ch.isalnum() and not ch.isspace()


#: Characters counted as part of an identifier at a join: digits (any script), the
#: letters the recognizers read as digits (O, o, l, I and their Cyrillic and Greek
#: twins: recognizers/_common.py LOOKALIKE) and capital letters (an IBAN's bank code,
#: a firm's account format "AB123-45678").
_LOOKALIKES = frozenset("OolI\u041e\u043e\u039f\u03bf\u0406\u0456\u04c0")
#: The fewest such characters an identifier the window looks for has (an account
#: number: 6 digits, recognizers/bank.py): a pair whose pieces bring fewer to the join
#: cannot hold one across it and is not scanned.
MIN_JOIN_UNITS = 6
#: How much of a piece around its digits at a join is scanned: more than any
#: recognizer's context window reaches (60 characters before, 40 after).
CONTEXT_BEFORE = 72
CONTEXT_AFTER = 48
#: Non-unit characters tolerated between two units of one identifier (separators:
#: blanks, marks, a line break and its indent; a lone letter).
_MAX_GAP = 12
#: The most identifier characters one side of a join can give an identifier that
#: crosses it (an IBAN has at most 34): digits further from the join are context.
MAX_SIDE_UNITS = 33
_IBAN_START = re.compile(r"[^\W\d_]{2}[0-9]{2}")


def _unit(c: str) -> bool:
    return c.isdigit() or c.isnumeric() or c.isupper() or c in _LOOKALIKES


def _chain(text: str, at: int, step: int) -> tuple[int, int]:
    """From ``at`` (the end of a piece's part when ``step`` is -1, its start when 1):
    where the run of identifier characters and separators at that edge reaches, and
    how many identifier characters it holds.  Generous (a word of capitals counts), so
    that pruning on it never drops a join that holds an identifier."""
    units = gap = 0
    reach = at
    i = at - 1 if step < 0 else at
    while 0 <= i < len(text):
        c = text[i]
        if _unit(c):
            if units == MAX_SIDE_UNITS:
                break
            units += 1
            gap = 0
            reach = i if step < 0 else i + 1
        else:
            lone = c.isalpha() and not (0 <= i - 1 and text[i - 1].isalpha()) and not (
                i + 1 < len(text) and text[i + 1].isalpha())
            if c.isalpha() and not lone:
                break
            gap += 1
            if gap > _MAX_GAP:
                break
        i += step
    return reach, units


def _cut(text: str, first: bool, last: bool, max_chars: int) -> tuple[int, int] | None:
    """The part of a piece that goes into a join: a piece followed by another ends at
    its last digit and a separator right after it (words after it are dropped); a
    piece after another starts at its first digit and a separator right before it
    (words before it are dropped); the first piece keeps up to ``max_chars`` before
    its end (context words), the last one up to ``max_chars`` after its start.  None
    when it holds no digit, but a label (``is_label``) first in a join: its end."""
    first_digit = next((i for i, ch in enumerate(text) if ch.isdigit()), -1)
    if first_digit < 0:
        if _capitals(text):
            return 0, len(text)  # an IBAN's bank code or letters typed a post ("BARC", "G")
        if _lookalike_post(text):
            return 0, len(text)  # "lO": digits drawn as letters, glued to the piece before it (``_render``)
        if first and not last and _iban_head(text):
            # "IBAN G" then "B82 WEST ...": the label and the country code's first letters
            return max(0, len(text) - CONTEXT_BEFORE), len(text)
        # a label ("client SSN:") is context for the piece after it, and nothing else
        return (max(0, len(text) - CONTEXT_BEFORE), len(text)) if first and not last and is_label(text) else None
    start, end = 0, len(text)
    if not last and first and _ends_in_label(text):
        pass  # "ABA 032468018, acct #": the label after the digits names the next piece's number
    elif not last:
        i = next(i for i in range(len(text) - 1, -1, -1) if text[i].isdigit())
        end = i + 1
        if m := _CAPITALS_AFTER.match(text, end):
            end = m.end()  # "IBAN: NL16-RABO": an IBAN's bank code after its check digits
        while end < len(text) and end - i <= 3 and _dangling(text[end]):
            end += 1  # "536-22-": the dash is the writer's separator
    if not first:
        start = first_digit
        while start > 0 and first_digit - start < 4 and "A" <= text[start - 1] <= "Z":
            start -= 1  # "P628": an IBAN's group of a capital and digits
        if start < first_digit and start > 0 and text[start - 1].isalnum():
            start = first_digit  # capitals ending a word ("DESK4") are no group
        if start == first_digit and (m := _CAPITALS_BEFORE.fullmatch(text, 0, first_digit)) is not None:
            start = m.start(1)  # "ST 1234 5698 ...": an IBAN cut inside its letters (atk22 F3)
        first_digit = start
        while start > 0 and first_digit - start < 3 and _dangling(text[start - 1]):
            start -= 1  # "-8710": the dash is the writer's separator
    if first and not last:
        start = max(start, end - max_chars, _chain(text, end, -1)[0] - CONTEXT_BEFORE)
    if last and not first:
        end = min(end, start + max_chars, _chain(text, start, 1)[0] + CONTEXT_AFTER)
    return start, end


#: capitals right after a piece's last digit, at most a separator between, ending the
#: piece or a word: an IBAN's bank code ("NL16-RABO", "GB82WEST")
_CAPITALS_AFTER = re.compile(r"[-./ ]?[A-Z]{1,4}(?![^\W_])")
_CAPITALS = re.compile(r"[\s\-./_,:;#]*[A-Z]{1,4}[\s\-./_,:;#]*")
#: one to four capitals opening a piece, a separator, then its first digit: the rest of
#: an IBAN's letters cut in two ("IBAN GB82 WE" then "ST 1234 5698 ..."; "IBAN GB82"
#: then "WEST 1234 ...")
_CAPITALS_BEFORE = re.compile(r"[ \t\-./_,:;#]*([A-Z]{1,4})[ \t\-./_:]{1,3}")
#: an IBAN's label, then one or two capitals ending the text: the first letters of its
#: country code, the rest in the next post ("IBAN G" then "B82 WEST ...", "wire to GB"
#: then "82 WEST ...")
_IBAN_HEAD = re.compile(r"(?<![A-Za-z])(?i:iban|swift|bic|wire|international bank account)(?![A-Za-z])[^\n]{0,24}?"
                        r"(?<![A-Za-z0-9])[A-Z]{1,2}[ \t\-./:]*\Z")


def _lookalike_post(text: str) -> bool:
    """A post of one to four letters the recognizers read as digits (``O`` ``o`` 0, ``l``
    ``I`` 1; separators aside) and no word: the last digits of a number typed as letters
    ("client SSN 536-22-87" then "lO", atk22 F7).  A word of them in lower case ("lol",
    "oo") is chat, no piece."""
    core = text.strip(_SEPARATORS)
    return (0 < len(core) <= 4 and len(text) <= BARE_CHARS and all(c in "OolI" for c in core)
            and (len(core) == 1 or not core.islower()))


def _iban_head(text: str) -> bool:
    """``text`` (no digit) ends with an IBAN's label and the first letters of its country
    code (``_IBAN_HEAD``)."""
    return not _has_digit(text) and _IBAN_HEAD.search(text[-LABEL_CHARS:]) is not None


def _capitals(text: str) -> bool:
    """A post of nothing but one to four capital letters (separators aside): an IBAN's
    bank code ("BARC", "INGB-") or its letters typed a post ("G", "B")."""
    return len(text) <= BARE_CHARS and _CAPITALS.fullmatch(text) is not None


def _masked(context: str) -> str:
    """Context around a join with its digits turned into letters (same length): words
    stay context, other numbers cost the scan nothing and cannot make a candidate."""
    if not any(c.isdigit() or c.isnumeric() for c in context):
        return context
    return "".join("z" if c.isdigit() or c.isnumeric() else c for c in context)


def _may_meet(left: str, right: str) -> bool:
    """Whether ``left`` then ``right`` (their parts in a pair join) may hold an
    identifier across the join: enough identifier characters at the join, or the
    start of an IBAN (country code and check digits) on the left."""
    units, iban = _left_edge(left)
    return units + _right_edge(right) >= MIN_JOIN_UNITS or iban


@functools.lru_cache(maxsize=8192)
def _left_edge(left: str) -> tuple[int, bool]:
    """``_may_meet``'s reading of a left part: its identifier characters at its end,
    and whether it holds the start of an IBAN.  (A part is the same string in every
    join it is in, ``_part``: the new message's in each of its pairs, an earlier
    piece's in the pairs of every later one; each is measured once per process.)"""
    return _chain(left, len(left), -1)[1], _IBAN_START.search(left) is not None


@functools.lru_cache(maxsize=8192)
def _right_edge(right: str) -> int:
    """``_may_meet``'s reading of a right part: its identifier characters at its start."""
    return _chain(right, 0, 1)[1]


def _joint(left: str, right: str, own: int = 0) -> tuple[str, int]:
    """What goes between two pieces, and how many leading characters of ``right`` to
    skip.  A separator the writer left at either end is the one used ("536-22-" then
    "8710", or "536-22" then "-8710"); otherwise the separator before the left
    piece's last digit group is repeated ("536-22" then "8710" reads AAA-GG-SSSS),
    else a line break.  ``own``: where the left piece starts in ``left`` (a chain's
    earlier joins come before it): only a separator its writer wrote is repeated, never
    one an earlier join put there (a date, then "536", "12" and "8710" in three more
    posts do not read 536-12-8710)."""
    lead = len(right) - len(right.lstrip("".join(c for c in right[:3] if _dangling(c))))
    if left and _dangling(left[-1]):
        return "\n", lead  # keep the left one, drop a second one on the right
    if lead:
        return "\n", 0
    i = len(left)
    while i > 0 and left[i - 1].isdigit():
        i -= 1
    if own < i < len(left) and (left[i - 1] in " \t" or _dangling(left[i - 1])) and (i < 2 or left[i - 2].isdigit()):
        return left[i - 1], 0
    return "\n", 0


class _ContextRead(NamedTuple):
    word: str  # the context word the recognizer read, lower-cased
    distance: int  # where it stood: before the number (< 0), after it (> 0), a column header (0)
    hit: list[_Segment]  # the join's segments the finding reads through, in order


def _context_read(f: Finding, join: _Join) -> _ContextRead | None:
    """The context word ``f``'s explanation names, and the segments of ``join`` that
    ``f`` reads through; None without a context word."""
    m = _CONTEXT_AT.search(f.explanation)
    if m is None:
        return None
    return _ContextRead(m.group(1).lower(), int(m.group(2) or 0),
                        [s for s in join.segments if s.start < f.end and f.start < s.end])


def _in_piece(at: int, seg: _Segment) -> int:
    """Where ``at`` of the scanned text is in the text of ``seg``'s piece (a place
    before the segment: its start)."""
    return seg.src + max(0, at - seg.start)


def _labels_another_number(f: Finding, join: _Join, scan: _Scan) -> bool:
    """``f``'s context word (before it) is in a post before the ones ``f`` reads through,
    with a digit after it there: that word names the post's own number ("acct 1 is long
    1,000 NVDA" then bare "90-00", "90-00": "acct" names 1, not the 32nds that two bare
    posts glue into eight digits), so a split the writers made visibly still has no
    label of its own (``_crossing``).  A label-only post, or a post whose last words
    are the label (``_ends_in_label``), names what comes next."""
    read = _context_read(f, join)
    if read is None or read.distance >= 0:
        return False
    word, first = read.word, read.hit[0]
    if word in scan.piece(first.piece)[:_in_piece(f.start, first)].lower():
        return False  # in the post the number starts in: ``_labelled_here`` reads it
    for s in reversed([s for s in join.segments if s.start < first.start]):
        piece = scan.piece(s.piece).lower()
        at = piece.rfind(word)
        if at >= 0:
            return any(c.isdigit() for c in piece[at + len(word):]) and not _ends_in_label(scan.piece(s.piece))
    return False


def _labelled_here(f: Finding, join: _Join, scan: _Scan) -> bool:
    """``f`` (read across ``join`` in ``scan``) has a label of its own: a context word
    that names it as a reader reads one, before its first digit with no other number
    in between ("acct 95 is long 50,000" labels 95, not the 50,000 that meets an earlier
    post's "566463"), or right after it ("8710 is my SSN"; not "4868 booked to acct
    DESK-4": ``_ELSEWHERE``), or a label-only post right above the new one.
    Read in the pieces as written (a join masks the digits away from it).  A context
    word the check cannot find again (the recognizer read it through a normalization)
    is taken as the recognizer found it."""
    read = _context_read(f, join)
    if read is None:
        return False
    word, distance, hit = read
    if join.label and hit == [join.segments[join.new]]:
        return True  # a label-only post over the number that starts the next one
    if distance < 0:
        first = hit[0]
        piece = scan.piece(first.piece)
        start = _in_piece(f.start, first)
        if _glued_to_a_word(piece, start):
            return False  # "acct DESK-4": the label names DESK-4, not a number starting at its 4
        region = piece[:start].lower()
        at = region.rfind(word)
        if at < 0:
            before = [s for s in join.segments if s.start < first.start]
            above = scan.piece(before[-1].piece) if before else ""
            if (before and (not _has_digit(above) or (len(before) == 1 and _ends_in_label(above)))
                    and word in above.lower() and (_bare(piece) or piece.lstrip(_SEPARATORS)[:1].isdigit())):
                return True  # a label (alone, or after a post's numbers) right above the posts the number reads through
            # in a post with numbers before the one the number starts in: another number's label
            return not any(word in scan.piece(s.piece).lower() for s in before)
        return not any(c.isdigit() for c in region[at + len(word):])
    if distance > 0:
        last = hit[-1]
        region = scan.piece(last.piece)[_in_piece(f.end, last):].lower()
        at = region.find(word)
        return at < 0 or not (any(c.isdigit() for c in region[:at]) or _ELSEWHERE.search(region[:at]))
    return True  # a column's header (distance 0)


class _Segment(NamedTuple):
    start: int  # in the scanned text
    end: int
    piece: int  # index in the plan's pieces (the last one is the new message)
    src: int  # where the segment starts in that piece's text


class _Join(NamedTuple):
    segments: tuple[_Segment, ...]
    new: int  # index of the new message in ``segments``
    label: bool = False  # the piece right before the new message is a label (no digit)
    #: bare pieces written together (a long chain through letters: ``plan``): it counts
    #: for an identifier that names itself only (``_SELF_EVIDENT``), not as the writer's cut
    compact: bool = False

    def crosses(self, f: Finding) -> bool:
        """``f`` holds part of the new message and part of another piece, or lies in
        the new message right after a label and reads its context word there."""
        hit = [s for s in self.segments if s.start < f.end and f.start < s.end]
        seg = self.segments[self.new]
        if self.label and hit == [seg] and _LABELLED in f.explanation:
            return True
        return len(hit) >= 2 and seg in hit and f.start >= self.segments[0].start and f.end <= self.segments[-1].end

    def continues(self, f: Finding, scan: _Scan) -> bool:
        """No later piece ``f`` reads on from names a number of its own: the last four
        words before its number, on its line and in its sentence, hold no word that
        names a number (``_NAMES_A_NUMBER``: "FV 108-072", "PO 4400981", "ticket 4868",
        "bid 5969"), and the number is not glued to a word ("DESK-4").  Any other words
        ("remainder 8710", "sorry, 8710", "@bob 8710", "then 22") carry the number above
        on: the reading's own label, checksum or cut mark is its evidence."""
        hit = [s for s in self.segments if s.start < f.end and f.start < s.end]
        for seg in hit[1:]:
            lead = scan.piece(seg.piece)
            if _bare(lead):
                continue  # nothing but identifier characters ("Q954-", "T"): no word names it
            first = next((i for i, c in enumerate(lead) if c.isdigit()), len(lead))
            if _mark_before(lead, first):
                continue
            if f.entity_type == IBAN_CODE:
                # an IBAN's letters the cut brought in are the IBAN's, no words naming it
                # ("IBAN A" then "T29 2914 ...": ``T`` is its country code's)
                first = min(first, seg.src)
            # the words right before the number, on its line and in its sentence
            words = re.split(r"[\n.;!?]", lead[:first])[-1]
            if any(w in _NAMES_A_NUMBER for w in re.findall(r"[^\W\d_]+", words.lower())[-4:]):
                return False
        return True

    def writers(self, f: Finding, scan: _Scan) -> bool:
        """Every join ``f`` crosses is one its writers made visibly: a separator left
        dangling at the cut ("536-22-" then "8710", "536-22" then "-8710"), or a digit
        group cut in two by posts of nothing but the number ("536-2" then "2-8710").  Not
        a separator the window repeated between whole groups: bare "116-23" then bare
        "5000" are a trader's answers (a price in 32nds, a size: attack pass 11 P1), read
        exactly like bare "536-22" then "8710"."""
        hit = [s for s in self.segments if s.start < f.end and f.start < s.end]
        text = scan.text
        for left, right in itertools.pairwise(hit):
            between = text[left.end:right.start]
            if between == "\n" and (_mark_after(scan.piece(left.piece), left.src + left.end - left.start)
                                    or _mark_before(scan.piece(right.piece), right.src + _lead(text, right))):
                continue
            if not between and _numeric(scan.piece(left.piece)) and _numeric(scan.piece(right.piece)):
                continue  # a cut inside a digit group, posts of nothing but the number ("536-2", "2-8710")
            return False
        return True

    def masked_apart(self, f: Finding, scan: _Scan) -> bool:
        """``f`` joins a value written masked (``_masked_digits``: ``ending in 2533``,
        ``***-**-7660``, ``XXXX XXXX XXXX 9043``, ``DE** ... **85 85``), a complete
        mention of its last digits, with another value: a second masked one, a date or a
        clock time (``_WHEN``), or a number a word names as one of its own
        (``_NAMES_A_NUMBER``: ``client ID CRM-541262``).  Call notes listing a client's
        masked account, card and SSN one a line read as no number.  The digits that fill
        a masked value's slots (``SSN ***-**-1234`` then ``first five are 536-22``) are
        none of these: that join counts."""
        masked = other = 0
        for s in self.segments:
            lo, hi = max(f.start, s.start), min(f.end, s.end)
            if lo >= hi:
                continue
            piece = scan.piece(s.piece)
            a, b = s.src + lo - s.start, s.src + hi - s.start
            digits = [i for i in range(a, min(b, len(piece))) if piece[i].isdigit()]
            if not digits:
                continue
            kinds = _digit_kinds(piece)
            if all(kinds.get(i) == "m" for i in digits):
                masked += 1
            elif all(kinds.get(i) in ("m", "w") for i in digits) or _named_elsewhere(piece, digits[0]):
                other += 1
        return masked >= 2 or (masked >= 1 and other >= 1)

    def touched(self, f: Finding) -> int:
        return sum(1 for s in self.segments if s.start < f.end and f.start < s.end)

    def alone_spans(self, f: Finding, alone: list[int]) -> list[tuple[int, int]]:
        """The digits ``f`` takes from each piece, where they are in the alone text."""
        out = []
        for s in self.segments:
            lo, hi = max(f.start, s.start), min(f.end, s.end)
            if lo < hi:
                base = alone[s.piece] + s.src - s.start
                out.append((base + lo, base + hi))
        return out

    def in_new(self, f: Finding, text: str, kept: str) -> tuple[int, int]:
        """The part of the new message ``f`` covers, in the message's own offsets."""
        s = self.segments[self.new]
        lo, hi = max(f.start, s.start) - s.start + s.src, min(f.end, s.end) - s.start + s.src
        if kept != text:  # a long message is kept as its head, a line break and its tail
            half = (len(kept) - 1) // 2
            lo, hi = (x if x <= half else x - half - 1 + len(text) - half for x in (lo, hi))
        return max(0, min(lo, len(text))), max(0, min(hi, len(text)))


class _Scan(NamedTuple):
    text: str
    joins: list[_Join]
    alone_text: str  # each piece, then the new message, on its own
    alone: list[int]  # where each piece starts in alone_text
    parts: list[int]  # where each join starts in text

    def piece(self, index: int) -> str:
        """The text of piece ``index`` (0: the new message) as it was joined."""
        start = self.alone[index]
        end = self.alone[index + 1] if index + 1 < len(self.alone) else len(self.alone_text)
        return self.alone_text[start:end - len(_GAP)]


def _render(parts: list[int], texts: list[str], new: int, max_chars: int,
            glue: bool = False, compact: bool = False) -> tuple[str, _Join] | None:
    """A join of ``parts`` (indices into ``texts``; ``new``: the new message's place
    among them) and where each part is in it.
    ``glue``: digits meeting at the join are written together ("536-2" then "2-8710"
    reads AAA-GG-SSSS; "5" then "36-22-8710" reads AAA-GG-SSSS); None when no digits
    meet there.  In a chain of three or four (atk22 F2: "536-2", "2-87", "10"; "4111 11",
    "11 1111 1", "111 1111"), at each join where digits meet between two posts of
    nothing but the number (``_numeric``), the other joins with their separator; None
    when no join is glued.  ``compact``: a long chain's bare pieces written together
    (``plan``: letters among them)."""
    if (len(parts) > 1 and not _has_digit(texts[parts[0]]) and not _capitals(texts[parts[0]])
            and not (_iban_head(texts[parts[0]]) and texts[parts[1]].lstrip(_SEPARATORS)[:1].isalnum())):
        # a label is read over a number that starts the post after it, or over bare
        # pieces ("client SSN:", "53", "6-2", ...): words before a later piece's number
        # ("PO 4400981") are that number's own label, and are dropped at a join
        rest = [texts[i] for i in parts[1:]]
        # (or over a number that starts the post after it and bare pieces after that:
        # "client ssn:", "536-22 rest to follow", "8710")
        starts = rest[0].lstrip(_SEPARATORS)[:1].isdigit()
        if not (starts if len(rest) == 1 else (starts or _bare(rest[0])) and all(map(_bare, rest[1:]))):
            return None
    if any(_lookalike_post(texts[i]) for i in parts) and (
            not glue or len(parts) != 2 or not _lookalike_post(texts[parts[1]]) or _lookalike_post(texts[parts[0]])):
        return None  # letters drawn as digits count only glued to the digits before them
    text = ""
    segments: list[_Segment] = []
    glued = 0  # joins written together in a glued chain
    for n, pid in enumerate(parts):
        got = _part(texts[pid], n == 0, n == len(parts) - 1, len(parts) > 1, max_chars)
        if got is None:
            return None
        a, part = got
        if len(parts) == 2 and n and not _may_meet(text, part):
            return None
        skip = 0
        if n and compact:
            # a long chain through letters typed a post ("IBAN", "G", "B", "8", "0", ...):
            # bare pieces written together, as the identifier is
            if _bare(texts[parts[n - 1]]) and _bare(texts[pid]) and _unit(text[-1:] or " ") and _unit(part[:1] or " "):
                pass
            else:
                sep, skip = _joint(text, part, segments[-1].start)
                text += sep
        elif n and glue and len(parts) > 2:
            # a chain cut inside digit groups: digits meeting between two posts of
            # nothing but the number are written together, as in a pair ("536-2",
            # "2-87", "10" reads AAA-GG-SSSS)
            if (text[-1:].isdigit() and part[:1].isdigit() and _numeric(texts[parts[n - 1]])
                    and _numeric(texts[pid])):
                glued += 1
            else:
                sep, skip = _joint(text, part, segments[-1].start)
                text += sep
        elif n and glue:
            # a cut inside a digit group: the earlier post ends with its digits and the
            # later one starts with them ("ssn 536-2" then "2-8710"); not a number with
            # words of its own before it ("acct DESK-4" then "FV 108-072"), nor digits glued
            # to a word ("DESK-4" then "2024-12-04")
            if not (text[-1:].isdigit() and (part[:1].isdigit() or _lookalike_post(texts[pid]))
                    and _ends_in_a_group(texts[parts[n - 1]])
                    and (texts[pid].lstrip()[:1].isdigit() or _lookalike_post(texts[pid]))):
                return None
        elif n:
            sep, skip = _joint(text, part, segments[-1].start)
            text += sep
        segments.append(_Segment(len(text), len(text) + len(part) - skip, pid, a + skip))
        text += part[skip:]
    if glue and not compact and len(parts) > 2 and not glued:
        return None  # the chain as written is rendered already
    # a label right before a new message that starts with its number (words of its own
    # before the number, "PO 4400981", are that number's label, not the post above's)
    above = texts[parts[new - 1]] if new > 0 else ""
    label = (new > 0 and ((not _has_digit(above) and is_label(above)) or (new == 1 and _ends_in_label(above)))
             and texts[parts[new]].lstrip(_SEPARATORS)[:1].isdigit())
    return text, _Join(tuple(segments), new, label, compact)


#: A writer's hint which part of a split number a post holds ("first part", "last
#: half", "2nd bit"): the pairs read both orders, so the hint orders nothing, but
#: between a label and the number ("SS# first part 544 74") it puts the label out of
#: the recognizers' reach (their context words must be next to the number).
_HINT = (r"(?:the\s+)?(?:first|second|third|fourth|last|final|other|next|remaining|1st|2nd|3rd|4th)"
         r"\s+(?:part|half|bit|piece|chunk|section|group|digits|numbers?)s?")


@functools.lru_cache(maxsize=1)
def _hinted_label() -> re.Pattern[str]:
    """A label, then a hint, then the number: ``_part`` writes the hint first and the
    label next to the number (the same characters, the same length)."""
    from dlp_proxy.detect.literals import literal_trie  # (not at import: detect/__init__ loads the engine)
    from dlp_proxy.recognizers.bank import (
        WEAK_ACCOUNT,  # "account", "brokerage": context words, no labels on their own
    )

    words = sorted({*_label_words(), *(w.lower() for w in WEAK_ACCOUNT if w.isascii())}, key=lambda w: (-len(w), w))
    return re.compile(r"(?i)(?<![a-z0-9])(" + literal_trie(words) + r"(?![a-z0-9])(?:[ \t]*(?:is|was|no\.?|nbr|num|number|#)){0,2})"
                      r"([ \t:#.=()-]*)("
                      + _HINT + r")([ \t:#.=-]*)(?=[0-9])")


def _unhinted(part: str) -> str:
    """``part`` with a hint between a label and its number moved before the label
    ("SS# first part 544 74" reads "first part SS# 544 74")."""
    if "part" not in part.lower() and not any(w in part.lower() for w in ("half", "bit", "piece", "chunk",
                                                                           "section", "group", "digits", "number")):
        return part
    return _hinted_label().sub(lambda m: m.group(3) + m.group(2) + m.group(1) + m.group(4), part)


@functools.lru_cache(maxsize=4096)
def _part(source: str, first: bool, last: bool, multi: bool, max_chars: int) -> tuple[int, str] | None:
    """What of ``source`` goes into a join at its place (``_cut``), with the digits
    away from the join masked, and where that starts in ``source``.  (A channel's
    pieces go into the joins of every new one: each is cut once per process.)"""
    span = _cut(source, first, last, max_chars)
    if span is None:
        return None
    a, b = span
    # digits away from the join only cost the scan: context words are what is kept
    lo = _chain(source, b, -1)[0] if first and multi else a
    hi = _chain(source, a, 1)[0] if last and not first else b
    part = _masked(source[a:lo]) + source[lo:hi] + _masked(source[hi:b]) if (lo, hi) != (a, b) else source[a:b]
    return a, _unhinted(part) if first else part


#: Words after a number that make it a quantity of chat: a time, a duration, a share,
#: a count of people ("back in 5 min", "1 sec", "4% lol", "22 people").
_CHAT_UNIT = (r"(?:%|\$|am|pm|a\.m\.|p\.m\.|h|hr|hrs|hour|hours|min|mins|minute|minutes|sec|secs|second|seconds"
              r"|ms|s|x|k|mm|bn|m|bps|pts|points|pct|percent|people|ppl|guys|folks|times|mo|wk|wks|yrs|days?|weeks?"
              r"|months?|years?|ish|o'clock|lots|shares|shs|contracts|cents?|bucks|dollars|usd|eur|gbp)")
#: Words before a number that make it a time or an amount in chat ("back in 5", "up 2",
#: "around 10"): with ``_NAMES_A_NUMBER``, ``_chat``'s words.
_CHAT_BEFORE = ("in", "by", "around", "till", "until", "before", "after", "about", "approx", "up", "down", "from",
                "for", "like", "maybe", "over", "under", "than")
#: A number of chat: a time ("2:30", "at 3"), a price or a share ("$5", "4%", "1.5x"),
#: a number a word before it names (``_NAMES_A_NUMBER``: "room 12", "meeting at 3"), or
#: one a unit after it measures ("1 sec", "22 people").
_CHAT_NUMBER = re.compile(
    r"(?i)\b\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|[$\u00a3\u20ac]\s?\d[\d,.]*"
    r"|\d[\d,.]*\s?" + _CHAT_UNIT + r"(?![a-z0-9])"
    r"|(?<![a-z0-9])(?:" + "|".join(sorted((re.escape(w) for w in (*_NAMES_A_NUMBER, *_CHAT_BEFORE)), key=lambda w: (-len(w), w)))
    + r")[ \t#:.~]{1,3}\d[\d,.:]*(?![\d-])")


@functools.lru_cache(maxsize=4096)
def _chat(text: str) -> bool:
    """A piece that is ordinary chat: words (no bare number), no identifier's label
    word, and every digit in a number of chat (``_CHAT_NUMBER``: "room 12 is free",
    "call at 2:30?", "meeting at 3", "1 sec", "NVDA up 4% lol").  A chain also runs past
    such pieces (``plan``): filler posts with a number between the pieces of an
    identifier typed a group a post must not break the chain."""
    if _bare(text) or _numeric(text) or _label_word().search(text.lower()) is not None:
        return False
    return not _has_digit(_CHAT_NUMBER.sub(" ", text))


def _long_spans(bare: list[bool], at: int) -> list[tuple[int, int]]:
    """The chains longer than ``MAX_CHAIN + 1`` through ``at`` (as ``[lo, hi)`` of the
    pieces in channel order, ``bare`` telling which are bare): from a piece with words
    through bare pieces, to ``LONG_CHAIN`` pieces.  A chain's start is the last piece
    with words at or before ``at`` with only bare ones between (at most two: the one
    before ``at``, and ``at`` itself), so at most ``_LONG_JOINS`` chains."""
    starts = []
    i = at - 1
    while i >= 0 and at - i < LONG_CHAIN and bare[i]:
        i -= 1
    if i >= 0 and not bare[i]:
        starts.append(i)
    if not bare[at]:
        starts.append(at)
    spans = []
    for lo in starts:
        # [lo, hi): through ``at``, longer than MAX_CHAIN + 1, its middle (lo + 1 to
        # hi - 2, ``at`` included when there) bare
        for hi in range(max(at + 1, lo + MAX_CHAIN + 2), min(len(bare), lo + LONG_CHAIN) + 1):
            if not all(bare[lo + 1:hi - 1]):
                break
            spans.append((lo, hi))
    return spans


@functools.lru_cache(maxsize=4096)
def _bare(text: str) -> bool:
    """Nothing but identifier characters and separators, at most ``BARE_UNITS`` of
    them and ``BARE_CHARS`` characters: a piece a long chain may go through."""
    if len(text) > BARE_CHARS:
        return False
    units = 0
    for c in text:
        if _unit(c):
            units += 1
        elif c.isalpha():
            return False
    return 0 < units <= BARE_UNITS


def _glued_to_a_word(text: str, at: int) -> bool:
    """The digit at ``at`` is part of a word's token ("DESK-4", "T+1", "rev3"): a
    separator run glued to a letter, or three letters or more, right before it (one or
    two glued letters, "a536-22", are a disguise the recognizers read through)."""
    i = at
    while i > 0 and _dangling(text[i - 1]):
        i -= 1
    if i < at:
        return i > 0 and text[i - 1].isalpha()
    j = i
    while j > 0 and text[j - 1].isalpha():
        j -= 1
    return i - j >= 3


def _ends_in_a_group(text: str) -> bool:
    """``text`` ends with a digit group of a number ("ssn 536-2", "ssn 5"), not with
    digits glued to a word ("DESK-4", "T+1", "v2")."""
    text = text.rstrip()
    i = len(text)
    while i > 0 and text[i - 1].isdigit():
        i -= 1
    if i == len(text):
        return False
    if i and text[i - 1].isalpha():
        return False
    j = i
    while j > 0 and _dangling(text[j - 1]):
        j -= 1
    return not (j < i and j > 0 and text[j - 1].isalpha())


def _lead(text: str, seg: _Segment) -> int:
    """How many separator characters a segment starts with before its first digit."""
    n = 0
    while seg.start + n < seg.end and _dangling(text[seg.start + n]):
        n += 1
    return n


def _mark_before(piece: str, at: int) -> bool:
    """A separator the writer left before the digit at ``at`` as a cut mark ("-8710",
    "and then -8710"): a run of them standing apart (a blank or the piece's start before
    it), not one glued to a word ("T+1", "A-4")."""
    i = at
    while i > 0 and piece[i - 1] in " \t":
        i -= 1
    j = i
    while j > 0 and _dangling(piece[j - 1]):
        j -= 1
    return j < i and (j == 0 or piece[j - 1].isspace())


#: A value written masked, its visible digits last (group 1): a run of mask characters
#: (two or more of ``* x X # •``, one ``* x X •`` standing apart) with blanks, dashes or
#: dots between them, then up to four digits (``***-**-7660``, ``XXXX XXXX XXXX 9043``,
#: ``xxxxx7474``, ``x1234``, an IBAN's ``DE** **** ... **85 85``); or the words saying the
#: digits are its last ones (``ending in 2533``, ``ends 3321``, ``last 4: 8710``, ``last
#: four digits are 8710``).
_MASKED_DIGITS = re.compile(
    r"(?:(?<![0-9A-Za-z])[*xX\u2022\u25cf]|(?<![0-9])[*xX#\u2022\u25cf](?:[ \t.\-]?[*xX#\u2022\u25cf])+[ \t.\-]?)"
    r"(\d(?:[ \-]?\d){1,3})(?![0-9])"
    r"|(?i:(?<![a-z])(?:ending|ends|ended)(?:[ \t]+(?:in|with))?|(?<![a-z])last[ \t]*(?:4|four)(?:[ \t]+digits)?"
    r"(?:[ \t]+(?:are|is))?)[ \t]*[:#=\-]?[ \t]*(\d{4})(?![0-9A-Za-z])")


#: a North American telephone number as written: 3-3-4 digits with dots, dashes or
#: blanks, the area code perhaps in brackets, perhaps ``+1`` before it
_PHONE_SHAPE = re.compile(r"(?<![0-9A-Za-z])(?:\+?1[ .\-]?)?(?:\([0-9]{3}\)[ ]?|[0-9]{3}([ .\-]))[0-9]{3}"
                          r"(?(1)\1|[ .\-])[0-9]{4}(?![0-9])")
#: words naming a number as a value of another kind than the masked one it would join
#: (``_Join.masked_apart``)
_NAMES_ANOTHER = _NAMES_A_NUMBER | frozenset({"callback", "cb", "ph", "dob", "born", "crm", "employee", "badge"})
#: a month and a year or day (``10/30``), and the count of ``last 4`` / ``first 5``
_SHORT_DATE_OR_COUNT = re.compile(r"(?<![0-9/])[01]?[0-9]/[0-3][0-9](?![0-9/])"
                                  r"|(?i:(?<![a-z])(?:first|last)[ \t]*[1-9](?![0-9]))")


@functools.lru_cache(maxsize=4096)
def _digit_kinds(piece: str) -> dict[int, str]:
    """Where in ``piece`` the digits of a masked value's visible end (``m``,
    ``_MASKED_DIGITS``) are, and those that are no piece of a number (``w``): a date or
    a clock time (``_WHEN``), a month and year or day (a card's ``expires 10/30``), the
    count of ``last 4``, a telephone number (``203.666.5654``, ``(305) 701-8951``, ``+1 617
    278 2219``)."""
    kinds: dict[int, str] = {}
    for m in (*_WHEN.finditer(piece), *_SHORT_DATE_OR_COUNT.finditer(piece), *_PHONE_SHAPE.finditer(piece)):
        kinds.update((i, "w") for i in range(m.start(), m.end()))
    for m in _MASKED_DIGITS.finditer(piece):
        g = 1 if m.group(1) is not None else 2
        kinds.update((i, "m") for i in range(m.start(g), m.end(g)))
    return kinds


def _named_elsewhere(piece: str, at: int) -> bool:
    """The number at ``at`` in ``piece`` has words of its own naming it (``client ID
    CRM-541262``, ``callback 203.666.5654``): a word of ``_NAMES_A_NUMBER`` among the
    last four words before it, on its line and in its sentence."""
    words = re.split(r"[\n.;!?]", piece[:at])[-1]
    return any(w in _NAMES_ANOTHER for w in re.findall(r"[^\W\d_]+", words.lower())[-4:])


def _mark_after(piece: str, at: int) -> bool:
    """A separator the writer left after the digits ending before ``at`` as a cut mark
    ("536-22-"): a run of them ending the piece or followed by a blank."""
    i = at
    while i > 0 and _dangling(piece[i - 1]):
        i -= 1
    j = i
    while j < len(piece) and _dangling(piece[j]):
        j += 1
    return j > i and (j == len(piece) or piece[j].isspace())


@functools.lru_cache(maxsize=8192)
def _numeric(text: str) -> bool:
    """A post of digits and separators only, no word ("536-22", "8710", "6-22-8710"): the
    number is all it says (letters read as digits, O and l, are no word).  (Read for each
    pair of members of each chain of a plan, and again by every later post's plans:
    each text once per process, as ``_left_edge``.)"""
    return any(c.isdigit() for c in text) and not any(c.isalpha() and c not in _LOOKALIKES for c in text)


class _Edges(NamedTuple):
    """What a piece brings to a join: identifier characters at its end (joined before
    another) and at its start (joined after another), and whether it holds the start
    of an IBAN."""

    tail: int
    head: int
    iban: bool

    @staticmethod
    def of(text: str) -> _Edges:
        return _edges_of(text)

    def may_meet(self, other: _Edges) -> bool:
        """Either order of the two pieces may hold an identifier across the join."""
        return (self.head + other.tail >= MIN_JOIN_UNITS or other.iban
                or self.tail + other.head >= MIN_JOIN_UNITS or self.iban)


@functools.lru_cache(maxsize=4096)
def _edges_of(text: str) -> _Edges:
    """(A channel's pieces meet every new one: each is measured once per process.)"""
    end = _cut(text, True, False, len(text))
    start = _cut(text, False, True, len(text))
    if end is None or start is None:
        return _Edges(0, 0, False)
    return _Edges(_chain(text, end[1], -1)[1], _chain(text, start[0], 1)[1], _IBAN_START.search(text) is not None)


#: how ``plan`` has a join rendered (``_render``): with the writers' separators, with the
#: digits meeting at a cut written together, a long chain's bare pieces written together
_AS_WRITTEN, _GLUED, _COMPACT = 0, 1, 2


def plan(earlier: list[Piece], new: Piece, pairs: int, max_chars: int) -> _Scan | None:
    """Every join worth scanning, in one text (joins ``_GAP`` apart), and each piece on
    its own in another.

    Pairs: the new piece after and before each of the ``pairs`` most recent distinct
    earlier pieces that may meet it (``_Edges.may_meet``: enough identifier characters
    at the join; a repeated text counts once; other versions of the post an edit
    changes included, readers saw them), once with the writer's separator and once
    glued where digits meet at the join (a cut inside a digit group).  Chains: the runs
    of three to ``MAX_CHAIN + 1`` consecutive pieces in channel order through the new
    one, where an edit stands in its post's place (the time of the post's first version
    in the window) and replaces its earlier versions; longer ones, to ``LONG_CHAIN``,
    from a piece with words through bare pieces only.  A short chain with two posts of
    nothing but the number side by side is rendered once more glued where their digits
    meet (``_render``: "536-2", "2-87", "10").  At most
    ``8 * pairs + 4 * MAX_CHAIN + 2`` joins (``4 * pairs`` with the pieces shown before
    it, as many with those shown after it), each at most ``MAX_CHAIN + 1`` parts of at
    most ``max_chars`` characters (a pair's parts: their digits at the join and
    ``CONTEXT_BEFORE`` / ``CONTEXT_AFTER`` characters around them)."""
    texts = [new.s]
    index: dict[str, int] = {new.s: 0}

    def ref(text: str) -> int:
        if text not in index:
            index[text] = len(texts)
            texts.append(text)
        return index[text]

    edges = _Edges.of(new.s)
    partners: list[int] = []
    posts: set[str] = set()  # the posts a partner is a version of: each counts once
    # the newest first, those of the new piece's own timeline (the channel's root posts,
    # or its thread) before the others: replies in another thread (shown apart, collapsed
    # threads) do not push the halves out of reach
    # Pieces shown after the new one (scheduled posts sent later: ``SplitWindow.add``)
    # have budget of their own, the soonest first: they do not push the pieces shown
    # before it out of reach, nor these them.
    shown_before = sorted((p for p in earlier if p.t <= new.t), key=lambda p: (p.r == new.r, p.t), reverse=True)
    shown_after = sorted((p for p in earlier if p.t > new.t), key=lambda p: (p.r != new.r, p.t))
    for group in (shown_before, shown_after):
        taken = 0
        for n, p in enumerate(group):
            if taken >= pairs:
                break
            if (n or group is shown_after) and not _has_digit(p.s):
                continue  # a label is context for the piece right after it only: no partner's place
            if p.s not in index and (not p.p or p.p not in posts) and edges.may_meet(_edges_of(p.s)):
                partners.append(ref(p.s))
                taken += 1
                if p.p:
                    posts.add(p.p)
    joins: list[tuple[list[int], int, int]] = []
    for pid in partners:
        for pair, at_new in (([pid, 0], 1), ([0, pid], 0)):
            joins.append((pair, _AS_WRITTEN, at_new))
            joins.append((pair, _GLUED, at_new))  # rendered only where digits meet at the join
    # channel order: a post's versions sit where its first one is; the new one stands
    # for them all (what readers see now)
    first_seen = {new.p: new.t} if new.p else {}
    latest: dict[str, Piece] = {}
    for p in earlier:
        if p.p:
            first_seen[p.p] = min(p.t, first_seen.get(p.p, p.t))
            if p.p != new.p and (p.p not in latest or p.t > latest[p.p].t):
                latest[p.p] = p
    view = [p for p in earlier if not p.p or (p.p != new.p and latest[p.p] is p)]
    view.append(new)
    view.sort(key=lambda p: (first_seen.get(p.p, p.t) if p.p else p.t, p.t))
    # the chains once through every piece, and once more past the chat between them
    # (``_chat``: "room 12 is free", "call at 2:30?" between "itin 988", "62" and
    # "6132"), the same spans: at most twice the joins
    chains: list[tuple[list[int], int, int]] = []
    seen: set[tuple[int, ...]] = set()
    longs = 0  # long chains rendered: at most ``_LONG_JOINS`` in all
    for members in (view, [p for p in view if p is new or not _chat(p.s)]):
        if members is not view and len(members) == len(view):
            break  # no chat among them
        at = max(i for i, p in enumerate(members) if p is new)
        spans = [(lo, lo + size) for size in range(3, MAX_CHAIN + 2)
                 for lo in range(max(0, at - size + 1), min(at, len(members) - size) + 1)]
        spans += _long_spans([_bare(p.s) and not is_label(p.s) for p in members], at)
        # a repeated text is a member each time it is shown ("card 4111", "1111", "1111",
        # "1111"); the new message is the one at its own place
        for lo, hi in spans:
            chain = [0 if p is new else ref(p.s) for p in members[lo:hi]]
            if (key := (*chain, at - lo)) not in seen and (hi - lo <= MAX_CHAIN + 1 or longs < _LONG_JOINS):
                seen.add(key)
                chains.append((chain, at - lo, _AS_WRITTEN))
                if hi - lo <= MAX_CHAIN + 1 and any(_numeric(a.s) and _numeric(b.s)
                                                    for a, b in itertools.pairwise(members[lo:hi])):
                    # posts of nothing but the number side by side: once more with the
                    # digits meeting at their cuts written together (``_render``)
                    chains.append((chain, at - lo, _GLUED))
                if hi - lo > MAX_CHAIN + 1:
                    longs += 1
                    if longs < _LONG_JOINS and any(_capitals(p.s) for p in members[lo + 1:hi]):
                        # letters among the bare pieces: once more written together
                        chains.append((chain, at - lo, _COMPACT))
                        longs += 1
    joins.extend((chain, mode, at_new) for chain, at_new, mode in chains)
    parts: list[str] = []
    part_starts: list[int] = []
    rendered: list[_Join] = []
    pos = 0
    for chain, mode, at_new in joins:
        got = _render(chain, texts, at_new, max_chars, mode != _AS_WRITTEN, mode == _COMPACT)
        if got is None:
            continue
        text, join = got
        rendered.append(_Join(tuple([_Segment(s.start + pos, s.end + pos, s.piece, s.src) for s in join.segments]),
                              join.new, join.label, join.compact))
        part_starts.append(pos)
        parts.append(text + _GAP)
        pos += len(text) + len(_GAP)
    if not rendered:
        return None
    alone: list[int] = []
    alone_parts: list[str] = []
    at_pos = 0
    for t in texts:
        alone.append(at_pos)
        alone_parts.append(t + _GAP)
        at_pos += len(t) + len(_GAP)
    return _Scan("".join(parts), rendered, "".join(alone_parts), alone, part_starts)
