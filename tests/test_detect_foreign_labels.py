"""Identifier labels in other languages name the number after them (held-out probe,
class 4): those outside ASCII are read as their English label by the normalizer
(dlp_proxy/detect/foreign.py), those in Latin letters are context words.  Real detector."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import foreign
from dlp_proxy.detect.engine import Engine
from dlp_proxy.detect.normalize import normalize

#: valid numbers with no context of their own: an SSN, an account number, a routing number
NUMBERS = {"SSN": ("536228710", "US_SSN"), "tax id": ("536228710", "US_SSN"),
           "account number": ("4839201746", "US_BANK_NUMBER"), "routing number": ("021000021", "ABA_ROUTING_NUMBER")}
#: what stands between a label and its number
SEPARATORS = [" ", ": ", "：", " - ", "\t", " = ", " № "]
#: words in the same languages that name another kind of number (an order, a phone, a room)
OTHER_NUMBERS = ["注文番号", "电话号码", "주문 번호", "номер заказа", "رقم الطلب", "מספר הזמנה", "αριθμός παραγγελίας",
                 "số điện thoại", "Bestellnummer", "numero d'ordine"]
LATIN = {
    "US_SSN": ["Sozialversicherungsnummer", "sozialversicherungs-nr", "SV-Nummer", "Burgerservicenummer", "BSN",
               "numero de securite sociale", "numero di previdenza sociale", "Steuernummer", "Steuer-ID",
               "codice fiscale", "personnummer"],
    "US_BANK_NUMBER": ["numero di conto", "conto corrente", "conta corrente", "numero da conta", "rekeningnummer",
                       "bankrekening", "numer konta", "numer rachunku", "nomor rekening", "hesap no", "no akaun",
                       "nambari ya akaunti"],
}


def _kinds(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)}


@pytest.mark.parametrize(("label", "english"), foreign.LABELS)
def test_each_label_reads_as_its_english_one(label: str, english: str) -> None:
    for sep in ("", " ", "：", ": "):
        text = f"{label}{sep}536228710"
        norm = normalize(text)
        assert english in norm.text and "536228710" in norm.text, (text, norm.text)
        # the number maps back to where it is written
        at = norm.text.index("536228710")
        assert norm.original_span(at, at + 9) == (len(text) - 9, len(text))


@pytest.mark.parametrize(("label", "english"), [(x, e) for x, e in foreign.LABELS if e in NUMBERS])
def test_each_label_names_the_number_after_it(engine: Engine, label: str, english: str) -> None:
    number, kind = NUMBERS[english]
    assert kind not in _kinds(engine, f"ref {number}")  # not found without a label
    for sep in SEPARATORS:
        assert kind in _kinds(engine, f"{label}{sep}{number}"), (label, sep)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([x for x in foreign.LABELS if x[1] == "SSN"]), st.sampled_from(SEPARATORS),
       st.sampled_from(["", "client ", "顧客の", "клиента ", "de ", "\n"]), st.sampled_from(["", "。", " today", "です"]))
def test_an_ssn_label_in_running_text(engine: Engine, labelled: tuple[str, str], sep: str, before: str,
                                      after: str) -> None:
    text = f"{before}{labelled[0]}{sep}536-22-8710{after}"
    found = [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    assert found and text[found[0].start:found[0].end].replace("-", "") == "536228710", text


@pytest.mark.parametrize("word", OTHER_NUMBERS)
def test_a_word_for_another_number_names_no_identifier(engine: Engine, word: str) -> None:
    assert _kinds(engine, f"{word}: 536228710") == set()
    assert _kinds(engine, f"{word} 4839201746") == set()


def test_russian_labels_are_read_with_latin_look_alikes(engine: Engine) -> None:
    # ``о`` and ``с`` typed as the Latin letters they look like
    assert "US_SSN" in _kinds(engine, "номер coциальнoго страхования 536228710")
    assert "US_BANK_NUMBER" in _kinds(engine, "рacчетный cчет 4839201746")


@pytest.mark.parametrize(("kind", "label"), [(k, x) for k, xs in LATIN.items() for x in xs])
def test_labels_in_latin_letters_are_context_words(engine: Engine, kind: str, label: str) -> None:
    number = NUMBERS["SSN" if kind == "US_SSN" else "account number"][0]
    assert kind in _kinds(engine, f"{label}: {number}")
    assert kind not in _kinds(engine, f"ordine: {number}")


def test_text_without_a_label_is_left_alone() -> None:
    for text in ["Café résumé, voilà", "Привет, как дела?", "今日はいい天気ですね", "شكرا لك", "😀 cash"]:
        assert foreign.label_edits(text) == []
