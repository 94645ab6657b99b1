"""Reading the audit log in the web UI (real headless Chromium): the admin's page, who
looked at a person, and who recorded an incident."""

from __future__ import annotations

import uuid

import pytest
from operation_setup import ok
from playwright.sync_api import Page, expect
from sqlalchemy import text
from web_server import Site, open_operation, register, sign_in

pytestmark = pytest.mark.browser


def test_the_admin_reads_the_log_filters_it_and_sees_a_broken_chain(page: Page,
                                                                     site: Site) -> None:
    open_operation(site, illustrative=True)
    people = register(site, "F-1", "Haddad", ["Mariam", "Yusuf"])
    ok(site.api("tracing_officer").get(f"/api/persons/{people['Mariam']}"))
    ok(site.api("coordinator").get("/api/persons"))

    sign_in(page, "coordinator")
    expect(page.locator("nav a[href='/admin/audit']")).to_have_count(0)
    response = page.goto("/admin/audit")
    assert response is not None and response.status == 403
    page.goto("/persons/" + people["Yusuf"] + "/reads")
    expect(page.locator("h1 [data-person]")).to_have_text("Yusuf Haddad")
    expect(page.locator("[data-read-action]")).to_have_text(["list persons"])
    page.context.clear_cookies()

    sign_in(page, "admin")
    page.click("nav a[href='/admin/audit']")
    expect(page.locator("[data-chain=intact]")).to_be_visible()
    expect(page.locator("[data-read]")).to_have_count(3)  # the coordinator asking, too
    page.fill("#user", "tracing-officer")
    page.click("[data-audit-filter] button[type=submit]")
    expect(page.locator("[data-read-user]")).to_have_text(["tracing-officer"])
    page.fill("#user", "")
    page.fill("#person", people["Mariam"])
    page.click("[data-audit-filter] button[type=submit]")
    expect(page.locator("[data-read-action]")).to_have_text(["list persons", "view person"])

    with site.engine.begin() as conn:  # someone hides who looked at Mariam
        conn.execute(text("UPDATE audit_log SET username = 'nobody' "
                          "WHERE action = 'view person'"))
    page.goto("/admin/audit?lang=ar")
    broken = page.locator("[data-chain=broken]")
    expect(broken).to_contain_text("مكسورة")
    expect(broken).to_contain_text("audit row 1 does not match")


def test_the_incident_log_shows_the_pushing_account_and_flags_a_forged_author(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=True)
    forged = {"id": str(uuid.uuid4()), "type": "IncidentReported", "device_id": "phone-9",
              "author": "coordinator", "recorded_at": "2016-12-14T09:00:00+00:00",
              "payload": {"incident_id": "i-forged", "type": "shooting",
                          "occurred_at": "2016-12-14T08:30:00+00:00", "reported_by": "driver"}}
    ok(site.api("checkpoint_monitor").post("/api/sync/push", json={"events": [forged]}))
    ok(site.api("reception").post("/api/incidents", json={
        "incident_id": "i-honest", "type": "medical", "occurred_at": "2016-12-15T10:00:00Z",
        "reported_by": "nurse"}), 201)

    sign_in(page, "coordinator")
    page.goto("/incidents")
    row = page.locator("[data-incident=i-forged]")
    expect(row.locator("[data-recorder]")).to_have_text("checkpoint-monitor")
    expect(row.locator("[data-recorder-mismatch]")).to_contain_text("coordinator")
    honest = page.locator("[data-incident=i-honest]")
    expect(honest.locator("[data-recorder]")).to_have_text("reception")
    expect(honest.locator("[data-recorder-mismatch]")).to_have_count(0)
