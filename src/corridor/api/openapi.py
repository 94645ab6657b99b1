"""The OpenAPI document, with every error a route can answer declared as a Problem.

FastAPI declares a success and a 422 in its own shape; Corridor answers every error
as RFC 9457 problem+json (problems.py). The codes each operation can give are
derived here, in one function run over the app's routes, from what the route
depends on, its parameters and its method — so a route added or rewritten is
described correctly without touching its decorator:

- 401: it needs a principal (a bearer token or the session cookie);
- 403: a dependency on top of the principal can refuse a role, and a write with the
  session cookie needs its CSRF proof (csrf.py);
- 404: a read of one record named in the path;
- 409: a command the record can refuse: every write a principal makes, but those
  in `NOT_COMMANDS`;
- 400, 413: a write's body cannot be read or is over the size limit; 415: a cookie
  write's body is not JSON;
- 422: it takes parameters or a body;
- 429 and the rest of what the tree cannot show: `EXTRA`, by method and path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from corridor.api.context import current_principal
from corridor.api.problems import MEDIA_TYPE

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Writes that decide nothing on the record: a push answers a receipt per event, and a
# search is a read sent as a POST (its query holds names, kept out of URLs and logs).
NOT_COMMANDS = frozenset({"/api/sync/push", "/api/tracing/search"})
# Answers no dependency shows: a wrong password or a token that cannot be signed out,
# the limits on every way of getting named candidates and on signing in
# (services/limits.py), and too many passwords being checked at once
# (access.HashingBusy).
EXTRA: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/auth/token"): {401, 429, 503},
    ("DELETE", "/api/auth/token"): {401},
    ("POST", "/api/tracing/search"): {429},
    ("POST", "/api/tracing/requests"): {429},
    ("GET", "/api/tracing/requests/{request_id}"): {429},
}
TITLES = {400: "The body could not be read: not JSON, or cut off",
          401: "Not signed in, or the token is unknown, expired or revoked",
          403: "Not allowed for this role, or a cookie write without its CSRF token",
          404: "Not found", 409: "Refused by the record", 413: "Request too large",
          415: "The body must be JSON", 422: "Invalid request: the field is named",
          429: "Too many requests: see Retry-After",
          503: "Too many passwords being checked at once: see Retry-After"}
PROBLEM = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details naming the field that was wrong.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the field that was wrong, if one was"},
        "errors": {"type": "array", "description": "every invalid field (422)", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def _calls(dependant: Dependant) -> Iterator[tuple[Callable[..., Any] | None, Dependant]]:
    for sub in dependant.dependencies:
        yield sub.call, sub
        yield from _calls(sub)


def _needs_principal(dependant: Dependant) -> bool:
    return any(call is current_principal for call, _ in _calls(dependant))


def codes(path: str, method: str, dependant: Dependant) -> set[int]:
    """The error statuses this operation can answer."""
    found = set(EXTRA.get((method, path), ()))
    unsafe = method in UNSAFE
    principal = _needs_principal(dependant)
    if principal:
        found.add(401)
        role_checked = any(call is not current_principal and _needs_principal(sub)
                           for call, sub in _calls(dependant))
        if role_checked or unsafe:
            found.add(403)
        if unsafe:
            found.add(415)
    if method == "GET" and dependant.path_params:
        found.add(404)
    if unsafe and principal and path not in NOT_COMMANDS:
        found.add(409)
    if unsafe:
        found |= {400, 413, 422}
    if dependant.path_params or dependant.query_params or dependant.body_params:
        found.add(422)
    return found


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document (made once), errors declared as Problem."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    for route in iter_route_contexts(app.routes):  # included routers' routes too
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path = route.path_format or ""
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own shape, which we never send
            for status in sorted(codes(path, method, route.dependant)):
                responses[str(status)] = {"description": TITLES[status], "content": {
                    MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = PROBLEM
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
