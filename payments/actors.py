"""Who does something: the one rule for an actor's name, and when two names are one person.

An actor is recorded in the audit log and on the rows it changes, and four eyes compares
actors, so a name that says nothing must never pass: it is 1-100 printable characters
after runs of white space are folded to one space (an empty name differs from every real
one and would slip past a four-eyes check; the columns hold 100 characters), and it holds
no full CPR or account number (names are written to the audit log, in its rows and in the
payloads of four-eyes events). Bad names are ``ACTOR_INVALID`` with the field that carried
it.

Four eyes compares *identities*, not spellings: ``Alice`` approving ``alice``'s batch is one
person. :func:`identity` is the name under Unicode compatibility normalisation (NFKC: a
full-width ``ＡＬＩＣＥ`` is ``ALICE``, the ligature ``ﬁ`` is ``fi``), case-folded (``ß`` is
``ss``) and with white space folded; :func:`same` compares two names by it. The name is
stored and shown as given; its identity is stored beside it where the database checks
four eyes (``batches.created_by_key``, ``account_registrations.actor_key``, …). What it does
not catch: look-alike letters of other scripts (a Cyrillic ``а`` in ``аlice``) and two names
one person uses. Those need identities that are authenticated, not typed.

>>> actor("  alice   smith ")
'alice smith'
>>> identity("ＡＬＩＣＥ"), identity("Al\ufb01e  Smith"), same("Alice", "alice ")
('alice', 'alfie smith', True)
"""

from __future__ import annotations

import unicodedata

from identifiers.privacy import holds_full_number
from payments.errors import InputError

MAX_LENGTH = 100


def identity(name: str) -> str:
    """The person a name stands for, as four eyes compares it (see the module docstring).

    NFKC again after case folding: folding can undo the normal form (U+01F0 ``ǰ`` folds to
    ``j`` + a combining caron), and two names must compare equal whichever form they were
    typed in.
    The keys stored in the database are this function's output: changing it needs a
    revision that recomputes every ``*_key`` column.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def same(a: str | None, b: str | None) -> bool:
    """Whether two actors' names are one identity (a missing name is nobody)."""
    return a is not None and b is not None and identity(a) == identity(b)


def actor(name: object, field: str = "actor") -> str:
    """The name as it will be stored and shown, or ``ACTOR_INVALID``.

    Its :func:`identity` must fit the same 100 characters (compatibility forms can expand:
    one ligature is several letters), since the key columns hold it."""
    folded = " ".join(name.split()) if isinstance(name, str) else ""
    if (
        not folded
        or len(folded) > MAX_LENGTH
        or not folded.isprintable()
        or not 0 < len(identity(folded)) <= MAX_LENGTH
        or holds_full_number(folded)
    ):
        raise InputError(
            "ACTOR_INVALID",
            f"say who does this: a name of 1-{MAX_LENGTH} printable characters, "
            "without a CPR or account number",
            field,
        )
    return folded
