"""Turning what a form sent into schema fields, and schema errors into messages."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

# Pydantic error types as the message keys a field worker reads.
ERROR_KEYS = {
    "missing": "error.required",
    "string_type": "error.required",  # a blank optional-looking field sent as None
    "string_too_short": "error.required",
    "string_too_long": "error.too_long",
    "too_long": "error.too_many",
    "too_short": "error.required",
    "int_parsing": "error.number",
    "int_from_float": "error.number",
    "greater_than_equal": "error.range",
    "less_than_equal": "error.range",
    "string_pattern_mismatch": "error.format",
    "enum": "error.choice",
    "literal_error": "error.choice",
    "datetime_from_date_parsing": "error.time",
    "datetime_parsing": "error.time",
    "datetime_type": "error.time",
    "timezone_aware": "error.time",
}


def error_key(error: ErrorDetails | dict[str, Any]) -> str:
    return ERROR_KEYS.get(error["type"], "error.invalid")


def text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""
