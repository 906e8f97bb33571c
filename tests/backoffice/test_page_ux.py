"""What a staff member keeps while using the pages: the page's query when switching the
language, their place when a session ends."""

from __future__ import annotations

import html
import re

from tests.backoffice.conftest import Desk

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
