"""Schemathesis over the whole OpenAPI document: no server error, every answer as declared.

Bounded to a few examples per operation, valid and invalid, so it runs in well under
a minute: as an admin (everything allowed, so requests reach the use cases) and as a
partner (refused almost everywhere, so the refusals are checked too), on an
operation already set up so that ids in paths sometimes exist.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from operation_setup import register, set_up
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 6  # per operation, per role, valid and invalid data together
BUDGET = 120  # seconds for the whole document on one database, on a shared 2-core machine


def answers_as_declared(operation: Any, auth: dict[str, str]) -> None:
    """Call one operation with a few valid and invalid requests, checking each answer."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=auth, checks=CHECKS)

    check()


def test_the_whole_api_answers_as_its_document_says(api) -> None:
    started = time.monotonic()
    admin, partner = api.as_("admin"), api.as_("partner")
    set_up(api.as_("coordinator"))
    register(api.as_("registrar"), 3, token="F-1")
    operations = 0
    for client in (admin, partner):
        auth = {"Authorization": client.headers["Authorization"]}
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.app, headers=auth)
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            try:
                answers_as_declared(operation, auth)
            except Exception as exc:
                pytest.fail(f"{operation.label}: {exc}")
    assert operations >= 2 * 45
    assert time.monotonic() - started < BUDGET
