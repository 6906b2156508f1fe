"""Stable reason and validation codes: the contract callers and tests branch on.

A code never changes meaning once published; messages may be reworded at will. ``CODES``
maps each code to a one-line description (used by documentation and ``rules explain``).
"""

from __future__ import annotations

# -- sick pay (sygedagpengeloven) ---------------------------------------------------------
RULE_SICK_EMPLOYMENT = "RULE_SICK_EMPLOYMENT"
RULE_SICK_EMPLOYER_PERIOD = "RULE_SICK_EMPLOYER_PERIOD"
RULE_SICK_LATE = "RULE_SICK_LATE"
RULE_SICK_NO_PAYABLE_DAYS = "RULE_SICK_NO_PAYABLE_DAYS"
RULE_SICK_PARTIAL_MIN = "RULE_SICK_PARTIAL_MIN"
RULE_SICK_22_WEEKS = "RULE_SICK_22_WEEKS"
# -- maternity pay (barselsloven) ---------------------------------------------------------
RULE_MAT_OLD_SCHEME = "RULE_MAT_OLD_SCHEME"
RULE_MAT_EMPLOYMENT = "RULE_MAT_EMPLOYMENT"
RULE_MAT_OUTSIDE_WINDOW = "RULE_MAT_OUTSIDE_WINDOW"
RULE_MAT_ENTITLEMENT_USED = "RULE_MAT_ENTITLEMENT_USED"
RULE_MAT_TRANSFER_LIMIT = "RULE_MAT_TRANSFER_LIMIT"
RULE_MAT_LATE = "RULE_MAT_LATE"
RULE_MAT_PARTIAL_MIN = "RULE_MAT_PARTIAL_MIN"
RULE_MAT_NO_PAYABLE_DAYS = "RULE_MAT_NO_PAYABLE_DAYS"
RULE_MAT_SALARY_CAP = "RULE_MAT_SALARY_CAP"
# -- both ---------------------------------------------------------------------------------
RULE_DAYS_ALREADY_GRANTED = "RULE_DAYS_ALREADY_GRANTED"
RULE_PARAM_MISSING = "RULE_PARAM_MISSING"
# -- parameter files ----------------------------------------------------------------------
RULE_PARAM_CONFLICT = "RULE_PARAM_CONFLICT"
RULE_PARAM_FILE_INVALID = "RULE_PARAM_FILE_INVALID"
RULE_PARAM_DIR_MISSING = "RULE_PARAM_DIR_MISSING"
RULE_PARAM_UNKNOWN = "RULE_PARAM_UNKNOWN"
# -- claim validation ---------------------------------------------------------------------
CLAIM_NOT_AN_OBJECT = "CLAIM_NOT_AN_OBJECT"
CLAIM_FIELD_UNKNOWN = "CLAIM_FIELD_UNKNOWN"
CLAIM_FIELD_MISSING = "CLAIM_FIELD_MISSING"
CLAIM_FIELD_TYPE = "CLAIM_FIELD_TYPE"
CLAIM_FIELD_RANGE = "CLAIM_FIELD_RANGE"
CLAIM_FIELD_CHOICE = "CLAIM_FIELD_CHOICE"
CLAIM_FIELD_NOT_APPLICABLE = "CLAIM_FIELD_NOT_APPLICABLE"
CLAIM_FIELD_NOT_ALLOWED = "CLAIM_FIELD_NOT_ALLOWED"
CLAIM_DATES_REVERSED = "CLAIM_DATES_REVERSED"
CLAIM_PERIOD_TOO_LONG = "CLAIM_PERIOD_TOO_LONG"
CLAIM_EMPLOYMENT_AFTER_ABSENCE = "CLAIM_EMPLOYMENT_AFTER_ABSENCE"
CLAIM_MONTHLY_HOURS_LENGTH = "CLAIM_MONTHLY_HOURS_LENGTH"
CLAIM_SALARY_AMOUNT_WITHOUT_SALARY = "CLAIM_SALARY_AMOUNT_WITHOUT_SALARY"
ID_CPR_INVALID = "ID_CPR_INVALID"
ID_CVR_INVALID = "ID_CVR_INVALID"
# -- claim files ----------------------------------------------------------------------------
CLAIM_FILE_MALFORMED = "CLAIM_FILE_MALFORMED"
CLAIM_FILE_ENCODING = "CLAIM_FILE_ENCODING"
CLAIM_FILE_FORMAT = "CLAIM_FILE_FORMAT"
CLAIM_FILE_EMPTY = "CLAIM_FILE_EMPTY"
CLAIM_FILE_MISSING_COLUMN = "CLAIM_FILE_MISSING_COLUMN"
CLAIM_FILE_UNKNOWN_COLUMN = "CLAIM_FILE_UNKNOWN_COLUMN"
CLAIM_FILE_DUPLICATE_COLUMN = "CLAIM_FILE_DUPLICATE_COLUMN"
CLAIM_FILE_UNREADABLE = "CLAIM_FILE_UNREADABLE"

CODES: dict[str, str] = {
    RULE_SICK_EMPLOYMENT: "employment requirement towards the municipality not met (§ 32)",
    RULE_SICK_EMPLOYER_PERIOD: "the whole absence lies within the employer period (§ 30)",
    RULE_SICK_LATE: "claim submitted after the § 59 deadline; only days from submission paid",
    RULE_SICK_NO_PAYABLE_DAYS: "no weekday outside public holidays left to reimburse",
    RULE_SICK_PARTIAL_MIN: "partial absence below 4 hours a week or above the normal hours",
    RULE_SICK_22_WEEKS: "more than 22 weeks in 9 months: payment stops, reassessment required",
    RULE_MAT_OLD_SCHEME: "child born before 2 August 2022: older scheme, out of scope",
    RULE_MAT_EMPLOYMENT: "employment requirement not met (barselsloven § 27)",
    RULE_MAT_OUTSIDE_WINDOW: "days outside this parent's entitled window are not paid",
    RULE_MAT_ENTITLEMENT_USED: "days beyond this parent's entitlement are not paid",
    RULE_MAT_TRANSFER_LIMIT: "more weeks transferred than the transferable weeks",
    RULE_MAT_LATE: "claim submitted more than 8 weeks after the leave ended: period lost",
    RULE_MAT_PARTIAL_MIN: "partial absence below 4 hours a week or above the normal hours",
    RULE_MAT_NO_PAYABLE_DAYS: "no benefit day (Monday-Friday) in the claimed period",
    RULE_MAT_SALARY_CAP: "reimbursement capped at the salary paid",
    RULE_DAYS_ALREADY_GRANTED: "days already granted to this employer by an earlier claim",
    RULE_PARAM_MISSING: "a legal parameter has no value in force on a day of the claim",
    RULE_PARAM_CONFLICT: "two parameter files give different values for the same period",
    RULE_PARAM_FILE_INVALID: "a parameter file cannot be read",
    RULE_PARAM_DIR_MISSING: "the parameter override directory does not exist",
    RULE_PARAM_UNKNOWN: "no such parameter",
    CLAIM_NOT_AN_OBJECT: "a claim must be a JSON object (or a CSV row)",
    CLAIM_FIELD_UNKNOWN: "a field the claim format does not define",
    CLAIM_FIELD_MISSING: "a required field is missing",
    CLAIM_FIELD_TYPE: "a field has the wrong type",
    CLAIM_FIELD_RANGE: "a value is out of its allowed range",
    CLAIM_FIELD_CHOICE: "a value is not one of the allowed choices",
    CLAIM_FIELD_NOT_APPLICABLE: "a field of the other kind of claim",
    CLAIM_FIELD_NOT_ALLOWED: "a field the receiver sets itself (submitted_on at intake)",
    CLAIM_DATES_REVERSED: "last_absence_day is before first_absence_day",
    CLAIM_PERIOD_TOO_LONG: "the claimed period is longer than two years",
    CLAIM_EMPLOYMENT_AFTER_ABSENCE: "employment_start is after first_absence_day",
    CLAIM_MONTHLY_HOURS_LENGTH: "monthly_hours has the wrong number of months",
    CLAIM_SALARY_AMOUNT_WITHOUT_SALARY: "salary_paid_amount given while salary_paid is false",
    ID_CPR_INVALID: "not a valid CPR number",
    ID_CVR_INVALID: "not a valid CVR number",
    CLAIM_FILE_MALFORMED: "a record of the claim file is not valid JSON / CSV",
    CLAIM_FILE_ENCODING: "the claim file is not UTF-8",
    CLAIM_FILE_FORMAT: "the claim file is neither JSON, NDJSON nor CSV",
    CLAIM_FILE_EMPTY: "the claim file is empty",
    CLAIM_FILE_MISSING_COLUMN: "a required CSV column is missing",
    CLAIM_FILE_UNKNOWN_COLUMN: "a CSV column the claim format does not define",
    CLAIM_FILE_DUPLICATE_COLUMN: "a CSV column appears twice",
    CLAIM_FILE_UNREADABLE: "the claim file cannot be opened",
}
