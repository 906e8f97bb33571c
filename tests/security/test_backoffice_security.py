"""The back-office's defences (SPEC §6 Security), checked over HTTP against the real app.

Everything here goes through the middlewares and views as a browser's requests would, but
without the pages' help: forms without their CSRF token, other roles' forms posted directly,
guessed ids, hostile customer text. "Nothing changed" means every row of every table is
exactly as before.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from aiohttp import web
from markupsafe import escape

from backoffice.actions import ACTIONS
from backoffice.security import PUBLIC_PREFIXES
from domain.returns import TRANSITIONS, Action, Actor, ReturnType, Status
from models import Attachment, Customer, ReturnLine, ReturnRequest, StaffUser
from services.followup import reply_to_question
from services.review import ask_customer
from tests.factories import REVIEWER
from tests.security.conftest import (
    PASSWORD,
    PHOTO_BYTES,
    Office,
    everything,
    in_status,
    make_staff,
    new_request,
)

# aiohttp-session keeps its session under a plain string request key, which aiohttp 3.14 warns
# about on every request; the project's warnings-as-errors would turn each page into a 500.

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT_PREFIXES = ("/api/", "/telegram/")
STAFF_ROLES = ("reviewer", "warehouse", "finance", "admin")
# SPEC §2, "by": who may take each action of the back-office (admins may take all of them).
MAY = {
    "approve": {"reviewer"},
    "reject": {"reviewer"},
    "ask": {"reviewer"},
    "cancel": {"reviewer", "warehouse", "finance"},
    "receive": {"warehouse"},
    "inspect": {"warehouse"},
    "refund": {"finance"},
    "record_payment": {"finance"},
    "ship_replacement": {"warehouse"},
    "close": {"reviewer", "warehouse", "finance"},
}
# The status (and kind) a request must be in for the action to fit it.
SOURCE: dict[str, tuple[Status, ReturnType, bool]] = {
    "approve": (Status.SUBMITTED, ReturnType.REFUND, False),
    "reject": (Status.SUBMITTED, ReturnType.REFUND, False),
    "ask": (Status.SUBMITTED, ReturnType.REFUND, False),
    "cancel": (Status.APPROVED, ReturnType.REFUND, False),
    "receive": (Status.APPROVED, ReturnType.REFUND, False),
    "inspect": (Status.RECEIVED, ReturnType.REFUND, False),
    "refund": (Status.INSPECTED, ReturnType.REFUND, False),
    "record_payment": (Status.INSPECTED, ReturnType.EXCHANGE, False),
    "ship_replacement": (Status.INSPECTED, ReturnType.EXCHANGE, True),
    "close": (Status.REFUNDED, ReturnType.REFUND, False),
}
PERMISSION_MESSAGE = "Your roles do not allow this action."
XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(document.cookie)>",
)
TRACEBACK_SIGNS = ("Traceback", "RuntimeError", 'File "', ".py", "boom-4711", "site-packages")


async def form_for(action: str, request: ReturnRequest) -> dict[str, str]:
    """The action's form as its page fills it in (with the request's version)."""
    line = await ReturnLine.get(request_id=request.id)
    fields = {
        "approve": {},
        "reject": {"reason": "Outside the policy"},
        "ask": {"question": "Which size did you order?"},
        "cancel": {"reason": ""},
        "receive": {f"received_{line.id}": "1"},
        "inspect": {f"a_{line.id}": "1", f"b_{line.id}": "0", f"r_{line.id}": "0"},
        "refund": {"amount": "100.00", "method": "original", "reference": ""},
        "record_payment": {"amount": "50.00", "reference": "PAY-1"},
        "ship_replacement": {"tracking": "YT1234567890"},
        "close": {},
    }[action]
    return {"version": str(request.version), **fields}


async def prepared(office: Office, action: str) -> ReturnRequest:
    status, kind, paid = SOURCE[action]
    return await in_status(office.shop, status, kind=kind, paid=paid)


def flash(page: str) -> str:
    found = re.search(r'<p class="flash (\w+)" role="status">([^<]*)</p>', page)
    return f"{found.group(1)}: {found.group(2)}" if found else ""


# --- CSRF -------------------------------------------------------------------------------------


def unsafe_routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, path template) of every state-changing route outside the API and webhook."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        template = info.get("path") or info.get("formatter") or ""
        if route.method in UNSAFE_METHODS and not template.startswith(EXEMPT_PREFIXES):
            found.append((route.method, template))
    return found


def choices(template: str) -> list[dict[str, str]]:
    """Values for a template's placeholders: ``{action}`` as every action, anything else 1."""
    found: list[dict[str, str]] = [{}]
    for name in re.findall(r"\{(\w+)[^}]*\}", template):
        values = list(ACTIONS) if name == "action" else ["1"]
        found = [{**c, name: v} for c in found for v in values]
    return found


def fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = re.sub(r"\{" + name + r"[^}]*\}", value, template)
    return template


# Every field any form has, so a refusal is never about a missing field.
ANY_FORM = {"username": "admin", "password": PASSWORD, "text": "hi", "language": "ru"}
ANY_FORM |= {"next": "/", "question": "?", "reason": "r", "name": "n", "amount": "1.00"}
ANY_FORM |= {"assignee": "me"}


async def csrf_cases(office: Office) -> list[tuple[str, str, dict[str, str], bool]]:
    """(method, path, form, whether the right token must then succeed) for every route.

    A request's routes get a request in the status their action fits, so that only the
    token stands between the form and a change.
    """
    cases = []
    for method, template in unsafe_routes(office.app):
        for values in choices(template):
            data = dict(ANY_FORM)
            if "return_id" in values:
                action = values.get("action", "ask")
                request = await prepared(office, action)
                values["return_id"] = str(request.id)
                if "action" in values:
                    data |= await form_for(action, request)
            cases.append((method, fill(template, values), data, "return_id" in values))
    return cases


async def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(office: Office) -> None:
    templates = {template for _method, template in unsafe_routes(office.app)}
    assert {"/login", "/logout", "/language", "/returns/{return_id}/{action}"} <= templates
    assert "/returns/{return_id}/message" in templates
    admin = await office.staff("admin")
    reviewer = await office.staff("reviewer")
    anonymous = await office.browser()
    await anonymous.page("/login")
    wrong = ("", "not-the-token", reviewer.token, admin.token[:-1], anonymous.token)
    attempts = [(admin, token) for token in wrong] + [(anonymous, "")]
    cases = await csrf_cases(office)
    assert len(cases) >= len(ACTIONS) + 4
    for method, path, data, succeeds in cases:
        for browser, token in attempts:
            before = await everything()
            answer = await browser.post_as(method, path, data, token=token)
            if browser is anonymous and not path.startswith(PUBLIC_PREFIXES):
                assert answer.status == 303, (method, path)  # to the sign-in page first
                assert answer.headers["Location"].startswith("/login?next=")
            else:
                assert answer.status == 403, (method, path, token, answer.status)
                assert "You may not do this" in answer.text, answer.text[:300]
            assert await everything() == before, (path, token)
        if succeeds:  # the page's own token gets the same form through
            before = await everything()
            answer = await admin.post_as(method, path, data)
            assert answer.status == 303, (path, answer.status)
            assert flash(await admin.page(answer.headers["Location"])) == "ok: Done."
            assert await everything() != before


async def test_the_right_token_is_needed_to_sign_in_change_language_and_sign_out(
    office: Office,
) -> None:
    anonymous = await office.browser()
    assert (await anonymous.post("/login", {"username": "x", "password": "y"})).status == 403
    await anonymous.page("/login")
    assert (await anonymous.post("/language", {"language": "ru"}, token="bad")).status == 403
    assert anonymous.cookie("returndesk_language") == ""
    answer = await anonymous.post("/language", {"language": "ru", "next": "/login"})
    assert (answer.status, anonymous.cookie("returndesk_language")) == (303, "ru")

    admin = await office.staff("admin")
    assert (await admin.post("/logout", token="")).status == 403
    assert (await admin.get("/"))[0] == 200
    answer = await admin.post("/logout")
    assert (answer.status, answer.headers["Location"]) == (303, "/login")
    status, _ = await admin.get("/")
    assert status == 303


# --- the role × action matrix ----------------------------------------------------------------


def test_the_matrix_covers_every_action_form() -> None:
    assert set(MAY) == set(ACTIONS) == set(SOURCE)
    for action, (status, _kind, _paid) in SOURCE.items():
        assert (status, Action(action)) in TRANSITIONS


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("action", list(MAY))
async def test_each_action_is_enforced_on_the_server_for_each_role(
    office: Office, action: str, role: str
) -> None:
    request = await prepared(office, action)
    staff = await office.staff(role)
    page = await staff.page(f"/returns/{request.id}")
    allowed = role == "admin" or role in MAY[action]
    assert (f"action-{action}" in page) is allowed  # the page offers only what is allowed

    before = await everything()
    answer = await staff.post(f"/returns/{request.id}/{action}", await form_for(action, request))
    assert (answer.status, answer.headers["Location"]) == (303, f"/returns/{request.id}")
    shown = flash(await staff.page(f"/returns/{request.id}"))
    if allowed:
        assert shown == "ok: Done."
        await request.refresh_from_db()
        status = SOURCE[action][0]
        assert request.status == TRANSITIONS[(status, Action(action))]
        assert await everything() != before
    else:
        assert shown == f"error: {PERMISSION_MESSAGE}"
        assert await everything() == before


# --- guessing ids -----------------------------------------------------------------------------

MISSING = "987654"
ODD_IDS = ("abc", "-1", "0", "²", "٣", "1.0", "2147483648", "9223372036854775808", "9" * 30)


async def test_ids_that_do_not_exist_are_not_found(office: Office) -> None:
    request = await new_request(office.shop)
    attachment = await Attachment.get(request_id=request.id)
    admin = await office.staff("admin")
    # The real ones are there (so the 404s below are about the ids).
    await admin.page(f"/returns/{request.id}")
    await admin.page(f"/returns/{request.id}/slip")
    async with admin.client.get(f"/attachments/{attachment.id}") as response:
        assert (response.status, await response.read()) == (200, PHOTO_BYTES)

    for path in (
        f"/returns/{MISSING}",
        f"/returns/{MISSING}/slip",
        f"/attachments/{MISSING}",
    ):
        status, text = await admin.get(path)
        assert status == 404, path
        assert "does not exist, or it is not yours to see" in text

    before = await everything()
    every_field = {"text": "hi", "reason": "r", "question": "q", "tracking": "YT12345678"}
    every_field |= {"amount": "1.00", "received_1": "1", "a_1": "1"}
    for action in (*ACTIONS, "message", "frobnicate"):
        answer = await admin.post(f"/returns/{MISSING}/{action}", every_field)
        assert answer.status == 404, action
    assert (await admin.post(f"/returns/{request.id}/frobnicate")).status == 404
    assert await everything() == before


async def test_a_photo_telegram_no_longer_has_is_not_found(office: Office) -> None:
    request = await new_request(office.shop)
    await Attachment.filter(request_id=request.id).update(telegram_file_id="gone-from-telegram")
    attachment = await Attachment.get(request_id=request.id)
    admin = await office.staff("admin")
    assert (await admin.get(f"/attachments/{attachment.id}"))[0] == 404


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_odd_ids_are_not_found_rather_than_errors(office: Office) -> None:
    """Not digits, not ASCII digits, or past what an INTEGER column holds (PostgreSQL)."""
    await new_request(office.shop)
    admin = await office.staff("admin")
    before = await everything()
    for odd in ODD_IDS:
        for path in (f"/returns/{odd}", f"/returns/{odd}/slip", f"/attachments/{odd}"):
            status, text = await admin.get(path)
            # /returns/abc/slip is only a POST route's path (/returns/{id}/{action}): 405
            assert status in (404, 405), (path, status)
            assert "Something went wrong" not in text
        for action in ("approve", "message"):
            answer = await admin.post(f"/returns/{odd}/{action}", {"text": "hi"})
            assert answer.status == 404, (odd, action, answer.status)
    assert await everything() == before


def get_routes(app: web.Application) -> list[str]:
    """Path templates of every page (GET) outside the API, the webhook and static files."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        template = info.get("path") or info.get("formatter") or ""
        page = route.method == "GET" and "prefix" not in info  # static files have a prefix
        if page and template and not template.startswith(EXEMPT_PREFIXES):
            found.append(template)
    return found


ODD_CURSORS = ("²", "9" * 12, "2147483648", "2026-03-10T04:00:00+00:00_99999999999999999999")


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_no_page_fails_on_an_odd_id_or_cursor(office: Office) -> None:
    """Every page with an id in its path, and every page's paging parameters."""
    await new_request(office.shop)
    admin = await office.staff("admin")
    pages = get_routes(office.app)
    assert {"/returns/{return_id}", "/returns/{return_id}/slip"} <= set(pages)
    for template in pages:
        names = re.findall(r"\{(\w+)[^}]*\}", template)
        for odd in ODD_IDS if names else ():
            path = fill(template, dict.fromkeys(names, odd))
            status, _ = await admin.get(path)
            assert status in (404, 405), (path, status)
        if not names:
            for name in ("before", "after", "cursor", "offset", "page"):
                for odd in ODD_CURSORS:
                    status, _ = await admin.get(template, params={name: odd})
                    assert status < 500, (template, name, odd, status)


@pytest.mark.parametrize(
    "fields",
    [
        {"received_{line}": "²"},
        {"received_{line}": "٣"},
        {"received_²": "1"},
        {"received_99999999999999999999": "1"},
        {"received_{line}": "99999999999999999999"},
        {"received_{line}": "-1"},
        {"received_{line}": "1", "version": "²"},
        {"received_987654": "1"},
    ],
    ids=[
        "digit-like",
        "arabic-digit",
        "digit-like-line",
        "huge-line",
        "huge",
        "neg",
        "version",
        "unknown-line",
    ],
)
async def test_malformed_action_forms_are_refused_not_crashed(
    office: Office, fields: dict[str, str]
) -> None:
    request = await in_status(office.shop, Status.APPROVED)
    line = await ReturnLine.get(request_id=request.id)
    data = {k.format(line=line.id): v for k, v in fields.items()}
    warehouse = await office.staff("warehouse")
    await warehouse.page(f"/returns/{request.id}")
    before = await everything()
    answer = await warehouse.post(f"/returns/{request.id}/receive", data)
    assert answer.status == 303, answer.status  # back to the page with words, never a 404
    if "version" in fields:  # a version that is no number is ignored, as if the form had none
        assert flash(await warehouse.page(answer.headers["Location"])) == "ok: Done."
        return
    assert flash(await warehouse.page(answer.headers["Location"])).startswith("error: ")
    assert await everything() == before


async def test_signed_out_visitors_are_sent_to_the_sign_in_page(office: Office) -> None:
    request = await new_request(office.shop)
    attachment = await Attachment.get(request_id=request.id)
    visitor = await office.browser()
    for path in ("/", "/returns", f"/returns/{request.id}", f"/attachments/{attachment.id}"):
        async with visitor.client.get(path, allow_redirects=False) as response:
            assert response.status == 303, path
            assert response.headers["Location"].startswith("/login?next=")
            assert request.number not in await response.text()


# --- customer text stays text -----------------------------------------------------------------


async def test_customer_text_is_escaped_on_every_page(office: Office) -> None:
    name, description, answer = XSS
    await Customer.filter(id=office.shop.customer.id).update(name=name)
    request = await new_request(office.shop, description=description)
    await ask_customer(request.id, f"Staff asks {answer}", actor=REVIEWER, clock=office.shop.clock)
    customer = Actor.customer(office.shop.customer.id)
    await reply_to_question(request.id, answer, actor=customer, clock=office.shop.clock)
    admin = await office.staff("admin")

    pages = {
        "queue": await admin.page("/returns"),
        "search": await admin.page("/returns?q=" + name.replace("<", "%3C").replace(">", "%3E")),
        "request": await admin.page(f"/returns/{request.id}"),
        "slip": await admin.page(f"/returns/{request.id}/slip"),
    }
    expected = {
        "queue": (name,),
        "search": (name,),
        "request": XSS,
        "slip": (name,),
    }
    for page, payloads in expected.items():
        html = pages[page]
        for payload in XSS:
            assert payload not in html, (page, payload)
        for payload in payloads:
            assert str(escape(payload)) in html, (page, payload)
    assert "<script" not in pages["request"]
    assert "onerror=alert" not in pages["request"].replace(str(escape(description)), "")


async def test_the_sign_in_pages_next_parameter_is_neither_reflected_raw_nor_followed_away(
    office: Office,
) -> None:
    visitor = await office.browser()
    for target in ('/"><script>alert(1)</script>', "//evil.example/", "https://evil.example/"):
        status, html = await visitor.get("/login", params={"next": target})
        assert status == 200
        assert "<script>alert(1)</script>" not in html
        assert "evil.example" not in html
    await make_staff("reviewer")
    for target in ("//evil.example/", "/\\evil.example/", "/\t/evil.example/", "https://e.x/"):
        visitor = await office.browser()
        await visitor.page("/login")
        answer = await visitor.post(
            "/login", {"username": "reviewer", "password": PASSWORD, "next": target}
        )
        assert (answer.status, answer.headers["Location"]) == (303, "/"), target
    visitor = await office.browser()
    await visitor.page("/login")
    answer = await visitor.post(
        "/login", {"username": "reviewer", "password": PASSWORD, "next": "/returns?q=Li Lei"}
    )
    assert answer.headers["Location"] in ("/returns?q=Li+Lei", "/returns?q=Li%20Lei")


async def test_after_signing_in_one_is_back_on_the_page_one_asked_for(office: Office) -> None:
    await make_staff("reviewer")
    request = await new_request(office.shop)
    visitor = await office.browser()
    status, _ = await visitor.get("/returns?status=submitted&q=Li")
    assert status == 303
    async with visitor.client.get("/returns?status=submitted&q=Li") as response:
        assert response.url.path == "/login"
        html = await response.text()
    assert 'name="next" value="/returns?status=submitted&amp;q=Li"' in html
    visitor.remember(html)
    answer = await visitor.sign_in_from_page("reviewer")
    assert answer.headers["Location"] == "/returns?status=submitted&q=Li"
    # A form posted after the session ended leads back to the form's page, not to a POST URL.
    visitor = await office.browser()
    await visitor.page("/login")
    answer = await visitor.post(f"/returns/{request.id}/approve")
    assert answer.headers["Location"] == f"/login?next=/returns/{request.id}&session=ended"


# --- sign-in ----------------------------------------------------------------------------------


async def test_signing_in_starts_a_new_session_and_a_new_csrf_token(office: Office) -> None:
    await make_staff("reviewer")
    visitor = await office.browser()
    await visitor.page("/login")
    before_cookie, before_token = visitor.cookie(), visitor.token
    assert before_cookie
    assert before_token

    answer = await visitor.sign_in("reviewer")
    assert answer.status == 303
    [set_cookie] = [c for c in answer.headers.getall("Set-Cookie") if "returndesk_session" in c]
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=lax" in set_cookie.lower()
    await visitor.page("/")
    assert visitor.cookie() not in ("", before_cookie)
    assert visitor.token != before_token

    # The token the sign-in page had (before the session began) opens nothing now.
    assert (await visitor.post("/language", {"language": "ru"}, token=before_token)).status == 403
    assert (await StaffUser.get(username="reviewer")).language == "en"
    assert (await visitor.post("/language", {"language": "ru"})).status == 303
    assert (await StaffUser.get(username="reviewer")).language == "ru"


# --- error pages ------------------------------------------------------------------------------


def boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("boom-4711 in /srv/returndesk/services/queue.py line 12")


@pytest.mark.parametrize(
    ("target", "method", "path"),
    [
        ("backoffice.views.dashboard.dashboard", "GET", "/"),
        ("backoffice.views.returns.list_returns", "GET", "/returns"),
        ("backoffice.views.returns.return_detail", "GET", "/returns/{id}"),
        ("backoffice.views.slips.return_detail", "GET", "/returns/{id}/slip"),
        ("backoffice.actions.approve_return", "POST", "/returns/{id}/approve"),
        ("backoffice.views.returns.send_message_to_customer", "POST", "/returns/{id}/message"),
    ],
)
async def test_a_failing_service_shows_an_error_page_without_a_traceback(
    office: Office,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    target: str,
    method: str,
    path: str,
) -> None:
    request = await new_request(office.shop)
    admin = await office.staff("admin")
    await admin.page(f"/returns/{request.id}")
    monkeypatch.setattr(target, boom)
    path = path.format(id=request.id)
    with caplog.at_level(logging.ERROR, logger="returndesk.backoffice"):
        if method == "GET":
            status, text = await admin.get(path)
        else:
            answer = await admin.post(path, {"text": "hello", "version": str(request.version)})
            status, text = answer.status, answer.text
    assert status == 500
    assert "Something went wrong on our side" in text
    for sign in TRACEBACK_SIGNS:
        assert sign not in text, sign
    assert any("boom-4711" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_every_kind_of_error_page_is_plain(office: Office) -> None:
    admin = await office.staff("admin")
    cases = [
        ("GET", "/nowhere", 404),
        ("GET", "/logout", 405),
        ("GET", "/returns?since=not-a-date", 400),
        ("GET", "/returns?assignee=x", 400),
        ("GET", "/returns?status=bogus", 400),
        ("GET", "/returns?type=bogus", 400),
        ("GET", "/returns/export.csv?status=bogus", 400),
        ("POST", "/language", 403),
    ]
    for method, path, expected in cases:
        async with admin.client.request(method, path, allow_redirects=False) as response:
            text = await response.text()
            assert response.status == expected, path
            assert response.content_type == "text/html", path
        assert "<h1>" in text
        for sign in TRACEBACK_SIGNS:
            assert sign not in text, (path, sign)


# --- headers ----------------------------------------------------------------------------------


async def test_pages_carry_the_csp_and_nosniff_headers(office: Office) -> None:
    request = await new_request(office.shop)
    attachment = await Attachment.get(request_id=request.id)
    visitor = await office.browser()
    admin = await office.staff("admin")
    paths = [
        (visitor, "/login"),
        (admin, "/"),
        (admin, "/returns"),
        (admin, f"/returns/{request.id}"),
        (admin, f"/returns/{request.id}/slip"),
        (admin, f"/attachments/{attachment.id}"),
        (admin, f"/returns/{MISSING}"),
        (admin, "/static/desk.css"),
    ]
    for browser, path in paths:
        async with browser.client.get(path, allow_redirects=False) as response:
            csp = response.headers.get("Content-Security-Policy", "")
            assert response.headers.get("X-Content-Type-Options") == "nosniff", path
            directives = dict(
                [*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip()
            )
        assert directives.get("default-src") == "'self'", path
        assert directives.get("script-src") == "'self'", path
        assert directives.get("object-src") == "'none'", path
        assert directives.get("frame-ancestors") == "'none'", path
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
    answer = await admin.post("/language", {"language": "en"}, token="")
    assert answer.headers.get("X-Content-Type-Options") == "nosniff"
    assert "default-src 'self'" in answer.headers.get("Content-Security-Policy", "")
