"""Every stable code the application layer raises or reports, with one line each.

Callers (the CLI's exit codes, the API's problems, tests) branch on these codes, never on
message text; a code never changes meaning once published. ``tests/payments/test_codes.py``
fails when the code raises a code that is not listed here, or this lists one nothing
raises. The other catalogues: :data:`identifiers.CODES` (``ID_*``), :data:`rules.codes.CODES`
(``RULE_*``, ``CLAIM_*`` of validation and claim files), :data:`iso20022.errors.CODES`
(``XML_*``, ``PAIN001_*``). Hold reasons are :class:`payments.statuses.HoldReason`.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    # -- the NemKonto registry ---------------------------------------------------------------
    "ACCOUNT_ACTIVATION_CODE_WRONG": "the activation code is wrong (an attempt is counted)",
    "ACCOUNT_ACTIVATION_FOUR_EYES": "who registered the account or exported its letter cannot "
    "activate it (unless the owner registered it)",
    "ACCOUNT_ACTIVATION_LOCKED": "five wrong codes locked the request: register again",
    "ACCOUNT_BY_OWNER_CHANNEL": "only a citizen self-service registration is made by the owner",
    "ACCOUNT_CHANNEL_INVALID": "a channel is bank, citizen or authority",
    "ACCOUNT_CHANNEL_NOT_ALLOWED": "a company registers its NemKonto through its bank only",
    "ACCOUNT_CLOSE_MISMATCH": "a bank file closes an account that is not the owner's current",
    "ACCOUNT_CLOSE_REASON_INVALID": "the close reason does not apply to this kind of owner",
    "ACCOUNT_DATE_CONFLICT": "the change would start before the owner's history ends",
    "ACCOUNT_FORM_INVALID": "an account is an IBAN (+ BIC) or a reg. no. with an account no.",
    "ACCOUNT_MIN_OWNERS_INVALID": "the shared-account report needs at least 2 owners",
    "ACCOUNT_NONE_TO_CLOSE": "the owner has no NemKonto to close",
    "ACCOUNT_NOT_FOUND": "the owner has no NemKonto in force on the day asked",
    "ACCOUNT_NO_PENDING": "no registration waits for activation",
    "ACCOUNT_REGISTRATION_NOT_FOUND": "no registration with that id",
    "ACTOR_INVALID": "who does this must be a name of 1-100 printable characters",
    "IMPORT_ACTION_INVALID": "a bank file row's action is register or close",
    "IMPORT_COLUMNS_DUPLICATE": "a bank file column appears twice",
    "IMPORT_COLUMNS_MISSING": "a bank file lacks a required column",
    "IMPORT_COLUMNS_UNKNOWN": "a bank file has a column the format does not define",
    "IMPORT_CSV_INVALID": "the bank file is not valid CSV",
    "IMPORT_DATE_INVALID": "effective_date is not a date from 1900-01-01 to 2099-12-31",
    "IMPORT_DUPLICATE_ROW": "the same row stands twice in one bank file",
    "IMPORT_EMPTY": "the bank file has no header line",
    "IMPORT_ENCODING": "the bank file is not UTF-8",
    "IMPORT_FILE_UNREADABLE": "the bank file cannot be read",
    "IMPORT_REJECTS_UNWRITABLE": "the rejects file beside the bank file cannot be written",
    "IMPORT_ROW_FIELDS": "a bank file row has another number of fields than the header",
    # -- claims ----------------------------------------------------------------------------
    "CLAIM_CONFLICT": "the claim conflicts with one stored at the same moment: send it again",
    "CLAIM_CORRECTION_UNKNOWN_REF": "a correction names a reference never claimed",
    "CLAIM_DUPLICATE_REF": "the reference was used for another claim (send a correction)",
    "CLAIM_NOT_FOUND": "the employer has no claim with that reference",
    "CLAIM_NOT_STORABLE": "the database refused a value of the claim; nothing was stored",
    "CLAIM_OVERLAP": "the sickness absence overlaps another claim of the same employee",
    # -- the nightly batch -------------------------------------------------------------------
    "BATCH_ALREADY_RELEASED": "the batch is released already",
    "BATCH_FILE_ORDER": "the batch's transactions came out of file order (a bug: nothing kept)",
    "BATCH_FILE_TAMPERED": "a pain.001 file does not match its recorded SHA-256",
    "BATCH_FOUR_EYES": "the actor who ran the batch (any spelling) cannot approve it",
    "BATCH_IN_OUTBOX": "a file of the batch is in the outbox: it cannot be rejected",
    "BATCH_NOT_APPROVED": "only an approved batch can be released",
    "BATCH_NOT_FOUND": "no batch with that id",
    "BATCH_NOT_GENERATED": "only a generated batch can be approved",
    "BATCH_ORDERS_CHANGED": "an order left the batch before release: nothing was released",
    "BATCH_REGENERATION_MISMATCH": "a regenerated file differs from its recorded hash",
    "BATCH_REJECTED": "the batch was rejected",
    "BATCH_REJECT_REASON": "a rejection needs a printable reason without a full CPR",
    "CALENDAR_YEAR_UNKNOWN": "no Danish holiday calendar for that year",
    # -- payment orders and the bank's answers -------------------------------------------------
    "ORDER_NOT_FOUND": "no payment order (or transaction) with that id",
    "ORDER_NOT_IN_REVIEW": "the order is not held for amount review",
    "ORDER_NOT_RETURNED": "only a returned order can be requeued",
    "ORDER_NOT_SENT": "the transaction is not a payment waiting for the bank's answer",
    "ORDER_RETRIED_AUTOMATICALLY": "an account return is paid again by the batch itself",
    "ORDER_REVIEW_FOUR_EYES": "who submitted the claim or ran the batch that held the order "
    "cannot clear its amount review",
    "RETURNS_FILE_INVALID": "the bank's file is not valid against its ISO 20022 schema",
    "RETURNS_WRONG_MESSAGE": "the file is not a pain.002 or camt.054",
    "RETURN_NOT_REPORTED": "no bank report returned that transaction",
    # -- the audit log -------------------------------------------------------------------------
    "AUDIT_ANCHOR_INVALID": "a checkpoint or manifest file is not a head of the audit chain",
    "AUDIT_ANCHOR_MISMATCH": "the chain's event at an anchor's length is not the one it names",
    "AUDIT_ANCHOR_MISSING": "the outbox holds no release manifest to verify against",
    "AUDIT_CHAIN_BROKEN": "a row's link or hash in the audit chain does not hold",
    "AUDIT_TRUNCATED": "the chain has fewer events than an anchor shows it had",
    # -- money, configuration, the database, files -------------------------------------------
    "MONEY_NOT_WHOLE_ORE": "an amount with a fraction of an øre",
    "CONFIG_DATABASE_URL": "the database URL is not sqlite:///… or postgresql+psycopg://…",
    "CONFIG_INVALID": "a setting has an invalid value",
    "DB_MIGRATION_FAILED": "a migration would break a foreign key; nothing was changed",
    "DB_SCHEMA_MISSING": "no database, or no schema in it: run payments db upgrade",
    "DB_SCHEMA_OUTDATED": "the database is not at this release's schema: run payments db upgrade",
    "DB_UNAVAILABLE": "the database cannot be opened or reached",
    "FILE_UNUSABLE": "a file or directory the command needs cannot be used",
    "FILE_UNSAFE": "a link or a foreign file stands where the engine would write: refused",
}
