"""Identifier labels written in another language, read as the English label they name.

A writer at a US firm may name a client's Social Security number or account in the
client's language (``社会保障番号 AAAGGSSSS``, ``номер социального страхования ...``,
``رقم الحساب ...``): the number is the same identifier and the label names it as plainly
as ``SSN`` would (held-out probe, class 4).  The recognizers' context words are ASCII (an
ASCII word list keeps their literal shortcut, ``recognizers/_common.py``
``context_literals``), so the normalizer reads each such label as its English one
(``label_edits``), as it reads ``S·S·N`` as ``S.S.N``.  Labels in Latin letters
(``sozialversicherungsnummer``, ``numero di conto``) are context words of their own.

Only labels that name the identifier itself are listed: a word for "number" or "bank"
alone names nothing (``番号`` is any number).
"""

from __future__ import annotations

import functools
import re

#: Cyrillic letters and the Latin letters drawn the same: the normalizer reads a Cyrillic
#: look-alike beside digits as the Latin letter (``счёта 4839...`` may read ``cчётa``)
_CYRILLIC_ALIKE = {"а": "a", "е": "eё", "ё": "eе", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k",
                   "м": "m", "т": "t", "в": "b", "н": "h"}


def _read_back() -> dict[str, str]:
    """A Latin look-alike -> the Cyrillic letter it stands for (``_CYRILLIC_ALIKE`` read
    back; ``e`` is ``е``, the first to name it)."""
    back: dict[str, str] = {}
    for cyrillic, alike in _CYRILLIC_ALIKE.items():
        for c in alike:
            if c.isascii():
                back.setdefault(c, cyrillic)
    return back


_CYRILLIC_BACK = _read_back()
#: a number sign after a label, taken as part of it (``номер счёта №``)
_NUMBER_SIGN = r"(?:№|#|n[°º]|no\.|nr\.)"


def cyrillic_alike(word: str) -> str:
    """A regex of a Russian ``word`` that also matches it with Latin look-alike letters."""
    return "".join(f"[{c}{_CYRILLIC_ALIKE[c]}]" if c in _CYRILLIC_ALIKE else re.escape(c) for c in word)


#: (label, the English label it is read as).  Words apart by a blank may stand apart by
#: any blanks, or together.  Russian words also match with Latin look-alike letters.
LABELS: tuple[tuple[str, str], ...] = (
    # a Social Security number: Japanese, Chinese (simplified, traditional), Korean,
    # Russian, Arabic, Hebrew, Greek
    ("社会保障番号", "SSN"), ("社会保障ナンバー", "SSN"), ("ソーシャルセキュリティ番号", "SSN"),
    ("ソーシャル・セキュリティ番号", "SSN"), ("ソーシャルセキュリティー番号", "SSN"),
    ("社会安全号码", "SSN"), ("社会安全号", "SSN"), ("社会保障号码", "SSN"), ("社会保障号", "SSN"),
    ("社会保险号码", "SSN"), ("社会保险号", "SSN"), ("社保号", "SSN"),
    ("社會安全號碼", "SSN"), ("社會安全號", "SSN"), ("社會保障號碼", "SSN"), ("社會保險號碼", "SSN"),
    ("사회 보장 번호", "SSN"), ("사회보장 번호", "SSN"), ("소셜 시큐리티 번호", "SSN"),
    ("номер социального страхования", "SSN"), ("номер социального обеспечения", "SSN"),
    ("социального страхования", "SSN"), ("социального обеспечения", "SSN"), ("номер соцстрахования", "SSN"),
    ("رقم الضمان الاجتماعي", "SSN"), ("الضمان الاجتماعي", "SSN"),
    ("מספר ביטוח לאומי", "SSN"), ("מספר תעודת זהות", "SSN"),
    ("αριθμός κοινωνικής ασφάλισης", "SSN"), ("κοινωνικής ασφάλισης", "SSN"),
    # Vietnamese, Hindi, Turkish, Polish, Ukrainian, Thai (re-attack of 2026-12-06, F5)
    ("số an sinh xã hội", "SSN"), ("सामाजिक सुरक्षा संख्या", "SSN"), ("सामाजिक सुरक्षा नंबर", "SSN"),
    ("sosyal güvenlik numarası", "SSN"), ("numer ubezpieczenia społecznego", "SSN"),
    ("номер соціального страхування", "SSN"), ("соціального страхування", "SSN"),
    ("หมายเลขประกันสังคม", "SSN"), ("เลขประกันสังคม", "SSN"),
    # a taxpayer number
    ("納税者番号", "tax id"), ("纳税人识别号", "tax id"), ("納稅人識別號", "tax id"), ("납세자 번호", "tax id"),
    ("идентификационный номер налогоплательщика", "tax id"),
    # an account number (Japanese, Chinese, Korean and Russian ones are
    # recognizers/bank.py's ``_FOREIGN_LABEL``)
    ("رقم الحساب", "account number"), ("رقم حساب", "account number"),
    ("מספר חשבון", "account number"), ("מס׳ חשבון", "account number"),
    ("αριθμός λογαριασμού", "account number"), ("खाता संख्या", "account number"), ("खाता नंबर", "account number"),
    ("số tài khoản", "account number"), ("číslo účtu", "account number"), ("számlaszám", "account number"),
    ("hesap numarası", "account number"),
    # Persian, Urdu, Ukrainian, Chinese, Thai, Tamil, Bengali, Amharic (re-attack of 2026-12-06, F5)
    ("شماره حساب", "account number"), ("اکاؤنٹ نمبر", "account number"), ("номер рахунку", "account number"),
    ("帐户号码", "account number"), ("帳戶號碼", "account number"), ("เลขที่บัญชี", "account number"),
    ("เลขบัญชี", "account number"), ("கணக்கு எண்", "account number"), ("অ্যাকাউন্ট নম্বর", "account number"),
    ("হিসাব নম্বর", "account number"), ("የሂሳብ ቁጥር", "account number"),
    # a routing number
    ("ルーティング番号", "routing number"), ("路由号码", "routing number"), ("路由號碼", "routing number"),
    ("라우팅 번호", "routing number"), ("банковский идентификационный код", "routing number"),
    # a card number
    ("カード番号", "card number"), ("卡号", "card number"), ("卡號", "card number"), ("카드 번호", "card number"),
    ("номер карты", "card number"), ("رقم البطاقة", "card number"), ("מספר כרטיס", "card number"),
)


#: scripts written without blanks between words (Thai, Han, Kana, Hangul, which glues its
#: particles to the word: ``사회보장번호는``): a label there may touch other letters
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _phrase(label: str) -> str:
    body = r"\s*".join(cyrillic_alike(w) for w in label.split(" "))
    # elsewhere a whole word: no letter right before or after it (a digit may touch it)
    return body if _UNSPACED.search(label) else r"(?<![^\W\d_])" + body + r"(?![^\W\d_])"


def _firsts(label: str) -> set[str]:
    """The lower-case characters ``label`` may start with (a Cyrillic letter's Latin look-alike too)."""
    c = label[0].lower()
    return {c, *_CYRILLIC_ALIKE.get(c, "")}


@functools.cache
def _by_first() -> tuple[re.Pattern[str], dict[str, re.Pattern[str]]]:
    """A class of the characters a label starts with, and for each of them the regex of
    the labels starting with it: a text is searched for the first, and only where one
    stands is the second tried (one alternation of every label tried at every position
    cost ~0.5 ms for a paragraph)."""
    groups: dict[str, set[str]] = {}
    for label, _ in LABELS:
        for c in _firsts(label):
            groups.setdefault(c, set()).add(_phrase(label))
    suffix = rf"(?:[ \t]*{_NUMBER_SIGN})?"
    groups = {c: {alt + suffix for alt in alts} for c, alts in groups.items()}
    starts = "".join(re.escape(c) + re.escape(c.upper()) for c in sorted(groups))
    # longest first: ``номер социального страхования`` before ``социального страхования``
    return re.compile(f"[{starts}]"), {c: re.compile("|".join(sorted(alts, key=lambda p: (-len(p), p))), re.IGNORECASE)
                                      for c, alts in groups.items()}


@functools.cache
def _hint() -> re.Pattern[str]:
    """A character outside ASCII that one of ``LABELS`` holds: every label has one, so a
    text without any holds none."""
    chars = sorted({c for label, _ in LABELS for c in label.lower() + label.upper() if not c.isascii()})
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


@functools.cache
def _english() -> dict[str, str]:
    return {re.sub(r"\s+", "", label.lower()): english for label, english in LABELS}


#: the number sign ``_by_first`` takes after a label
_SUFFIX = re.compile(rf"\s*{_NUMBER_SIGN}\Z")


def _read(found: str) -> str | None:
    """The English label ``found`` is (Latin look-alikes read as the Cyrillic letters)."""
    key = re.sub(r"\s+", "", _SUFFIX.sub("", found.lower()))
    english = _english().get(key)
    if english is not None:
        return english
    return _english().get("".join(_CYRILLIC_BACK.get(c, c) for c in key))


def label_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """The normalizer's edits (start, end, replacement, source start, source end) that
    read each label of ``LABELS`` in ``text`` (outside ASCII) as its English label, with a
    blank at a side where a letter or digit touches it (``社会保障番号AAAGGSSSS`` reads
    ``SSN AAAGGSSSS``)."""
    if text.isascii() or _hint().search(text) is None:
        return []
    starts, by_first = _by_first()
    edits: list[tuple[int, int, str, int, int]] = []
    reach = 0
    for first in starts.finditer(text):
        if first.start() < reach:
            continue
        m = by_first[first.group().lower()].match(text, first.start())
        english = _read(m.group(0)) if m is not None else None
        if m is None or english is None:
            continue
        a, b = m.span()
        reach = b
        rep = english
        if a > 0 and text[a - 1].isalnum():
            rep = " " + rep
        if b < len(text) and text[b].isalnum():
            rep += " "
        edits.append((a, b, rep, a, b))
    return edits
