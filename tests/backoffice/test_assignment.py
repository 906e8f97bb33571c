"""Assigning a request on its page, and the queue's assignee column and filter."""

from __future__ import annotations

import re

from models import ReturnRequest
from tests.backoffice.conftest import Desk, staff_id
from tests.factories import Shop, open_return


def flash(page: str) -> str:
    found = re.search(r'<p class="flash (\w+)" role="status">([^<]*)</p>', page)
    return f"{found.group(1)}: {found.group(2)}" if found else ""


def assigned_to(page: str) -> str:
    found = re.search(r"Assigned to: <strong>([^<]*)</strong>", page)
    assert found, "no assignee shown"
    return found.group(1)


def numbers(page: str) -> set[str]:
    return set(re.findall(r">(RMA-\d{4}-\d{6})</a>", page))


async def assign(desk: Desk, return_id: int, assignee: str, version: int | None = None) -> str:
    """Post the request page's assignment form; the page it leads back to."""
    request = await ReturnRequest.get(id=return_id)
    form = {"assignee": assignee, "version": str(version or request.version)}
    page = f"/returns/{return_id}"
    status, text = await desk.post(f"{page}/assignment", form, page=page)
    assert status == 200
    return text


async def test_a_warehouse_clerk_takes_a_request_and_lets_it_go(desk: Desk, shop: Shop) -> None:
    r = await open_return(shop)
    await desk.as_("wang")
    _, page = await desk.get(f"/returns/{r.id}")
    assert assigned_to(page) == "nobody"
    assert 'value="me">Assign to me</button>' in page
    assert 'name="assignee" value="">Unassign' not in page
    assert 'class="assign-to"' not in page  # handing it to others is for reviewers and admins

    page = await assign(desk, r.id, "me")

    assert flash(page) == "ok: Done."
    assert assigned_to(page) == "wang"
    assert 'assigned · wang · <q class="text">wang</q>' in page
    assert 'name="assignee" value="">Unassign' in page
    page = await assign(desk, r.id, "")
    assert assigned_to(page) == "nobody"
    assert 'unassigned · wang · <q class="text">wang</q>' in page


async def test_a_reviewer_hands_a_request_to_an_active_colleague(desk: Desk, shop: Shop) -> None:
    r = await open_return(shop)
    wang = await staff_id("wang")
    await desk.as_("rita")
    _, page = await desk.get(f"/returns/{r.id}")
    assert f'<option value="{wang}">wang</option>' in page

    page = await assign(desk, r.id, str(wang))

    assert assigned_to(page) == "wang"
    assert (await ReturnRequest.get(id=r.id)).assigned_to_id == wang


async def test_the_server_refuses_what_the_page_would_not_offer(desk: Desk, shop: Shop) -> None:
    r = await open_return(shop)
    version = (await ReturnRequest.get(id=r.id)).version
    await desk.as_("fiona")
    refused = await assign(desk, r.id, str(await staff_id("wang")))
    assert flash(refused) == "error: Your roles do not allow this action."
    assert flash(await assign(desk, r.id, "someone")) == "error: Choose an active staff member."

    await assign(desk, r.id, "me")
    stale = await assign(desk, r.id, "", version=version)

    assert flash(stale) == "error: Someone changed this request meanwhile. Please look at it again."
    assert assigned_to(stale) == "fiona"


async def test_the_queue_shows_assignees_and_filters_by_them(desk: Desk, shop: Shop) -> None:
    mine = await open_return(shop, {"TEE-1": 1})
    theirs = await open_return(shop, {"MUG-1": 1})
    nobodys = await open_return(shop, {"CAP-1": 1})
    wang = await staff_id("wang")
    await desk.as_("rita")
    await assign(desk, mine.id, "me")
    await assign(desk, theirs.id, str(wang))

    _, page = await desk.get("/returns")
    assert f'<option value="{wang}">wang</option>' in page
    assert re.search(rf"{mine.number}</a>.*?<td[^>]*>rita</td>", page, re.DOTALL)
    assert numbers((await desk.get("/returns?assignee=mine"))[1]) == {mine.number}
    assert numbers((await desk.get(f"/returns?assignee={wang}"))[1]) == {theirs.number}
    _, unassigned = await desk.get("/returns?assignee=none")
    assert numbers(unassigned) == {nobodys.number}
    assert '<option value="none" selected>' in unassigned
    assert (await desk.get("/returns?assignee=somebody"))[0] == 400
