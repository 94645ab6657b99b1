"""The API's own protection: CSRF proof for cookie writes, headers, cookies, the
documentation, errors declared in the OpenAPI document, and the review's 5xx."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from operation_setup import ok, register, set_up
from pydantic import BaseModel
from sqlalchemy import func, select
from web_server import PASSWORD, Site, sign_in

from corridor.headers import HEADERS
from corridor.server import create_app
from corridor.services.access import add_user
from corridor.services.ledger import fact_of
from corridor.storage.schema import events, households

PUSH = {"events": []}


def signed_in(app, engine, role: str = "coordinator", **client: object) -> tuple[TestClient, str]:
    """A browser-like client signed in to the web UI, and its session's CSRF token."""
    add_user(engine, "web-" + role, role, PASSWORD)
    browser = TestClient(app, raise_server_exceptions=False, **client)  # type: ignore[arg-type]
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
    answer = browser.post("/login", data={"username": "web-" + role, "password": PASSWORD,
                                          "csrf": token}, follow_redirects=False)
    assert answer.status_code == 303
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/").text).group(1)
    return browser, token


def event_count(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


# --- CSRF ---------------------------------------------------------------------------------


def test_a_cookie_write_needs_the_csrf_token_and_a_json_body(app, engine) -> None:
    browser, token = signed_in(app, engine)
    # The review's case: the session cookie and a text/plain body, as a form could send.
    forged = browser.post("/api/sync/push", content=b'{"events": []}',
                          headers={"Content-Type": "text/plain"})
    assert forged.status_code == 403
    assert forged.headers["content-type"] == "application/problem+json"
    assert forged.json()["field"] == "X-CSRF-Token"
    wrong = browser.post("/api/operation", json={"name": "X"}, headers={"X-CSRF-Token": "no"})
    assert wrong.status_code == 403
    plain = browser.post("/api/sync/push", content=b'{"events": []}',
                         headers={"Content-Type": "text/plain", "X-CSRF-Token": token})
    assert plain.status_code == 415 and plain.json()["field"] == "Content-Type"
    assert event_count(engine) == 0
    # With the proof, the session may write; reads never needed it.
    ok(browser.post("/api/operation", json={"name": "Test"}, headers={"X-CSRF-Token": token}),
       201)
    ok(browser.get("/api/operation"))
    assert event_count(engine) == 1


def test_bearer_token_requests_need_no_csrf_token(api) -> None:
    coordinator = api.as_("coordinator")
    ok(coordinator.post("/api/operation", json={"name": "Test"}), 201)
    ok(coordinator.post("/api/sync/push", json=PUSH))


# --- headers and cookies --------------------------------------------------------------------


def test_api_answers_and_pages_carry_the_same_security_headers(api, app, engine) -> None:
    coordinator = api.as_("coordinator")
    set_up(coordinator)
    too_large = coordinator.post("/api/sync/push", content=b"x",
                                 headers={"Content-Length": str(9 * 2**20)})
    assert too_large.status_code == 413
    for response in (coordinator.get("/api/persons"), coordinator.get("/api/nothing-here"),
                     coordinator.post("/api/households", json={}), too_large,
                     TestClient(app).get("/login")):
        for name, value in HEADERS.items():
            assert response.headers[name] == value, (response.url, name)


def test_an_unexpected_failure_carries_the_headers_too(engine) -> None:
    app = create_app(engine, secret="test-secret")

    @app.get("/api/fails")
    @app.get("/fails")
    def fails() -> None:
        raise RuntimeError("a fault in our code")

    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/api/fails", "/fails"):
        answer = client.get(path)
        assert answer.status_code == 500 and "a fault" not in answer.text
        assert all(answer.headers[name] == value for name, value in HEADERS.items()), path


@pytest.mark.parametrize(("setting", "scheme", "secure"), [
    ("auto", "http", False), ("auto", "https", True), ("on", "http", True),
    ("off", "https", False)])
def test_the_session_cookie_is_secure_as_configured(engine, monkeypatch, setting: str,
                                                    scheme: str, secure: bool) -> None:
    monkeypatch.setenv("CORRIDOR_SECURE_COOKIES", setting)
    app = create_app(engine, secret="test-secret")
    browser = TestClient(app, base_url=f"{scheme}://testserver")
    response = browser.get("/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("session=")
    assert ("; Secure" in cookie) is secure


def test_behind_an_https_proxy_on_this_host_the_cookie_is_secure(site: Site) -> None:
    # uvicorn, as `corridor serve` runs it, takes the scheme from a proxy on 127.0.0.1.
    plain = httpx.get(site.url + "/login")
    proxied = httpx.get(site.url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" not in plain.headers["set-cookie"]
    assert "; Secure" in proxied.headers["set-cookie"]


def test_a_wrong_secure_cookie_setting_is_refused(engine, monkeypatch) -> None:
    monkeypatch.setenv("CORRIDOR_SECURE_COOKIES", "sometimes")
    with pytest.raises(ValueError, match="auto, on or off"):
        create_app(engine, secret="test-secret")


# --- documentation ------------------------------------------------------------------------


def test_the_documentation_is_for_signed_in_users_unless_opened(api, app, engine,
                                                                monkeypatch) -> None:
    anonymous = TestClient(app, raise_server_exceptions=False)
    assert anonymous.get("/openapi.json").status_code == 401
    docs = anonymous.get("/docs", follow_redirects=False)
    assert docs.status_code == 303 and docs.headers["location"] == "/login"
    assert anonymous.get("/redoc").status_code == 404
    partner = api.as_("partner")
    assert ok(partner.get("/openapi.json"))["info"]["title"] == "Corridor"
    page = partner.get("/docs")
    assert page.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text and "https://" not in page.text
    assert "style-src 'self' 'unsafe-inline'" in page.headers["content-security-policy"]
    bundle = anonymous.get("/docs/assets/swagger-ui-bundle.js")  # a library, no one's data
    assert bundle.status_code == 200 and bundle.headers["cache-control"] == "public, max-age=86400"
    browser, _ = signed_in(app, engine)
    assert browser.get("/openapi.json").status_code == 200
    monkeypatch.setenv("CORRIDOR_PUBLIC_DOCS", "1")
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/docs").status_code == 200


@pytest.mark.browser
def test_docs_render_from_packaged_files_with_nothing_fetched_elsewhere(browser,
                                                                        site: Site) -> None:
    context = browser.new_context(base_url=site.url)
    elsewhere: list[str] = []

    def only_here(route) -> None:  # the network is off for anything not this server
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "coordinator")
    page.goto("/docs")
    page.wait_for_selector(".opblock-tag", timeout=15_000)
    assert page.locator(".opblock").count() >= 40
    assert page.get_by_text("/api/sync/push").count() >= 1
    assert elsewhere == [] and errors == []
    context.close()


# --- the OpenAPI document ------------------------------------------------------------------


def test_every_error_an_operation_can_give_is_declared_as_a_problem(app) -> None:
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
            assert errors, (method, path)
            for response in errors.values():
                assert response["content"] == {
                    "application/problem+json": {"schema": problem}}, (method, path)
    paths = document["paths"]
    assert set(paths["/api/households"]["post"]["responses"]) == {
        "201", "400", "401", "403", "409", "413", "415", "422"}
    assert set(paths["/api/persons/{person_id}"]["get"]["responses"]) == {
        "200", "401", "403", "404", "422"}
    assert set(paths["/api/tracing/search"]["post"]["responses"]) >= {"429"}
    assert set(paths["/api/operation"]["get"]["responses"]) == {"200", "401", "422"}  # as_of


def test_every_input_model_refuses_unknown_fields(app) -> None:
    def models(model: type[BaseModel]):
        yield model
        for field in model.model_fields.values():
            for inner in getattr(field.annotation, "__args__", ()) + (field.annotation,):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    yield from models(inner)

    checked = set()
    for route in iter_route_contexts(app.routes):
        for body in getattr(route, "dependant", None) and route.dependant.body_params or ():
            for model in models(body.field_info.annotation):
                assert model.model_config.get("extra") == "forbid", model
                checked.add(model)
    assert len(checked) >= 20


def test_an_unknown_field_is_refused_naming_it(api) -> None:
    coordinator = api.as_("coordinator")
    answer = coordinator.post("/api/operation", json={"name": "Test", "colour": "red"})
    assert answer.status_code == 422 and answer.json()["field"] == "colour"
    answer = coordinator.post("/api/sync/push", json={"events": [], "since": 3})
    assert answer.status_code == 422 and answer.json()["field"] == "since"


# --- the review's 5xx and the household that answered 201 -----------------------------------


def test_the_reviews_server_errors_are_clear_refusals(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    set_up(coordinator)
    member = {"given_name": "Huda"}
    for wrong, field in (({"birth_year": 1800}, "members.0.birth_year"),
                         ({"age": 300}, "members.0.age"),
                         ({"needs": ["wings"]}, "members.0.needs.0"),
                         ({"sex": "x"}, "members.0.sex")):
        answer = registrar.post("/api/households", json={
            "gathering_point_id": "gp", "members": [member | wrong]})
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    answer = coordinator.post("/api/alerts/a1/resolution", json={"note": " "})
    assert answer.status_code == 422 and answer.json()["field"] == "note"
    # The whole-ledger pull is the administrator's (docs/protection.md).
    for client, path, name in ((coordinator, "/api/persons", "offset"),
                               (api.as_("admin"), "/api/sync/pull", "since")):
        answer = client.get(path, params={name: 2**63})
        assert answer.status_code == 422 and answer.json()["field"] == name
        ok(client.get(path, params={name: 2**63 - 1}))


def test_a_household_with_a_known_person_id_is_refused_whole(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    set_up(coordinator)
    person_id = register(registrar, 1)[0]
    before = event_count(api.engine)
    for members, field in (
            ([{"given_name": "New"}, {"person_id": person_id, "given_name": "Again"}],
             "members.1.person_id"),
            ([{"person_id": "p9", "given_name": "A"}, {"person_id": "p9", "given_name": "B"}],
             "members.1.person_id")):
        answer = registrar.post("/api/households", json={
            "household_id": "h-new", "gathering_point_id": "gp", "members": members})
        assert answer.status_code == 409, answer.text
        assert answer.json()["field"] == field
        assert person_id in answer.json()["detail"] or "p9" in answer.json()["detail"]
    assert event_count(api.engine) == before
    with api.engine.connect() as conn:
        assert conn.execute(select(households.c.household_id)
                            .where(households.c.household_id == "h-new")).first() is None
    register(registrar, 1, token="F-1")
    answer = registrar.post("/api/households", json={
        "gathering_point_id": "gp", "token": "F-1", "members": [{"given_name": "X"}]})
    assert answer.status_code == 409 and answer.json()["field"] == "token"


def test_bidirectional_controls_in_a_name_are_refused_everywhere(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    set_up(coordinator)
    for control in ("\u202e", "\u2067", "\u200f"):
        answer = registrar.post("/api/households", json={
            "gathering_point_id": "gp", "members": [{"given_name": f"Huda{control}niam"}]})
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "members.0.given_name"
        assert f"U+{ord(control):04X}" in answer.json()["detail"]
    pushed = ok(registrar.post("/api/sync/push", json={"events": [{
        "id": "6f1c2f7e-8a36-4bb4-9d5e-0c7b6a3f9e10", "type": "HouseholdRegistered",
        "device_id": "phone-1", "author": "registrar", "recorded_at": "2016-12-15T10:00:00Z",
        "payload": {"household_id": "h1", "gathering_point_id": "gp", "members": [
            {"person_id": "p1", "given_name": "\u202eadbA"}]}}]}))
    receipt = pushed["receipts"][0]
    assert receipt["status"] == "rejected"
    assert receipt["reason"].startswith("payload.members.0.given_name:")
    # A name stored before the rule is still read back: the fold loses nobody.
    stored = fact_of((1, "6f1c2f7e-8a36-4bb4-9d5e-0c7b6a3f9e11", "HouseholdRegistered",
                      '{"household_id":"h0","gathering_point_id":"gp","members":[{"person_id":'
                      '"p0","given_name":"\u202eadbA"}]}', "2016-12-15T10:00:00+00:00", "a", "d",
                      "a"))
    assert stored.payload.members[0].given_name == "\u202eadbA"
    # Arabic and a note mixing scripts are untouched.
    register_arabic = registrar.post("/api/households", json={
        "gathering_point_id": "gp", "members": [{"given_name": "هدى", "family_name": "حداد"}]})
    assert register_arabic.status_code == 201


def test_the_web_form_says_why_a_name_with_a_direction_mark_is_refused(api, app,
                                                                       engine) -> None:
    set_up(api.as_("coordinator"))
    browser, token = signed_in(app, engine, "registrar")
    answer = browser.post("/register", data={
        "csrf": token, "rows": "1", "gathering_point_id": "gp",
        "m0.given_name": "Huda\u202e", "m0.sex": "female"})
    assert answer.status_code == 422
    assert "invisible direction marks" in answer.text
    assert event_count(engine) == 8  # the set-up only
