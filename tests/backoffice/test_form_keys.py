"""Forms without a version to check (a message to the customer, a scrap) change things once
however often the same page sends them: a double click, or Back and send again."""

from __future__ import annotations

import re

import pytest

from models import AuditEntry, FormSubmission, Message, Notification, StockMovement
from services.inventory import product_stock
from tests.backoffice.conftest import Desk
from tests.factories import Shop, open_return
from tests.services.test_inventory import two_defective_mugs

FORM_KEY = re.compile(r'name="form_key" value="([0-9a-f]{32})"')


async def form_key(desk: Desk, page: str, action: str) -> str:
    """The key of the form posting to ``action`` on ``page``, as the browser holds it."""
    _, html = await desk.get(page)
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    found = FORM_KEY.search(form)
    assert found, form
    return found.group(1)


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_message_sent_twice_from_one_page_reaches_the_customer_once(
    desk: Desk, shop: Shop
) -> None:
    request = await open_return(shop)
    await desk.as_("rita")
    page, action = f"/returns/{request.id}", f"/returns/{request.id}/message"
    key = await form_key(desk, page, action)
    message = {"text": "Is the box still there?", "form_key": key}

    first, _ = await desk.post(action, message, page=page)
    again, shown = await desk.post(action, message, page=page)
    fresh = await form_key(desk, page, action)
    await desk.post(action, message | {"form_key": fresh}, page=page)

    assert (first, again) == (200, 200)
    assert "Is the box still there?" in shown
    assert fresh != key
    assert await Message.filter(request_id=request.id).count() == 2
    assert await Notification.filter(template="staff_message").count() == 2


async def test_a_scrap_sent_twice_from_one_page_scraps_once(desk: Desk, shop: Shop) -> None:
    mug = await two_defective_mugs(shop)
    await desk.as_("wang")
    page, action = f"/inventory/{mug}", f"/inventory/{mug}/scrap"
    scrap = {"quantity": "1", "note": "Cracked", "form_key": await form_key(desk, page, action)}

    first, _ = await desk.post(action, scrap, page=page)
    again, shown = await desk.post(action, scrap, page=page)

    assert (first, again) == (200, 200)
    assert "Done." in shown
    assert (await product_stock(mug)).defective == 1
    assert await StockMovement.filter(product_id=mug, kind="scrap").count() == 1
    assert await AuditEntry.filter(action="scrap_stock").count() == 1


async def test_a_refused_scrap_leaves_its_form_usable(desk: Desk, shop: Shop) -> None:
    mug = await two_defective_mugs(shop)
    await desk.as_("wang")
    page, action = f"/inventory/{mug}", f"/inventory/{mug}/scrap"
    scrap = {"quantity": "5", "note": "Cracked", "form_key": await form_key(desk, page, action)}

    refused, shown = await desk.post(action, scrap, page=page)
    status, _ = await desk.post(action, scrap | {"quantity": "2"}, page=page)

    assert refused == 400
    assert f'name="form_key" value="{scrap["form_key"]}"' in shown  # the same form, kept
    assert status == 200
    assert (await product_stock(mug)).defective == 0


async def test_a_forged_form_key_is_refused_and_changes_nothing(desk: Desk, shop: Shop) -> None:
    request = await open_return(shop)
    await desk.as_("rita")
    page, action = f"/returns/{request.id}", f"/returns/{request.id}/message"

    await desk.post(action, {"text": "Hello", "form_key": "'; DROP TABLE x"}, page=page)

    assert not await Message.exists(request_id=request.id)
    assert not await FormSubmission.exists()
