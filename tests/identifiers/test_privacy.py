"""What JSON output shows of a decision document without --reveal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from identifiers.privacy import holds_full_number, mask_decision, mask_numbers


def test_a_cpr_payee_is_masked_a_cvr_payee_is_public():
    cpr = {"payee": {"kind": "cpr", "number": "0101901234"}, "amount": "10.00"}
    cvr = {"payee": {"kind": "cvr", "number": "13585628"}, "amount": "10.00"}
    assert mask_decision(cpr)["payee"] == {"kind": "cpr", "number": "010190-****"}
    assert mask_decision(cvr) == cvr
    assert cpr["payee"]["number"] == "0101901234"  # the caller's document is not changed


def test_full_numbers_anywhere_in_it_are_masked_and_amounts_are_not():
    doc = {
        "payee": None,
        "trace": [{"output": "to CPR 010190-1234", "inputs": {"0101901234": 1_234_567_890}}],
        "sha256": "ab0101901234cd",  # part of a longer token: no number
    }
    assert mask_decision(doc) == {
        "payee": None,
        "trace": [{"output": "to CPR 010190-****", "inputs": {"010190-****": 1_234_567_890}}],
        "sha256": "ab0101901234cd",
    }


@given(
    st.text(max_size=30),
    st.from_regex(r"\A[0-9]{6}-?[0-9]{4}\Z"),
    st.text(max_size=30),
)
def test_no_full_number_survives(before, number, after):
    doc = {"payee": None, "note": f"{before} {number} {after}", "list": [number]}
    shown = mask_decision(doc)
    assert not holds_full_number(shown["note"]) and not holds_full_number(shown["list"][0])


def test_mask_numbers_keeps_the_birth_date_part():
    assert mask_numbers("a 0101901234 b 020290-1234") == "a 010190-**** b 020290-****"
