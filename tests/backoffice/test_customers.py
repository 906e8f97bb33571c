"""Customers: list and search, history with return rate and surveys, export, anonymization."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain.clock import FakeClock
from models import (
    Attachment,
    ChatState,
    Customer,
    JournalLine,
    Message,
    Notification,
    Refund,
    ReturnEvent,
    ReturnRequest,
    Survey,
)
from services.customers import list_customers
from services.followup import reply_to_question, submit_survey
from services.ledger import trial_balance
from services.refunds import refund_return
from services.review import ask_customer, cancel_return, close_return, reject_return
from tests.backoffice.conftest import Desk
from tests.factories import FINANCE, REVIEWER, Shop, customer_of, open_return
from tests.services.test_returns import inspected


async def closed_with_survey(shop: Shop) -> int:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    await close_return(r.id, actor=REVIEWER, clock=shop.clock)
    await submit_survey(r.id, 4, "Quick <b>refund</b>", actor=customer_of(shop), clock=shop.clock)
    return r.id


async def test_customer_list_searches_by_name_and_phone(desk: Desk, shop: Shop) -> None:
    await desk.as_("rita")

    _, by_name = await desk.get("/customers?q=anna")
    _, by_phone = await desk.get("/customers?q=138 0000 0001")

    assert "Anna" in by_name
    assert "Li Lei" not in by_name
    assert "Li Lei" in by_phone
    assert "Anna" not in by_phone


async def test_customer_page_shows_return_rate_and_survey(desk: Desk, shop: Shop) -> None:
    rid = await closed_with_survey(shop)
    await open_return(shop, {"MUG-1": 1})
    await desk.as_("fiona")

    status, page = await desk.get(f"/customers/{shop.customer.id}")

    # bought 2 + 1 + 3 + 1 = 7 units; returned 1 (refunded) + 1 (open) = 2
    assert status == 200
    assert "28.6" in page
    assert "4/5" in page
    assert "Quick &lt;b&gt;refund&lt;/b&gt;" in page
    assert f"/returns/{rid}" in page
    assert "SO-1" in page
    assert "Anonymize" not in page  # admins only


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_customer_list_counts_requests_and_pages_by_id(shop: Shop) -> None:
    await open_return(shop)
    first = await list_customers(size=1)
    rest = await list_customers(before=first.next_cursor, size=1)

    assert [(c.name, c.returns) for c in first.rows + rest.rows] == [("Anna", 0), ("Li Lei", 1)]
    assert rest.next_cursor is None


@pytest.mark.parametrize("path", ["/customers/999999", "/customers/x1"])
async def test_unknown_customer_is_not_found(desk: Desk, path: str) -> None:
    await desk.as_("rita")
    assert (await desk.get(path))[0] == 404


async def test_customer_pages_are_forbidden_to_warehouse(desk: Desk, shop: Shop) -> None:
    await desk.as_("wang")
    assert (await desk.get("/customers"))[0] == 403
    assert (await desk.get(f"/customers/{shop.customer.id}"))[0] == 403


async def test_admin_downloads_everything_held_about_a_customer(desk: Desk, shop: Shop) -> None:
    rid = await closed_with_survey(shop)
    await desk.as_("admin")

    response = await desk.client.get(f"/customers/{shop.customer.id}/export.json")
    data = json.loads(await response.text())

    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert data["customer"]["phone"] == "+8613800000001"
    assert [o["number"] for o in data["orders"]] == ["SO-1"]
    assert [r["id"] for r in data["returns"]] == [rid]
    assert data["refunds"][0]["amount"] == "100.00"
    assert data["surveys"][0]["comment"] == "Quick <b>refund</b>"
    assert {e["action"] for e in data["events"]} >= {"submit", "refund", "close"}


async def test_export_is_for_admins_only(desk: Desk, shop: Shop) -> None:
    await desk.as_("rita")
    assert (await desk.get(f"/customers/{shop.customer.id}/export.json"))[0] == 403
    await desk.as_("admin")
    assert (await desk.get("/customers/999999/export.json"))[0] == 404


async def test_anonymizing_is_refused_while_a_request_is_open(desk: Desk, shop: Shop) -> None:
    await open_return(shop)
    await desk.as_("admin")
    page = f"/customers/{shop.customer.id}"

    status, text = await desk.post(f"{page}/anonymize", {}, page=page)

    assert status == 200
    assert "still has open requests" in text
    assert (await Customer.get(id=shop.customer.id)).name == "Li Lei"


async def test_anonymizing_is_refused_within_the_retention_period(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    r = await open_return(shop)
    await cancel_return(r.id, actor=REVIEWER, clock=clock, reason="duplicate")
    clock.advance(timedelta(days=364))
    await desk.as_("admin")
    page = f"/customers/{shop.customer.id}"

    await desk.post(f"{page}/anonymize", {}, page=page)

    assert (await Customer.get(id=shop.customer.id)).phone == "+8613800000001"


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_anonymizing_wipes_identity_and_keeps_the_figures(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    rid = await closed_with_survey(shop)
    await Customer.filter(id=shop.customer.id).update(
        telegram_user_id=777, external_id="C-1", email="li@example.com"
    )
    await ChatState.create(chat_id=777, customer_id=shop.customer.id, updated_at=clock.now())
    await ReturnRequest.filter(id=rid).update(description="I am Li Lei, call 138 0000 0001")
    await Message.create(
        request_id=rid,
        author="staff:rita",
        from_customer=False,
        text="Dear Li Lei, ...",
        created_at=clock.now(),
    )
    await Attachment.create(request_id=rid, telegram_file_id="face-photo", created_at=clock.now())
    balances, refunds = await trial_balance(), await Refund.all().count()
    lines = await JournalLine.all().count()
    clock.advance(timedelta(days=366))
    await desk.as_("admin")
    page = f"/customers/{shop.customer.id}"

    status, text = await desk.post(f"{page}/anonymize", {}, page=page)

    customer = await Customer.get(id=shop.customer.id)
    assert status == 200
    assert "Anonymized" in text
    assert (customer.name, customer.phone, customer.email) == ("—", f"anon-{customer.id}", "")
    assert (customer.external_id, customer.telegram_user_id) == (None, None)
    assert customer.updated_by == "staff:admin"
    assert not await ChatState.exists(customer_id=customer.id)
    assert (await ReturnRequest.get(id=rid)).description == ""
    assert [m.text for m in await Message.filter(request_id=rid)] == [""]
    assert not await Attachment.exists(request_id=rid)
    assert not await Notification.exists(customer_id=customer.id)
    survey = await Survey.get(request_id=rid)
    assert (survey.score, survey.comment) == (4, "")
    assert await ReturnRequest.filter(customer_id=customer.id).count() == 1
    assert (await trial_balance(), await Refund.all().count()) == (balances, refunds)
    assert await JournalLine.all().count() == lines
    event = await ReturnEvent.filter(request_id=rid).order_by("-id").first()
    assert event is not None
    assert (event.action, event.actor) == ("anonymize_customer", "staff:admin")
    _again, _ = await desk.post(f"{page}/anonymize", {}, page=page)
    assert (await Customer.get(id=customer.id)).updated_at == customer.updated_at


async def test_anonymizing_wipes_what_was_written_in_the_timeline_and_keeps_the_figures(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    refunded = await closed_with_survey(shop)
    asked = await open_return(shop)
    await ask_customer(asked.id, "Li Lei, is the seam torn?", actor=REVIEWER, clock=clock)
    customer = customer_of(shop)
    await reply_to_question(asked.id, "Yes — Li Lei, Room 5", actor=customer, clock=clock)
    await cancel_return(asked.id, actor=customer, clock=clock, reason="Li Lei changed her mind")
    rejected = await open_return(shop)
    await reject_return(rejected.id, "Li Lei's tee was worn", actor=REVIEWER, clock=clock)
    clock.advance(timedelta(days=366))
    await desk.as_("admin")
    page = f"/customers/{shop.customer.id}"

    await desk.post(f"{page}/anonymize", {}, page=page)

    notes = await ReturnEvent.filter(request_id__in=[asked.id, rejected.id]).values_list(
        "action", "note"
    )
    assert {action for action, _ in notes} >= {"ask", "reply", "cancel", "reject"}
    assert [note for _, note in notes if "Li Lei" in note] == []
    refund = await ReturnEvent.get(request_id=refunded, action="refund")
    assert refund.note == f"{(await Refund.get(request_id=refunded)).amount} original"


async def test_anonymize_is_for_admins_only(desk: Desk, shop: Shop) -> None:
    await desk.as_("rita")
    page = f"/customers/{shop.customer.id}"
    assert (await desk.post(f"{page}/anonymize", {}, page=page))[0] == 403
    await desk.as_("admin")
    assert (await desk.post("/customers/999999/anonymize", {}, page=page))[0] == 404
