"""Identifiers: CPR (date, no modulus 11), CVR (modulus 11), accounts, IBAN, BIC."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.dk import cpr as stdnum_cpr

from payments.identifiers import (
    Bic,
    Cpr,
    Cvr,
    DomesticAccount,
    Iban,
    IdentifierError,
    mask_account,
    parse_owner,
)


def code_of(fn, *args) -> str:
    with pytest.raises(IdentifierError) as info:
        fn(*args)
    return info.value.code


class TestCpr:
    def test_both_spellings_give_the_same_number(self):
        assert Cpr.parse("010190-1234") == Cpr.parse("0101901234")
        assert str(Cpr.parse("010190-1234")) == "0101901234"

    def test_valid_number_failing_modulus_11_is_accepted(self):
        # 0101901234 fails modulus 11 (issued since 2007 without it) but is a real date.
        assert stdnum_cpr.checksum("0101901234") != 0
        assert Cpr.parse("0101901234").birth_date == dt.date(1990, 1, 1)

    def test_century_digit_decides_the_year(self):
        assert Cpr.parse("0101054000").birth_date == dt.date(2005, 1, 1)
        assert Cpr.parse("0101584000").birth_date == dt.date(1958, 1, 1)
        assert Cpr.parse("2902008000").birth_date == dt.date(2000, 2, 29)

    @pytest.mark.parametrize("text", ["3102901234", "0013901234", "2902011234", "290200-1234"])
    def test_impossible_dates_are_rejected(self, text):
        # 29 Feb 1900 (7th digit 1 → 1900) did not exist; 29 Feb 2001 neither.
        assert code_of(Cpr.parse, text) == "ID_CPR_INVALID"

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "01019012345",
            "010190 1234",
            "01019-01234",
            "abcdefghij",
            "010190--1234",
            "010190123",
        ],
    )
    def test_malformed_text_is_rejected(self, text):
        assert code_of(Cpr.parse, text) == "ID_CPR_INVALID"

    def test_error_names_the_field_and_never_the_full_number(self):
        with pytest.raises(IdentifierError) as info:
            Cpr.parse("3102901234", field="employee_cpr")
        assert info.value.field == "employee_cpr"
        assert "3102901234" not in info.value.message

    def test_mask_and_format(self):
        cpr = Cpr.parse("0101901234")
        assert cpr.mask() == "010190-****"
        assert cpr.format() == "010190-1234"

    @given(st.dates(dt.date(1858, 1, 1), dt.date(2057, 12, 31)), st.integers(0, 9999))
    def test_every_real_date_with_a_matching_century_digit_is_valid(self, day, serial):
        yy = day.year % 100
        if 1900 <= day.year <= 1999:
            digit = 0
        elif 2000 <= day.year <= 2036:
            digit = 4
        elif 2037 <= day.year <= 2057:
            digit = 5
        else:  # 1858-1899
            digit = 5
        number = f"{day:%d%m}{yy:02d}{digit}{serial % 1000:03d}"
        assert Cpr.parse(number).birth_date == day


class TestCvr:
    def test_valid(self):
        assert str(Cvr.parse("13585628")) == "13585628"
        assert Cvr.parse(" 1358 5628 ").number == "13585628"

    @pytest.mark.parametrize(
        "text", ["13585627", "1358562", "135856280", "abcdefgh", "", "03585628"]
    )
    def test_invalid(self, text):
        assert code_of(Cvr.parse, text) == "ID_CVR_INVALID"

    @given(st.integers(10_000_000, 99_999_999))
    def test_agrees_with_modulus_11(self, n):
        digits = str(n)
        weights = (2, 7, 6, 5, 4, 3, 2, 1)
        ok = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0
        assert Cvr.is_valid(digits) is ok


class TestAccounts:
    def test_domestic_is_padded_to_ten(self):
        acc = DomesticAccount.parse("1234", "56789")
        assert acc.account_no == "0000056789"
        assert acc.bban == "12340000056789"
        assert acc.mask() == "****6789"

    @pytest.mark.parametrize(
        "reg,acc,code",
        [
            ("123", "1234567", "ID_REG_NO_INVALID"),
            ("12345", "1234567", "ID_REG_NO_INVALID"),
            ("0000", "1234567", "ID_REG_NO_INVALID"),
            ("12a4", "1234567", "ID_REG_NO_INVALID"),
            ("1234", "12345678901", "ID_ACCOUNT_INVALID"),
            ("1234", "", "ID_ACCOUNT_INVALID"),
            ("1234", "0000000000", "ID_ACCOUNT_INVALID"),
            ("1234", "12x45", "ID_ACCOUNT_INVALID"),
        ],
    )
    def test_domestic_invalid(self, reg, acc, code):
        assert code_of(DomesticAccount.parse, reg, acc) == code

    def test_iban(self):
        iban = Iban.parse("DK50 0040 0440 1162 43")
        assert str(iban) == "DK5000400440116243"
        assert iban.mask() == "****6243"
        assert Iban.parse("DE89370400440532013000").value.startswith("DE")

    @pytest.mark.parametrize("text", ["DK5000400440116244", "DK50004004401162", "XX00", ""])
    def test_iban_invalid(self, text):
        assert code_of(Iban.parse, text) == "ID_IBAN_INVALID"

    def test_bic(self):
        assert str(Bic.parse("DABADKKK")) == "DABADKKK"
        assert code_of(Bic.parse, "DABAXXKK") == "ID_BIC_INVALID"
        assert code_of(Bic.parse, "DAB") == "ID_BIC_INVALID"

    def test_mask_account(self):
        assert mask_account("1234", "0000056789", None) == "****6789"
        assert mask_account(None, None, "DK5000400440116243") == "****6243"

    @given(st.from_regex(r"[1-9]\d{3}", fullmatch=True), st.integers(1, 9_999_999_999))
    def test_any_four_digit_reg_and_account_round_trips(self, reg, number):
        acc = DomesticAccount.parse(reg, str(number))
        assert int(acc.account_no) == number and len(acc.bban) == 14


def test_parse_owner_rejects_unknown_kind():
    assert code_of(parse_owner, "se", "12345678") == "ID_OWNER_KIND"
    assert parse_owner("cvr", "13585628").kind == "cvr"
