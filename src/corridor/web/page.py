"""What every web page needs: who is signed in, the CSRF token, and rendering.

Pages are rendered on the server with Jinja2 (autoescaped); the only script is a
print button. Every response carries corridor.headers.HEADERS (a strict
Content-Security-Policy, `no-store`), added by the app's middleware.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.datastructures import FormData

from corridor.domain.entities import claims_another
from corridor.domain.permissions import (
    COORDINATES,
    HANDLES_REQUESTS,
    MAY_RECORD,
    PRINTS_TOKENS,
    PRINTS_VEHICLE_CARDS,
    PULLS_SCOPE,
    SEARCHES,
    SEES_PERSONS,
)
from corridor.domain.visibility import may_read
from corridor.domain.vocabulary import Role
from corridor.services import queries
from corridor.services.access import resolve
from corridor.services.app import Corridor, caught_up
from corridor.services.ledger import Principal
from corridor.services.reads import ReadRefused
from corridor.services.timeline import Moment, moment, position
from corridor.web.i18n import N_, Translator, language

HERE = Path(__file__).parent
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


class SignInRequired(Exception):
    """No signed-in session: the page redirects to /login."""


class WebError(Exception):
    """A page that cannot be shown, as a friendly error page with its HTTP status."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status, self.key = status, key


def principal(request: Request) -> Principal | None:
    """Who is signed in, as the account is now (`access.resolve`, the API's resolver
    too), worked out once per request. An ended or expired session is forgotten."""
    if "principal" in request.scope:
        return request.scope["principal"]  # type: ignore[no-any-return]
    session = request.scope.get("session") or {}
    who = None
    if "sid" in session:
        who = resolve(request.app.state.corridor.engine, session_id=session["sid"])
        if who is None:
            forget(request)
    request.scope["principal"] = who
    return who


def forget(request: Request) -> None:
    """Empty the session cookie but for the language chosen."""
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang


def signed_in(request: Request) -> Principal:
    who = principal(request)
    if who is None:
        raise SignInRequired
    return who


SignedIn = Annotated[Principal, Depends(signed_in)]


def web_refusal(refused: ReadRefused, not_found: str) -> WebError:
    """A read the account may not make, as an error page: not found (with the page's own
    message) for a record outside its task, forbidden for a kind it may not read."""
    if refused.status == 404:
        return WebError(404, not_found)
    return WebError(403, N_("error.forbidden"))


def may(who: Principal | None, *event_types: str) -> bool:
    return who is not None and all(t in MAY_RECORD[who.role] for t in event_types)


def records(*event_types: str) -> Any:
    """A dependency admitting the roles allowed to record these event types."""

    def check(who: SignedIn) -> Principal:
        if not may(who, *event_types):
            raise WebError(403, N_("error.forbidden"))
        return who

    return Depends(check)


def one_of(*roles: Role) -> Any:
    """A dependency admitting only these roles; the rest get the forbidden page."""
    allowed = frozenset(roles)

    def check(who: SignedIn) -> Principal:
        if who.role not in allowed:
            raise WebError(403, N_("error.forbidden"))
        return who

    return Depends(check)


def csrf_token(request: Request) -> str:
    session = request.scope.get("session")
    if session is None:
        return ""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


async def posted(request: Request) -> FormData:
    """The submitted form, refused unless it carries this session's CSRF token
    (on top of the SameSite=strict session cookie)."""
    form = await request.form()
    expected = (request.scope.get("session") or {}).get("csrf")
    sent = form.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise WebError(403, N_("error.csrf"))
    return form


Posted = Annotated[FormData, Depends(posted)]


def app_of(request: Request) -> Corridor:
    """The running Corridor, its projections caught up (`caught_up`)."""
    return caught_up(request.app.state.corridor)


def as_of(request: Request, as_of: str | None = None) -> Moment:
    """The moment a page is shown as of (`?as_of=` a sequence number or a time); now
    when absent. Pages showing an earlier moment offer no action."""
    try:
        return moment(app_of(request).ledger, as_of)
    except ReadRefused:
        raise WebError(422, N_("timeline.invalid")) from None


AsOf = Annotated[Moment, Depends(as_of)]


def navigation(who: Principal | None) -> list[tuple[str, str]]:
    """(path, label key) of the pages this role may use."""
    if who is None:
        return []
    items = [("/", N_("nav.dashboard")), ("/convoys", N_("nav.convoys"))]
    if may_read("alert", who.role):
        items.append(("/alerts", N_("nav.alerts")))
    if may(who, "HouseholdRegistered"):
        items.append(("/register", N_("nav.register")))
    if who.role in PULLS_SCOPE:  # the field roles record at their post on the phone app
        items.append(("/field", N_("nav.field")))
    if who.role in SEARCHES:
        items.append(("/tracing", N_("nav.tracing")))
    if who.role in HANDLES_REQUESTS:
        items.append(("/tracing/requests", N_("nav.requests")))
    if may(who, "DuplicateReviewed"):
        items.append(("/duplicates", N_("nav.duplicates")))
    items.append(("/incidents", N_("nav.incidents")))
    if who.role in COORDINATES:
        items.append(("/conflicts", N_("nav.conflicts")))
    if may(who, "LocationAdded"):
        items.append(("/setup", N_("nav.setup")))
    if who.role == Role.ADMIN:
        items.append(("/admin/users", N_("nav.admin")))
        items.append(("/admin/audit", N_("nav.audit")))
    return items


def when(value: datetime | str | None) -> str:
    """A time as the field reads it: UTC, to the minute."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:  # stored naive values are already UTC
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M") + " UTC"


def at(path: str, moment: Moment | None) -> str:
    """A link within a page shown as of an earlier moment keeps that moment."""
    if moment is None or moment.now:
        return path
    return f"{path}{'&' if '?' in path else '?'}as_of={moment.seq}"


def number(value: Any) -> Any:
    """A count with thousands separated (35,008); a suppressed one ("<5") as it is."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def full_name(person: dict[str, Any]) -> str:
    parts = (person.get("given_name"), person.get("father_name"), person.get("family_name"))
    return " ".join(p for p in parts if p)


TEMPLATES.filters.update(when=when, full_name=full_name, at=at, number=number)
TEMPLATES.globals.update(claims_another=claims_another)


def _with_lang(request: Request, lang: str) -> str:
    url = request.url.include_query_params(lang=lang)
    return f"{url.path}?{url.query}"


def _picker(request: Request, shown: Moment) -> dict[str, Any]:
    """What the timeline picker (`_moment.html`) needs: where the moment lies, links to
    this page at another moment (`as_of` "" for now), the page's other parameters."""

    def link(as_of: str) -> str:
        url = request.url.remove_query_params("as_of")
        url = url.include_query_params(as_of=as_of) if as_of else url
        return f"{url.path}?{url.query}" if url.query else url.path

    return {"picker": position(app_of(request).ledger, shown), "moment_link": link,
            "moment_params": [(name, value) for name, value in
                              request.query_params.multi_items() if name != "as_of"]}


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    t = Translator(language(request))
    who = principal(request)
    if isinstance(context.get("moment"), Moment):
        context.update(_picker(request, context["moment"]))
    if "operation" not in context:
        with app_of(request).engine.connect() as conn:
            context["operation"] = queries.operation_info(conn)
    page = TEMPLATES.get_template(template).render(
        t=t, tn=t.plural, user=who, nav=navigation(who), csrf=csrf_token(request),
        path=request.url.path,
        sees_persons=who is not None and who.role in SEES_PERSONS,
        sees_reads=who is not None and who.role in COORDINATES,
        prints_codes=who is not None and who.role in PRINTS_TOKENS,
        prints_vehicle_cards=who is not None and who.role in PRINTS_VEHICLE_CARDS,
        lang_links={lang: _with_lang(request, lang) for lang in ("en", "ar")}, **context)
    return HTMLResponse(page, status_code=status)
