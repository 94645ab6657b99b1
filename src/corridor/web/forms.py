"""Turning what a form sent into schema fields, and schema errors into messages."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from corridor.web.i18n import N_

# Pydantic error types as the message keys a field worker reads.
ERROR_KEYS = {
    "missing": N_("error.required"),
    "string_type": N_("error.required"),  # a blank optional-looking field sent as None
    "string_too_short": N_("error.required"),
    "string_too_long": N_("error.too_long"),
    "too_long": N_("error.too_many"),
    "too_short": N_("error.required"),
    "int_parsing": N_("error.number"),
    "int_from_float": N_("error.number"),
    "float_parsing": N_("error.decimal"),
    "greater_than_equal": N_("error.range"),
    "less_than_equal": N_("error.range"),
    "string_pattern_mismatch": N_("error.format"),
    "enum": N_("error.choice"),
    "literal_error": N_("error.choice"),
    "datetime_from_date_parsing": N_("error.time"),
    "datetime_parsing": N_("error.time"),
    "datetime_type": N_("error.time"),
    "timezone_aware": N_("error.time"),
    "bidi_control": N_("error.bidi"),
}


def error_key(error: ErrorDetails | dict[str, Any]) -> str:
    return ERROR_KEYS.get(error["type"], N_("error.invalid"))


def text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""
