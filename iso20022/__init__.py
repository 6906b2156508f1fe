"""ISO 20022 for Danish benefit payments: a pure library, plain data in, files out.

* :mod:`iso20022.pain001` — streaming writer of credit transfer files (001.001.03, .09),
  with its input types (``pain001_types``), value checks (``pain001_checks``) and headers
  (``pain001_headers``)
* :mod:`iso20022.bank_answer` — :func:`read_bank_answer`: a pain.002 / camt.054 opened
  once, validated against its shipped XSD (a version without one is refused), then read
* :mod:`iso20022.pain002` — streaming reader of payment status reports (.03, .08, .10, .12)
  at every level: group, payment information, transaction (``pain002_types``,
  ``pain002_stream``)
* :mod:`iso20022.camt054` — streaming reader of returned credits and booked debits
  (camt.054 .02, .04, .08; ``camt054_types``, ``camt054_stream``)
* :mod:`iso20022.validate` — validation against the shipped official XSDs
* :mod:`iso20022.xml` — the hardened parsing every reader uses (regular files only)
* :mod:`iso20022.text` — the characters banks accept
* :mod:`iso20022.output` — files written complete or not at all, mode 0600
* :mod:`iso20022.errors` — the one exception hierarchy, with stable codes (``CODES``)
* :mod:`iso20022.pain002_writer` — plays the bank in the demo and tests (not used by the
  engine itself)

The package imports nothing of the engine (no database, no clock, no printing), so other
agencies can reuse it. ``iso20022.validate(path)`` is the validation function itself; the
module of the same name is reached with ``from iso20022.validate import ...``.
"""

from iso20022.bank_answer import BankAnswer, read_bank_answer
from iso20022.errors import CODES, Iso20022Error, Pain001Error, Pain002Error, XmlInputError
from iso20022.validate import ValidationIssue, ValidationResult, validate

__all__ = [
    "CODES",
    "BankAnswer",
    "Iso20022Error",
    "Pain001Error",
    "Pain002Error",
    "ValidationIssue",
    "ValidationResult",
    "XmlInputError",
    "read_bank_answer",
    "validate",
]
