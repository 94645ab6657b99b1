"""Finding people in the web UI, in a real headless Chromium over real HTTP: the search,
tracing requests and the duplicate queue.

Like tests/test_web.py: Debian's /usr/bin/chromium, never a downloaded browser; skipped
where it is missing, unless CORRIDOR_REQUIRE_BROWSER=1 (as CI sets it).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from operation_setup import ok
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select
from web_server import Site, journey, open_operation, sign_in

from corridor.services.limits import Limit
from corridor.storage.schema import audit_log

GREEN, RED = "rgb(27, 94, 32)", "rgb(176, 0, 32)"  # --ok and --alert
browser_test = pytest.mark.browser


def person(given: str, father: str | None, family: str | None, born: int,
           sex: str = "male") -> dict[str, Any]:
    return {"given_name": given, "father_name": father, "family_name": family,
            "birth_year": born, "sex": sex, "consent": True}


def household(site: Site, members: list[dict[str, Any]], token: str | None = None,
              role: str = "registrar") -> list[str]:
    """A household registered through the API by `role`, from that role's own device."""
    body: dict[str, Any] = {"gathering_point_id": "gp", "members": members}
    if token:
        body["token"] = token
    ids: list[str] = ok(site.api(role).post("/api/households", json=body), 201)["person_ids"]
    return ids


def search(page: Page, name: str, reason: str = "mother asking at reception", *,
           father: str = "", born: str = "", tolerance: str = "2", status: int = 200) -> None:
    """Fill the search form and submit it; check the page's HTTP status."""
    if not page.url.endswith("/tracing"):
        page.goto("/tracing")
    page.fill("#name", name)
    page.fill("#father_name", father)
    page.fill("#born", born)
    page.fill("#tolerance", tolerance)
    page.fill("#reason", reason)
    with page.expect_response(lambda r: r.url.endswith("/tracing") and
                              r.request.method == "POST") as answer:
        page.click("form.search button[type=submit]")
    assert answer.value.status == status


def result(page: Page, person_id: str) -> Locator:
    return page.locator(f".result[data-person='{person_id}']")


def ranks(page: Page) -> list[str]:
    return [r.get_attribute("data-person") or "" for r in page.locator(".result").all()]


def colour(locator: Locator) -> str:
    return str(locator.evaluate("e => getComputedStyle(e).color"))


def searches_audited(site: Site, user: str) -> list[str]:
    with site.engine.connect() as conn:
        return list(conn.execute(select(audit_log.c.subject).where(
            audit_log.c.username == user, audit_log.c.action == "trace search")).scalars())


def registered(page: Page) -> int:
    page.goto("/")
    return int(page.locator("[data-status=registered] .n").inner_text())


# --- search ----------------------------------------------------------------------------------


@browser_test
def test_an_arabic_search_finds_the_latin_registration_with_the_reasons(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    [latin] = household(site, [person("Mohammed", "Ahmad", "al-Hassan", 1985)])
    household(site, [person("Fatima", "Omar", "Haddad", 1990, "female")])
    sign_in(page, "tracing_officer")
    page.click("nav >> text=Find a person")
    expect(page.locator("h1")).to_have_text("Find a person")
    expect(page.locator("#name")).to_have_attribute("dir", "auto")

    search(page, "محمد الحسن", born="1988", tolerance="1")
    assert ranks(page)[0] == latin
    top = result(page, latin)
    expect(top.locator(".result-name")).to_have_text("Mohammed Ahmad al-Hassan")
    expect(top.locator("[data-born]")).to_have_text("1985")
    expect(top.locator("[data-sex]")).to_have_text("Male")
    expect(top.locator("[data-score]")).to_contain_text("%")
    for field, label in (("given_name", "Given name"), ("family_name", "Family name")):
        chip = top.locator(f"[data-agreed={field}]")
        expect(chip).to_contain_text(label)
        assert colour(chip) == GREEN
    chip = top.locator("[data-disagreed=birth_year]")  # 1985 is more than 1988 ± 1
    expect(chip).to_contain_text("Year of birth")
    assert colour(chip) == RED
    # A tracing officer sees where the person is now.
    expect(top.locator("[data-whereabouts] [data-status]")).to_have_text("Waiting")
    expect(page.locator("#name")).to_have_value("محمد الحسن")  # the search stays on screen
    page.screenshot(path="/tmp/corridor-tracing-en.png", full_page=True)


@browser_test
def test_the_tracing_page_in_arabic_is_right_to_left(page: Page, site: Site) -> None:
    open_operation(site, illustrative=True)
    [latin] = household(site, [person("Mohammed", "Ahmad", "al-Hassan", 1985)])
    household(site, [person("محمد", "يوسف", "الحسن", 1986)])
    sign_in(page, "tracing_officer")
    page.goto("/tracing?lang=ar")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.locator("h1")).to_have_text("البحث عن شخص")
    expect(page.locator("nav a[href='/tracing']")).to_have_text("البحث عن شخص")

    search(page, "Mohammed al-Hassan", "الأم تسأل في الاستقبال", father="Ahmad", born="1985")
    assert ranks(page)[0] == latin
    top = result(page, latin)
    expect(top.locator("[data-agreed=father_name]")).to_contain_text("اسم الأب")
    expect(top.locator("[data-whereabouts] [data-status]")).to_have_text("في الانتظار")
    expect(page.locator("form.search button[type=submit]")).to_have_text("ابحث")
    # Mirrored: the rank sits at the right of the name, the score at its left.
    rank, name = top.locator(".rank").bounding_box(), top.locator(".result-name").bounding_box()
    assert rank and name and rank["x"] > name["x"]
    page.screenshot(path="/tmp/corridor-tracing-ar.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/corridor-tracing-ar-phone.png", full_page=True)


@browser_test
def test_a_namesake_with_a_different_father_ranks_below_the_person_sought(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    [namesake] = household(site, [person("Muhammad", "Yusuf", "Alhasan", 1985)])
    [sought] = household(site, [person("Mohammed", "Ahmad", "al-Hassan", 1985)])
    sign_in(page, "reception")
    search(page, "Mhd El Hassan", father="Ahmed", born="1985")
    ranked = ranks(page)
    assert ranked.index(sought) < ranked.index(namesake)
    other = result(page, namesake)
    expect(other.locator("[data-disagreed=father_name]")).to_contain_text("Father's name")
    expect(result(page, sought).locator("[data-agreed=father_name]")).to_be_visible()
    assert float(result(page, sought).locator("[data-score]").get_attribute("data-score") or 0) > \
        float(other.locator("[data-score]").get_attribute("data-score") or 0)


@browser_test
def test_a_registrar_sees_results_but_not_where_people_are(page: Page, site: Site) -> None:
    people = journey(site)
    sign_in(page, "registrar")
    search(page, "Karim Haddad")
    karim = result(page, people["Karim"])
    expect(karim).to_be_visible()
    expect(karim.locator(".result-name")).to_have_text("Karim Haddad")
    expect(page.locator("[data-whereabouts]")).to_have_count(0)
    expect(page.locator("[data-results]")).not_to_contain_text("Unaccounted")
    expect(page.locator("[data-results]")).not_to_contain_text("Bus 1")
    expect(page.locator("[data-results]")).to_contain_text("Your role does not see where")
    expect(page.locator("nav a[href='/tracing/requests']")).to_have_count(0)
    expect(page.locator("nav a[href='/duplicates']")).to_have_count(0)

    # The coordinator, for contrast, sees that Karim is unaccounted for since Bus 1.
    page.click("form[action='/logout'] button")
    sign_in(page, "coordinator")
    search(page, "Karim Haddad")
    where = result(page, people["Karim"]).locator("[data-whereabouts]")
    expect(where).to_contain_text("Unaccounted for")
    expect(result(page, people["Karim"])).to_contain_text("Bus 1")


@browser_test
def test_partners_get_403_and_no_tracing_links(page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "partner")
    for href in ("/tracing", "/tracing/requests", "/duplicates"):
        expect(page.locator(f"nav a[href='{href}']")).to_have_count(0)
    for path in ("/tracing", "/tracing/requests", "/tracing/requests/anything", "/duplicates"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.locator("[data-error]")).to_have_text("Your role may not open this page.")
    page.goto("/")
    token = page.locator("form[action='/logout'] [name=csrf]").input_value()
    answer = page.request.post("/tracing", form={"csrf": token, "name": "Karim",
                                                 "reason": "curious"})
    assert answer.status == 403 and "Karim Haddad" not in answer.text()
    assert site.audited("partner") == []


@browser_test
def test_every_search_is_audited_and_too_many_are_refused_with_the_wait(
        page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "reception")
    page.goto("/tracing")
    page.fill("#name", "Omar")
    page.click("form.search button[type=submit]")  # no reason: refused, not searched
    expect(page.locator("[data-error-for=reason]")).to_contain_text("Say why you are searching")
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    assert searches_audited(site, "reception") == []

    search(page, "Omar Khalil", "brother asking at the gate")
    search(page, "Layla", "aunt asking by phone")
    audited = searches_audited(site, "reception")
    assert len(audited) == 2
    assert "Omar Khalil" in audited[0] and "brother asking at the gate" in audited[0]
    assert "Layla" in audited[1] and "aunt asking by phone" in audited[1]

    site.app.state.corridor.tracing.limit = Limit("few searches", 1, timedelta(seconds=60))
    search(page, "Nour", "third search")
    with page.expect_response(lambda r: r.url.endswith("/tracing") and
                              r.request.method == "POST") as answer:
        page.click("form.search button[type=submit]")
    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 0
    limited = page.locator("[data-rate-limited]")
    expect(limited).to_contain_text(re.compile(r"Too many searches .* Wait \d+ seconds"))
    expect(page.locator("[data-results]")).to_have_count(0)
    expect(page.locator("#name")).to_have_value("Nour")
    assert len(searches_audited(site, "reception")) == 3  # the refused one was not a search


# --- tracing requests --------------------------------------------------------------------------


def fill_request(page: Page, name: str, *, born: str = "", sex: str = "",
                 consent: bool = True) -> None:
    page.fill("#name", name)
    page.fill("#born", born)
    page.check(f"form.file-request [name=sex][value='{sex}']")
    page.select_option("#origin", "gp")
    page.fill("#household_names", "Amal\nSami")
    page.fill("#requester_name", "Amal")
    page.fill("#relationship", "mother")
    page.fill("#contact", "Atareb reception, tent 4")
    if consent:
        page.check("#consent")


@browser_test
def test_a_request_without_the_requesters_consent_is_refused_and_records_nothing(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    sign_in(page, "reception")
    page.click("nav >> text=Tracing requests")
    expect(page.locator("[data-no-requests]")).to_be_visible()
    recorded = site.event_count()
    fill_request(page, "عبد الرحمن", born="2001", sex="male", consent=False)
    with page.expect_response(lambda r: r.url.endswith("/tracing/requests") and
                              r.request.method == "POST") as answer:
        page.click("form.file-request button[type=submit]")
    assert answer.value.status == 422
    expect(page.locator("[data-error-for=consent]")).to_have_text(
        "The requester must agree before the request can be recorded. Nothing was recorded.")
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name")).to_have_value("عبد الرحمن")  # what was typed is kept
    expect(page.locator("#household_names")).to_have_value("Amal\nSami")
    expect(page.locator("#origin")).to_have_value("gp")
    assert site.event_count() == recorded
    expect(page.locator("[data-request]")).to_have_count(0)

    page.check("#consent")
    page.click("form.file-request button[type=submit]")
    expect(page.locator("[data-filed]")).to_be_visible()
    assert site.event_count() == recorded + 1
    expect(page.locator("h1")).to_contain_text("عبد الرحمن")
    # Reception takes requests but neither reviews candidates nor closes requests.
    expect(page.locator("form.review")).to_have_count(0)
    expect(page.locator(".close-request")).to_have_count(0)


@browser_test
def test_a_request_filed_before_registration_is_news_after_check_in_and_closes_as_found(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    sign_in(page, "tracing_officer")
    page.goto("/tracing/requests")
    fill_request(page, "Zainab Saleh", born="1960", sex="female")
    page.click("form.file-request button[type=submit]")
    expect(page.locator("[data-filed]")).to_be_visible()
    older = page.locator("[data-request]").get_attribute("data-request")
    page.goto("/tracing/requests")
    fill_request(page, "Abd al-Rahman", born="2001", sex="male")
    page.click("form.file-request button[type=submit]")
    request_id = page.locator("[data-request]").get_attribute("data-request")
    expect(page.locator("[data-no-candidates]")).to_be_visible()  # nobody registered yet

    # The son is registered in Arabic script, travels and checks in at reception.
    [son] = household(site, [person("عبدالرحمن", "خالد", "الحلبي", 2000)], token="F-9")
    ok(site.api("registrar").post("/api/vehicles/bus1/boarding", json={"token": "F-9"}))
    ok(site.api("coordinator").post("/api/convoys/c1/departure"))
    reception = site.api("reception")
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    ok(reception.post(f"/api/persons/{son}/check-in", json={"location_id": "rc"}))

    page.goto("/tracing/requests")
    cards = page.locator("[data-request]")
    expect(cards).to_have_count(2)
    # News first, although it was filed after Zainab's request.
    assert cards.first.get_attribute("data-request") == request_id
    expect(cards.first.locator(".news-flag")).to_contain_text("NEWS")
    expect(cards.first.locator("[data-candidates]")).to_have_text("1")
    expect(cards.nth(1).locator(".news-flag")).to_have_count(0)
    assert cards.nth(1).get_attribute("data-request") == older
    page.screenshot(path="/tmp/corridor-tracing-requests.png", full_page=True)

    cards.first.locator("a.button").click()
    candidate = result(page, son)
    expect(candidate.locator("[data-since-filed]")).to_be_visible()
    expect(candidate.locator(".result-name")).to_have_text("عبدالرحمن خالد الحلبي")
    expect(candidate.locator("[data-whereabouts] [data-status]")).to_have_text("Arrived")
    expect(candidate).to_contain_text("Atareb")
    expect(candidate.locator("[data-agreed=birth_year]")).to_be_visible()
    expect(candidate.locator("[data-review]")).to_have_text("Not reviewed yet")
    page.screenshot(path="/tmp/corridor-tracing-request.png", full_page=True)
    candidate.locator("textarea").fill("Mother recognised the photo of his card")
    candidate.locator("button[value=confirmed]").click()
    expect(result(page, son).locator("[data-review]")).to_have_text("Confirmed")

    page.check(".close-request [name=outcome][value=found]")
    expect(page.locator("#found_person")).to_have_value(son)  # the confirmed one
    page.fill("#close-note", "Mother told at the reception desk")
    page.click(".close-request button[type=submit]")
    expect(page.locator("[data-request-status]")).to_have_attribute(
        "data-request-status", "closed")
    expect(page.locator("[data-outcome]")).to_have_text("Found")
    expect(page.locator("[data-found]")).to_have_attribute("data-found", son)
    expect(page.locator(".close-request")).to_have_count(0)
    expect(page.locator("form.review")).to_have_count(0)

    page.goto("/tracing/requests")
    expect(page.locator("[data-request]")).to_have_count(1)
    expect(page.locator(f"[data-request='{request_id}']")).to_have_count(0)
    actions = site.audited("tracing-officer")
    assert "web: list tracing requests" in actions and "view tracing request" in actions


@browser_test
def test_closing_as_found_needs_the_person_found(page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    household(site, [person("Omar", "Ali", "Nasser", 1970)])
    sign_in(page, "tracing_officer")
    page.goto("/tracing/requests")
    fill_request(page, "Omar Nasser", born="1970", sex="male")
    page.click("form.file-request button[type=submit]")
    expect(page.locator(".result")).to_have_count(1)
    recorded = site.event_count()
    page.check(".close-request [name=outcome][value=found]")
    page.click(".close-request button[type=submit]")
    expect(page.locator("[data-error-for=found_person]")).to_have_text(
        "Choose the person who was found.")
    assert site.event_count() == recorded
    expect(page.locator("[data-request-status]")).to_have_attribute("data-request-status", "open")


# --- duplicates ----------------------------------------------------------------------------------


@browser_test
def test_a_cross_device_duplicate_is_merged_and_unmerged(page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    # The same man registered twice: by the registrar's device, and in Arabic by the
    # coordinator's; the second record has boarded a bus.
    [first] = household(site, [person("Mohammed", "Ahmad", "al-Hassan", 1985)], "F-1")
    [second] = household(site, [person("محمد", "أحمد", "الحسن", 1985)], "F-2",
                         role="coordinator")
    household(site, [person("Fatima", "Omar", "Haddad", 1990, "female")], "F-3")
    ok(site.api("registrar").post("/api/vehicles/bus1/boarding", json={"token": "F-2"}))
    sign_in(page, "tracing_officer")
    assert registered(page) == 3

    page.click("nav >> text=Duplicates")
    pairs = page.locator(".pair")
    expect(pairs).to_have_count(1)
    pair = pairs.first
    assert {pair.locator(".side").nth(i).get_attribute("data-person") for i in (0, 1)} == {
        first, second}
    expect(pair.locator(f".side[data-person='{first}']")).to_contain_text(
        "Mohammed Ahmad al-Hassan")
    expect(pair.locator(f".side[data-person='{second}']")).to_contain_text("محمد أحمد الحسن")
    expect(pair.locator(f".side[data-person='{second}']")).to_contain_text("On a vehicle")
    expect(pair.locator(f".side[data-person='{second}'] [data-kept-if-same]")).to_be_visible()
    expect(pair.locator(f".side[data-person='{first}'] [data-kept-if-same]")).to_have_count(0)
    expect(pair.locator("[data-agreed=given_name]")).to_be_visible()
    expect(page.locator("[data-no-merged]")).to_be_visible()
    page.screenshot(path="/tmp/corridor-duplicates.png", full_page=True)

    pair.locator("textarea").fill("Same card number seen by both teams")
    pair.locator("button[value=same]").click()
    merged = page.locator("[data-just-merged]")
    expect(merged).to_have_attribute("data-kept", second)  # the record that has moved
    expect(merged).to_have_attribute("data-just-merged", first)
    expect(merged).to_contain_text("محمد أحمد الحسن")
    expect(page.locator(".pair")).to_have_count(0)
    expect(page.locator("[data-no-pairs]")).to_be_visible()
    row = page.locator(f"[data-merged='{first}']")
    expect(row).to_have_attribute("data-kept", second)
    assert "web: view merged records" in site.audited("tracing-officer")
    assert registered(page) == 2

    page.goto("/duplicates")
    page.locator(f"[data-merged='{first}'] button").click()
    expect(page.locator("[data-unmerged]")).to_be_visible()
    expect(page.locator("[data-merged]")).to_have_count(0)
    expect(page.locator(".pair")).to_have_count(1)  # back in the queue, undecided
    assert registered(page) == 3


@browser_test
def test_not_the_same_takes_the_pair_off_the_queue_without_merging(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    household(site, [person("Mohammed", "Ahmad", "al-Hassan", 1985)], "F-1")
    household(site, [person("محمد", "أحمد", "الحسن", 1985)], "F-2", role="coordinator")
    sign_in(page, "coordinator")
    page.goto("/duplicates")
    page.locator(".pair button[value=different]").click()
    expect(page.locator(".pair")).to_have_count(0)
    expect(page.locator("[data-merged]")).to_have_count(0)
    assert registered(page) == 2
