"""Text the banks accept: cleaning of free text, checking of identifiers.

Banks do not accept every Unicode character. The set written by this package is:

* the SEPA / ISO 20022 "Latin basic" set every European bank must accept:
  ``a-z A-Z 0-9 / - ? : ( ) . , ' +`` and the space;
* the Danish letters ``Æ Ø Å æ ø å`` (Danish domestic clearing carries them; names of
  Danish creditors are unreadable without them);
* ``Ä Ö ä ö``, which Danske Bank's pain.001.001.03 MIG names beside the Danish letters as the
  Scandinavian letters it carries, and which are common in Swedish and Finnish names.
  Nordea's guide asks for ISO 8859-15 characters only; all of the above are in it.

**Free text** (names, remittance) is cleaned deterministically, one character at a time:

1. the text is normalised to NFC (so ``a`` + combining ring becomes ``å``);
2. a character of the set is kept;
3. control characters and any kind of space or line break become a space; invisible
   format characters (zero-width space, soft hyphen, BOM) are dropped;
4. a few characters with a well-known spelling are transliterated by a table
   (``ß``→``ss``, ``Ł``→``L``, ``Œ``→``OE``, ``&``→``+``, typographic quotes→``'``,
   dashes→``-``, brackets→parentheses);
5. otherwise the compatibility decomposition (NFKD) without accents is used when it lies
   wholly in the set (``é``→``e``, ``Ü``→``U``, ``ﬁ``→``fi``);
6. anything else becomes ``?`` (one per character: the reader sees that something was lost);
7. runs of spaces are collapsed and the ends stripped.

The length limit (140 for names and remittance) applies to the caller's text: a longer text
is an error, because cutting a name or a reference is the caller's decision. When cleaning
makes a text within the limit longer (``ß``→``ss``, or the NFC form of a few rare
characters), the cleaned text is cut at the limit, since the caller could not foresee it.

**Identifiers** (MsgId, PmtInfId, EndToEndId, organisation ids) are checked, never cleaned:
cleaning could make two identifiers equal. They must be 1-35 characters of the Latin basic
set without space (Nordea refuses national letters in identifiers), must not start or end
with ``/`` and must not contain ``//`` (the EPC rule for references).

>>> clean_text("  Søren   Ærø\\tAndersen ", max_len=140, field="Nm")
'Søren Ærø Andersen'
>>> clean_text("Straße 5 & Co. — “Müller”", max_len=140, field="Nm")
"Strasse 5 + Co. - 'Muller'"
>>> clean_text("Ωmega", max_len=140, field="Nm")
'?mega'
>>> check_identifier("E2E-2026/000123", field="EndToEndId")
'E2E-2026/000123'
"""

from __future__ import annotations

import re
import unicodedata

from iso20022.errors import Pain001Error

LATIN_BASIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
NATIONAL = "ÆØÅæøåÄÖäö"
ALLOWED = frozenset(LATIN_BASIC + NATIONAL)

_WORD = r"[A-Za-z0-9/\-?:().,'+ÆØÅæøåÄÖäö]+"
# Already clean: allowed characters, single spaces, no space at either end. Public, with
# IDENTIFIER, for the writer's inlined fast path.
CLEAN = re.compile(rf"{_WORD}(?: {_WORD})*")
_SPACES = re.compile(r" {2,}")
IDENTIFIER = re.compile(r"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+]{1,35}(?<!/)")

_TRANSLITERATION = {
    "ß": "ss",
    "ẞ": "SS",
    "Þ": "Th",
    "þ": "th",
    "Ð": "D",
    "ð": "d",
    "Đ": "D",
    "đ": "d",
    "Ł": "L",
    "ł": "l",
    "Œ": "OE",
    "œ": "oe",
    "ı": "i",
    "ĸ": "k",
    "Ŋ": "N",
    "ŋ": "n",
    "&": "+",
    "_": "-",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "`": "'",
    "´": "'",
    '"': "'",
    "“": "'",
    "”": "'",
    "„": "'",
    "«": "'",
    "»": "'",
    "‹": "'",
    "›": "'",
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
    "<": "(",
    ">": ")",
}


def _replace(char: str) -> str:
    """The replacement of one character outside the set (rules 3-6 of the module doc)."""
    category = unicodedata.category(char)
    if category in ("Cc", "Zs", "Zl", "Zp"):
        return " "
    if category == "Cf":
        return ""
    if char in _TRANSLITERATION:
        return _TRANSLITERATION[char]
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    if stripped and all(c in ALLOWED for c in stripped):
        return stripped
    return "?"


class _Replacements(dict):
    """The ``str.translate`` table of the cleaning: a character of the set maps to itself,
    any other to its replacement, worked out on first sight and kept (up to 4,096 kept, so
    a hostile text of many distinct characters cannot grow it without bound)."""

    def __missing__(self, code: int) -> str:
        replacement = _replace(chr(code))
        if len(self) < 4096 + len(ALLOWED):
            self[code] = replacement
        return replacement


_TABLE = _Replacements({ord(c): c for c in ALLOWED})


def clean_text(value: str, *, max_len: int, field: str) -> str:
    """``value`` reduced to the bank-accepted set; raises if it is longer than ``max_len``.

    May return ``""`` (e.g. a name of control characters only): the caller decides whether
    the element is then left out or the input refused.
    """
    if not isinstance(value, str):
        raise Pain001Error(
            "PAIN001_INVALID_INPUT", f"expected text, got {type(value).__name__}", field
        )
    if len(value) > max_len:
        raise Pain001Error(
            "PAIN001_INVALID_INPUT",
            f"text is {len(value)} characters long, at most {max_len} are allowed",
            field,
        )
    if CLEAN.fullmatch(value):
        return value  # the common case: nothing to do
    value = unicodedata.normalize("NFC", value)
    cleaned = value.translate(_TABLE)
    cleaned = _SPACES.sub(" ", cleaned).strip()
    return cleaned[:max_len].rstrip()


def check_identifier(value: str, *, field: str, max_len: int = 35) -> str:
    """``value`` unchanged if it is a valid identifier (see the module doc), else an error."""
    if isinstance(value, str) and len(value) <= max_len and IDENTIFIER.fullmatch(value):
        return value
    raise Pain001Error(
        "PAIN001_INVALID_INPUT",
        f"{value!r} is not a valid identifier: 1-{max_len} characters of "
        "A-Z a-z 0-9 / - ? : ( ) . , ' + (no space, no national letters), "
        "not starting or ending with '/', without '//'",
        field,
    )
