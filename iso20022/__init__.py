"""ISO 20022 for Danish benefit payments: a pure library, plain data in, files out.

* :mod:`iso20022.pain001` — streaming writer of credit transfer files (001.001.03, .09)
* :mod:`iso20022.pain002` — streaming reader of payment status reports (.03, .08, .12, …)
* :mod:`iso20022.camt054` — streaming reader of returned credits (camt.054 .02, .08)
* :mod:`iso20022.validate` — validation against the shipped official XSDs
* :mod:`iso20022.xml` — the hardened parsing every reader uses
* :mod:`iso20022.text` — the characters banks accept
* :mod:`iso20022.errors` — the one exception hierarchy, with stable codes
* :mod:`iso20022.pain002_writer` — plays the bank in the demo and tests (not used by the
  engine itself)

The package imports nothing of the engine (no database, no clock, no printing), so other
agencies can reuse it. ``iso20022.validate(path)`` is the validation function itself; the
module of the same name is reached with ``from iso20022.validate import ...``.
"""

from iso20022.errors import Iso20022Error, Pain001Error, XmlInputError
from iso20022.validate import ValidationIssue, ValidationResult, validate

__all__ = [
    "Iso20022Error",
    "Pain001Error",
    "ValidationIssue",
    "ValidationResult",
    "XmlInputError",
    "validate",
]
