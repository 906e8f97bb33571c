"""What a staff member keeps while using the pages: the page's query when switching the
language, their place when a session ends."""

from __future__ import annotations

import html
import re

from yarl import URL

from domain.clock import FakeClock
from domain.returns import ReturnType
from models import Message, StaffUser
from services.staff import end_sessions
from tests.backoffice.conftest import PASSWORD, Desk, staff_id
from tests.factories import Shop, open_return
from tests.services.test_returns import inspected

LANGUAGE_NEXT = re.compile(
    r'<form method="post" action="/language".*?name="next" value="([^"]*)"', re.S
)


async def switch_language(desk: Desk, page: str, language: str) -> str:
    """Press a language button on ``page``; where the desk sends the browser."""
    status, text = await desk.get(page)
    assert status == 200
    found = LANGUAGE_NEXT.search(text)
    assert found, "no language form"
    form = {"language": language, "next": html.unescape(found.group(1))}
    form["csrf_token"] = await desk.token(page)
    response = await desk.client.post("/language", data=form, allow_redirects=False)
    assert response.status == 303
    return response.headers["Location"]


async def test_switching_the_language_keeps_the_page_query(desk: Desk) -> None:
    await desk.as_("admin")
    page = "/returns?status=approved&reason=quality_defect"

    assert await switch_language(desk, page, "ru") == page
    assert await switch_language(desk, "/reports?report=rate-by-month&channel=web", "en") == (
        "/reports?report=rate-by-month&channel=web"
    )


async def test_the_language_switch_still_refuses_another_site(desk: Desk) -> None:
    await desk.as_("rita")
    for target in ("//elsewhere.example/?a=1", "https://elsewhere.example/", "/\\elsewhere"):
        form = {"language": "en", "next": target, "csrf_token": await desk.token("/")}
        response = await desk.client.post("/language", data=form, allow_redirects=False)
        assert response.headers["Location"] == "/", target


async def post_after_the_session_ended(
    desk: Desk, path: str, data: dict[str, str], headers: dict[str, str] | None = None
) -> str:
    """Sign in, keep a page's token, let the session end (signed out elsewhere), then post."""
    await desk.as_("rita")
    token = await desk.token("/")
    await end_sessions(await staff_id("rita"))
    form = {**data, "csrf_token": token}
    response = await desk.client.post(path, data=form, headers=headers, allow_redirects=False)
    assert response.status == 303
    return response.headers["Location"]


async def test_a_form_posted_after_the_session_ended_says_so_and_returns_to_its_page(
    desk: Desk, shop: Shop
) -> None:
    request = await open_return(shop)
    page = f"/returns/{request.id}?from=queue"
    referer = str(desk.client.make_url(page))
    sign_in = await post_after_the_session_ended(
        desk, f"/returns/{request.id}/message", {"text": "Hello"}, {"Referer": referer}
    )
    assert sign_in == str(URL("/login").with_query(next=page, session="ended"))
    assert await Message.filter(request_id=request.id).count() == 0  # nothing was done

    status, text = await desk.get(sign_in)
    assert status == 200
    assert "Your session has ended, so what you sent was not saved." in text
    assert f'name="next" value="{html.escape(page)}"' in text
    form = {"username": "rita", "password": PASSWORD, "next": page}
    form["csrf_token"] = await desk.token(sign_in)
    response = await desk.client.post("/login", data=form, allow_redirects=False)
    assert response.headers["Location"] == page


async def test_without_a_referer_the_form_returns_to_the_page_above_its_path(
    desk: Desk, shop: Shop
) -> None:
    request = await open_return(shop)
    sign_in = await post_after_the_session_ended(desk, f"/returns/{request.id}/approve", {})
    assert URL(sign_in).query["next"] == f"/returns/{request.id}"
    elsewhere = {"Referer": "https://elsewhere.example/returns/1"}
    sign_in = await post_after_the_session_ended(desk, "/imports", {}, elsewhere)
    assert URL(sign_in).query["next"] == "/imports"


async def test_the_notice_is_in_the_staff_language(desk: Desk) -> None:
    desk.client.session.cookie_jar.update_cookies({"returndesk_language": "ru"})
    status, text = await desk.get("/login?next=/returns&session=ended")
    assert status == 200
    assert "Ваш сеанс завершён" in text
    status, text = await desk.get("/login?next=/returns")
    assert "Ваш сеанс завершён" not in text


async def test_the_sign_in_page_keeps_its_target_and_notice_across_a_language_switch(
    desk: Desk,
) -> None:
    page = "/login?next=/returns/7&session=ended"
    assert await switch_language(desk, page, "zh_Hans") == page
    assert await switch_language(desk, "/login?next=//elsewhere.example/", "en") == "/login"


async def test_an_empty_thread_is_said_in_a_paragraph_not_a_numbered_item(
    desk: Desk, shop: Shop
) -> None:
    request = await open_return(shop)
    await desk.as_("admin")
    status, page = await desk.get(f"/returns/{request.id}")
    assert status == 200
    assert '<p class="empty">No messages yet.</p>' in page
    assert "<li>No messages yet.</li>" not in page
    status, page = await desk.get(f"/customers/{shop.other.id}")
    assert status == 200
    assert '<p class="empty">No survey answers yet.</p>' in page


HEADING = re.compile(r"<h1>([^<]*)</h1>")


async def test_a_role_refusal_says_so_in_its_own_words(desk: Desk) -> None:
    await desk.as_("wang")
    status, page = await desk.get("/finance")
    assert status == 403
    assert HEADING.findall(page) == ["Not allowed for your roles"]
    assert "Your roles do not allow this page or action." in page
    assert "reload it" not in page


async def test_a_stale_form_is_refused_with_the_reload_advice(desk: Desk) -> None:
    await desk.as_("wang")
    response = await desk.client.post("/language", data={"language": "en", "csrf_token": "old"})
    page = await response.text()
    assert response.status == 403
    assert HEADING.findall(page) == ["The form was not accepted"]
    assert "If you used an old page, reload it and try again." in page


async def test_an_address_opened_the_wrong_way_says_so(desk: Desk) -> None:
    await desk.as_("wang")
    status, page = await desk.get("/logout")
    assert status == 405
    assert HEADING.findall(page) == ["This address cannot be opened this way"]
    assert "does not exist" not in page
    assert 'action="/logout"' in page  # the sign-out button is on the page


async def test_error_pages_are_headed_in_words_and_in_the_staff_language(desk: Desk) -> None:
    await desk.as_("wang")
    status, page = await desk.get("/nowhere")
    assert (status, HEADING.findall(page)) == (404, ["Page not found"])
    assert "Error 404" in page
    await desk.post("/language", {"language": "zh_Hans", "next": "/"})
    status, page = await desk.get("/finance")
    assert (status, HEADING.findall(page)) == (403, ["你的角色无权使用此功能"])


# A Chinese character, then (past any tags and spaces) an ASCII colon.
ASCII_COLON_AFTER_CHINESE = re.compile(r"[\u4e00-\u9fff](?:\s|<[^>]*>)*:(?!//)")


async def test_chinese_labels_take_the_full_width_colon(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    exchange = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    refund = await inspected(shop, {"MUG-1": 1})
    await StaffUser.filter(username="admin").update(language="zh_Hans")
    await desk.as_("admin")
    pages = (
        f"/returns/{exchange.id}",
        f"/returns/{refund.id}",
        f"/returns/{refund.id}/slip",
        "/returns",
        "/finance",
        "/inventory",
        f"/inventory/{shop.products['TEE-1'].id}",
        "/policies",
        "/policies/rule?scope=default&key=",
        "/audit",
    )
    for path in pages:
        status, page = await desk.get(path)
        assert status == 200, path
        body = page.split("<body", 1)[1]
        assert not ASCII_COLON_AFTER_CHINESE.findall(body), (path, _around(body))
    status, page = await desk.get(f"/returns/{refund.id}")
    assert "负责人：" in page


def _around(body: str) -> list[str]:
    return [
        body[max(m.start() - 30, 0) : m.end() + 10]
        for m in ASCII_COLON_AFTER_CHINESE.finditer(body)
    ]
