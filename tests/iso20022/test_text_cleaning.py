"""The bank character set: free text is cleaned deterministically, identifiers are checked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso20022.errors import Pain001Error
from iso20022.text import ALLOWED, CLEAN, IDENTIFIER, check_identifier, clean_text


def clean(value: str, max_len: int = 140) -> str:
    return clean_text(value, max_len=max_len, field="Nm")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Jens Hansen", "Jens Hansen"),
        ("Søren Ærø Åkjær", "Søren Ærø Åkjær"),
        ("Åsa Öberg Ängel", "Åsa Öberg Ängel"),
        ("A\u030angstrøm", "Ångstrøm"),  # combining ring → NFC Å
        ("Müller-Lüdenscheidt", "Muller-Ludenscheidt"),
        ("René Éclair", "Rene Eclair"),
        ("Straße", "Strasse"),
        ("Łukasz Œdipus Þór", "Lukasz OEdipus Thor"),
        ("Fish & Chips", "Fish + Chips"),
        ("“quoted” ‘single’ «guillemets»", "'quoted' 'single' 'guillemets'"),
        ("a–b—c", "a-b-c"),
        ("[x] {y} <z>", "(x) (y) (z)"),
        ("tab\there\nnew\r\nline", "tab here new line"),
        ("  lots   of    space  ", "lots of space"),
        ("zero\u200bwidth\u00adsoft\ufeffbom", "zerowidthsoftbom"),
        ("nul\x00bell\x07", "nul bell"),
        ("ﬁne ﬂow", "fine flow"),
        ("Ωμέγα", "?????"),
        ("日本", "??"),
        ("emoji 😀 ok", "emoji ? ok"),
        ("lone \ud800 surrogate", "lone ? surrogate"),
        ("email@example.com #1 50% *", "email?example.com ?1 50? ?"),
        ("", ""),
        ("\x00\x01", ""),
    ],
)
def test_cleaning_rules(raw, expected):
    assert clean(raw) == expected


def test_a_text_over_the_limit_is_an_error_not_cut():
    assert clean("x" * 140) == "x" * 140
    with pytest.raises(Pain001Error) as err:
        clean("x" * 141)
    assert err.value.code == "PAIN001_INVALID_INPUT" and err.value.field == "Nm"


def test_growth_by_transliteration_is_cut_at_the_limit():
    assert clean("ß" * 140) == "s" * 140
    assert clean("a" * 139 + "ß") == "a" * 139 + "s"


def test_not_text_is_an_error():
    with pytest.raises(Pain001Error):
        clean(42)


@given(st.text(max_size=140))
def test_cleaned_text_is_in_the_set_short_enough_and_stable(raw):
    out = clean(raw)
    assert set(out) <= ALLOWED
    assert len(out) <= 140
    assert out == out.strip() and "  " not in out
    assert clean(out) == out  # idempotent: cleaning twice changes nothing


@pytest.mark.parametrize("good", ["E2E-1", "A" * 35, "NR-20260302-1/7", "(a):b.c,d'e+f?g"])
def test_valid_identifiers(good):
    assert check_identifier(good, field="EndToEndId") == good


@pytest.mark.parametrize(
    "bad",
    ["", "A" * 36, "with space", "/lead", "trail/", "a//b", "æøå", "tab\t", "E2E_1", None, 12],
)
def test_invalid_identifiers(bad):
    with pytest.raises(Pain001Error) as err:
        check_identifier(bad, field="EndToEndId")
    assert err.value.field == "EndToEndId"


def test_values_never_need_escaping():
    """The pain.001 writer fills serialised templates with checked values (no escaping)."""
    markup = set('&<>]"\r')
    assert not markup & ALLOWED
    for char in markup:
        assert not CLEAN.fullmatch(f"a{char}b") and not IDENTIFIER.fullmatch(f"a{char}b")
