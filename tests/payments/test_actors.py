"""Actors are compared as identities, not spellings (the four-eyes rule's foundation)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments import actors
from payments.errors import PaymentsError

ONE_PERSON = [
    "alice",
    "Alice",
    "ALICE",
    "ＡＬＩＣＥ",  # full-width
    "  alice ",  # extra spaces
    "Ａlice",
]


@pytest.mark.parametrize("spelling", ONE_PERSON)
def test_spellings_of_one_name_are_one_identity(spelling):
    assert actors.same(spelling, "alice")
    assert actors.identity(spelling) == "alice"


@pytest.mark.parametrize(
    "a,b",
    [
        ("ﬁona", "fiona"),  # the fi ligature
        ("Ｆｉｏｎａ", "FIONA"),
        ("ellen   smith", "Ellen Smith"),
        ("ellen\tsmith", "ELLEN SMITH"),
        ("straße", "STRASSE"),  # case folding, not lower()
        ("ǰane", "J\u030cane"),  # a precomposed letter and its decomposition
        ("Å", "A\u030a"),
    ],
)
def test_compatibility_forms_case_and_space_fold(a, b):
    assert actors.same(a, b)


@pytest.mark.parametrize("a,b", [("alice", "alicia"), ("bob", "bo b"), ("ana", "aña")])
def test_different_names_stay_different(a, b):
    assert not actors.same(a, b)


def test_nobody_is_nobody_else():
    assert not actors.same(None, "alice") and not actors.same("alice", None)
    assert not actors.same(None, None)


def test_the_name_is_stored_as_given():
    assert actors.actor("  Ａlice   Smith ") == "Ａlice Smith"


@pytest.mark.parametrize(
    "bad", ["", "   ", "a\u200bb", "x" * 101, "\ufdfa" * 10, None, 7, "clerk 0101901234"]
)
def test_names_that_say_nothing_or_do_not_fit_are_refused(bad):
    """A zero-width space hides a difference; a ligature of 18 letters would not fit the
    identity columns (100 characters); a CPR would reach the audit log."""
    with pytest.raises(PaymentsError) as info:
        actors.actor(bad)
    assert info.value.code == "ACTOR_INVALID"


@given(st.text(min_size=1, max_size=40))
def test_identity_is_stable(name):
    """Folding an identity again changes nothing: two stored keys compare as the names do."""
    key = actors.identity(name)
    assert actors.identity(key) == key
    assert actors.same(name, key) or not key
