"""Identifiers: CPR (date, no modulus 11, not born after the day checked), CVR (modulus 11,
``DK`` prefix allowed), accounts, IBAN, BIC."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.dk import cpr as stdnum_cpr

from identifiers import (
    Bic,
    DomesticAccount,
    Iban,
    IdentifierError,
    cpr,
    cvr,
    mask_account,
    parse_owner,
)


def code_of(fn, *args) -> str:
    with pytest.raises(IdentifierError) as info:
        fn(*args)
    return info.value.code


class TestCpr:
    def test_both_spellings_give_the_same_number(self):
        assert cpr.parse("010190-1234") == cpr.parse("0101901234") == "0101901234"

    def test_valid_number_failing_modulus_11_is_accepted(self):
        # 0101901234 fails modulus 11 (issued since 2007 without it) but is a real date.
        assert stdnum_cpr.checksum("0101901234") != 0
        assert cpr.birth_date(cpr.parse("0101901234")) == dt.date(1990, 1, 1)

    def test_century_digit_decides_the_year(self):
        assert cpr.birth_date(cpr.parse("0101054000")) == dt.date(2005, 1, 1)
        assert cpr.birth_date(cpr.parse("0101584000")) == dt.date(1958, 1, 1)
        assert cpr.birth_date(cpr.parse("2902008000")) == dt.date(2000, 2, 29)

    @pytest.mark.parametrize("seventh", "0123456789")
    def test_the_century_is_python_stdnums_for_every_digit_and_year(self, seventh):
        for yy in range(100):
            for day in ("0101", "2902", "3112"):
                number = f"{day}{yy:02d}{seventh}234"
                try:
                    expected = stdnum_cpr.get_birth_date(number)
                except ValueError:
                    expected = None
                assert (cpr.birth_date(number) if cpr.is_valid(number) else None) == expected

    @pytest.mark.parametrize("text", ["3102901234", "0013901234", "2902011234", "290200-1234"])
    def test_impossible_dates_are_rejected(self, text):
        # 29 Feb 1900 (7th digit 1 → 1900) did not exist; 29 Feb 2001 neither.
        assert code_of(cpr.parse, text) == "ID_CPR_INVALID"

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
        assert code_of(cpr.parse, text) == "ID_CPR_INVALID"

    def test_error_names_the_field_and_never_the_full_number(self):
        with pytest.raises(IdentifierError) as info:
            cpr.parse("3102901234", field="employee_cpr")
        assert info.value.field == "employee_cpr"
        assert "3102901234" not in info.value.message

    def test_mask_and_format(self):
        number = cpr.parse("0101901234")
        assert cpr.mask(number) == "010190-****"
        assert cpr.format(number) == "010190-1234"

    def test_a_birth_date_after_the_day_checked_is_refused(self):
        # born 1 January 2030 (7th digit 4, year 30): valid as a number, not yet as a person
        assert cpr.is_valid("0101304000")
        on = dt.date(2026, 12, 1)
        assert code_of(lambda t: cpr.parse(t, on=on), "0101304000") == "ID_CPR_INVALID"
        assert cpr.parse("0112264000", on=on) == "0112264000"  # born that very day
        assert code_of(lambda: parse_owner("cpr", "0101304000", on=on)) == "ID_CPR_INVALID"

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
        assert cpr.birth_date(cpr.parse(number)) == day


class TestCvr:
    def test_valid(self):
        assert cvr.parse("13585628") == "13585628"
        assert cvr.parse(" 1358 5628 ") == "13585628"

    @pytest.mark.parametrize("text", ["DK 13585628", "dk13585628", "DK-1358-5628"])
    def test_the_vat_spelling_is_the_same_number(self, text):
        assert cvr.parse(text) == "13585628"
        assert parse_owner("cvr", text).number == "13585628"

    @pytest.mark.parametrize(
        "text", ["13585627", "1358562", "135856280", "abcdefgh", "", "03585628"]
    )
    def test_invalid(self, text):
        assert code_of(cvr.parse, text) == "ID_CVR_INVALID"

    @given(st.integers(10_000_000, 99_999_999))
    def test_agrees_with_modulus_11(self, n):
        digits = str(n)
        weights = (2, 7, 6, 5, 4, 3, 2, 1)
        ok = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0
        assert cvr.is_valid(digits) is ok


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
