"""Who does something: the one rule for an actor's name, wherever one is given.

An actor is recorded in the audit log and on the rows it changes, and four eyes compares
actors, so a name that says nothing must never pass: it is 1-100 printable characters
after runs of white space are folded to one space (an empty name differs from every real
one and would slip past a four-eyes check; the columns hold 100 characters). Bad names are
``ACTOR_INVALID`` with the field that carried it.

>>> actor("  alice   smith ")
'alice smith'
"""

from __future__ import annotations

from payments.errors import InputError

MAX_LENGTH = 100


def actor(name: object, field: str = "actor") -> str:
    """The name as it will be stored and shown, or ``ACTOR_INVALID``."""
    folded = " ".join(name.split()) if isinstance(name, str) else ""
    if not folded or len(folded) > MAX_LENGTH or not folded.isprintable():
        raise InputError(
            "ACTOR_INVALID",
            f"say who does this: a name of 1-{MAX_LENGTH} printable characters",
            field,
        )
    return folded
