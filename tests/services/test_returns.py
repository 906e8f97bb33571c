"""Opening, reviewing, following and ending return requests (SPEC §2), on SQLite and PostgreSQL.

Expected figures are worked out by hand from the factory's shop: TEE-1 sold at 100.00 (cost
40.00, 20 in stock), TEE-2 at 150.00 (cost 60.00), CAP-1 listed at 60.00 but sold at 55.00
(cost 20.00, 4 in stock, low-stock threshold 3), MUG-1 at 80.00, SOAP-1 not returnable.

The reading helpers at the top are shared with the other service tests of returns.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.clock import FakeClock
from domain.errors import (
    ConcurrentModification,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    PolicyViolation,
    ValidationError,
)
from domain.ledger import Account
from domain.returns import Action, Actor, ReturnType, Status
from domain.stock import Location
from models import (
    Attachment,
    JournalEntry,
    JournalLine,
    Message,
    Notification,
    Payment,
    Product,
    Refund,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    StockLevel,
    StockMovement,
    Survey,
)
from services.followup import add_tracking_number, reply_to_question, submit_survey
from services.ledger import is_balanced, trial_balance
from services.policies import save_policy_rule
from services.refunds import refund_return, ship_replacement
from services.review import (
    approve_return,
    ask_customer,
    cancel_return,
    close_return,
    expire_return,
    reject_return,
)
from services.submission import LineRequest, ReturnDraft, returnable_quantities, submit_return
from services.views import ReturnView
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import (
    ADMIN,
    FINANCE,
    REVIEWER,
    SYSTEM,
    WAREHOUSE,
    Shop,
    build_shop,
    customer_of,
    open_return,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- Reading what happened -----------------------------------------------------------------


async def level(shop: Shop, sku: str, location: Location) -> int:
    row = await StockLevel.get(product_id=shop.products[sku].id, location=location)
    return row.quantity


async def levels(shop: Shop, sku: str) -> dict[Location, int]:
    rows = await StockLevel.filter(product_id=shop.products[sku].id)
    return {Location(row.location): row.quantity for row in rows}


def stock(sellable: int, reserved: int = 0, quarantine: int = 0, defective: int = 0) -> dict:
    return {
        Location.SELLABLE: sellable,
        Location.RESERVED: reserved,
        Location.QUARANTINE: quarantine,
        Location.DEFECTIVE: defective,
    }


async def events(return_id: int) -> list[tuple[str, str, Status | None, Status]]:
    rows = await ReturnEvent.filter(request_id=return_id).order_by("id")
    return [(e.actor, e.action, e.from_status, e.to_status) for e in rows]


async def last_event(return_id: int) -> ReturnEvent:
    return await ReturnEvent.filter(request_id=return_id).order_by("-id").first()


async def movements(return_id: int) -> list[tuple[str, str, str | None, str | None, int]]:
    rows = (
        await StockMovement.filter(return_request_id=return_id)
        .order_by("id")
        .prefetch_related("product")
    )
    return [
        (
            m.product.sku,
            str(m.kind),
            m.source and str(m.source),
            m.target and str(m.target),
            m.quantity,
        )
        for m in rows
    ]


async def entry(return_id: int, memo_start: str) -> dict[Account, tuple[Decimal, Decimal]]:
    """The one journal entry of the request whose memo starts so: account -> (debit, credit)."""
    entries = await JournalEntry.filter(request_id=return_id, memo__startswith=memo_start)
    assert len(entries) == 1, [e.memo for e in entries]
    lines = await JournalLine.filter(entry_id=entries[0].id)
    assert len({line.account for line in lines}) == len(lines)
    return {Account(line.account): (line.debit, line.credit) for line in lines}


def dr(amount: str) -> tuple[Decimal, Decimal]:
    return (Decimal(amount), Decimal("0"))


def cr(amount: str) -> tuple[Decimal, Decimal]:
    return (Decimal("0"), Decimal(amount))


async def notes(template: str) -> list[Notification]:
    return await Notification.filter(template=template).order_by("id")


async def assert_books_true() -> None:
    """The trial balance is zero and every stock level equals the sum of its movements."""
    assert is_balanced(await trial_balance())
    assert len(set(await Notification.all().values_list("dedupe_key", flat=True))) == (
        await Notification.all().count()
    )
    for row in await StockLevel.all():
        moved = 0
        for m in await StockMovement.filter(product_id=row.product_id):
            moved += m.quantity * ((m.target == row.location) - (m.source == row.location))
        assert row.quantity == moved, (row.product_id, row.location)
        assert row.quantity >= 0


async def snapshot(return_id: int) -> dict[str, object]:
    """Everything an action could have written, to show a refused one wrote nothing."""
    request = await ReturnRequest.get(id=return_id)
    lines = await ReturnLine.filter(request_id=return_id).order_by("id")
    journal = await JournalLine.all().values_list("debit", "credit")
    return {
        "status": request.status,
        "version": request.version,
        "deadline": request.deadline_at,
        "tracking": (request.tracking_number, request.replacement_tracking),
        "lines": [(x.received_quantity, x.resellable, x.defective, x.refused) for x in lines],
        "events": await ReturnEvent.all().count(),
        "movements": sorted(
            await StockMovement.all().values_list("product_id", "kind", "quantity")
        ),
        "levels": sorted(
            (p, str(loc), q)
            for p, loc, q in await StockLevel.all().values_list(
                "product_id", "location", "quantity"
            )
        ),
        "journal": (len(journal), sum(d for d, _ in journal), sum(c for _, c in journal)),
        "notifications": sorted(await Notification.all().values_list("dedupe_key", flat=True)),
        "refunds": sorted(await Refund.all().values_list("amount", flat=True)),
        "payments": sorted(await Payment.all().values_list("amount", flat=True)),
        "messages": await Message.all().count(),
        "attachments": await Attachment.all().count(),
        "surveys": await Survey.all().count(),
        "requests": await ReturnRequest.all().count(),
    }


async def only_line(return_id: int) -> ReturnLine:
    return await ReturnLine.get(request_id=return_id)


# --- Driving a request along -------------------------------------------------------------


async def approved(shop: Shop, items: dict[str, int] | None = None, **kwargs: object) -> ReturnView:
    r = await open_return(shop, items, **kwargs)
    return await approve_return(r.id, actor=REVIEWER, clock=shop.clock)


async def received(shop: Shop, items: dict[str, int] | None = None, **kwargs: object) -> ReturnView:
    r = await approved(shop, items, **kwargs)
    lines = await ReturnLine.filter(request_id=r.id)
    counts = {line.id: line.quantity for line in lines}
    return await receive_return(r.id, counts, actor=WAREHOUSE, clock=shop.clock)


async def inspected(
    shop: Shop, items: dict[str, int] | None = None, **kwargs: object
) -> ReturnView:
    """Receive every unit and grade them all A."""
    r = await received(shop, items, **kwargs)
    lines = await ReturnLine.filter(request_id=r.id)
    grades = {line.id: Grades(resellable=line.quantity) for line in lines}
    return await inspect_return(r.id, grades, actor=WAREHOUSE, clock=shop.clock)


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


# --- confirm: (chat draft) -> submitted ------------------------------------------------------


async def test_confirm_submits_with_policy_snapshot_and_tells_staff(shop: Shop) -> None:
    r = await open_return(shop, {"TEE-1": 2}, reason="quality_defect", photos=("p1", "p2"))

    assert r.status is Status.SUBMITTED
    assert r.number == "RMA-2026-000001"
    assert r.version == 1
    assert await events(r.id) == [
        (f"customer:{shop.customer.id}", "submit", None, Status.SUBMITTED)
    ]
    stored = await ReturnRequest.get(id=r.id)
    snap = stored.policy_decision
    assert snap["reason_class"] == "quality"
    assert snap["shipping_paid_by"] == "shop"
    assert snap["auto_approved"] is False
    assert snap["refusals"] == []
    assert snap["lines"][0]["order_line_id"] == shop.lines["TEE-1"].id
    # quality window: 15 days from the day after delivery (8 March, Shanghai) -> 24 March 00:00
    assert snap["lines"][0]["window_ends_at"] == "2026-03-24T00:00:00+08:00"
    assert snap["lines"][0]["restocking_fee_percent"] == "0"
    line = await only_line(r.id)
    assert (line.quantity, line.replacement_product_id) == (2, None)
    assert await Attachment.filter(request_id=r.id).count() == 2
    [staff] = await Notification.all()
    assert (staff.template, staff.staff_chat, staff.customer_id) == ("return_submitted", True, None)
    assert staff.dedupe_key == "staff:RMA-2026-000001:return_submitted:1"
    assert await StockMovement.filter(return_request_id=r.id).count() == 0
    assert await JournalLine.all().count() == 0


async def test_second_request_gets_next_rma_number(shop: Shop) -> None:
    first = await open_return(shop, {"TEE-1": 1})
    second = await open_return(shop, {"MUG-1": 1})
    assert (first.number, second.number) == ("RMA-2026-000001", "RMA-2026-000002")


async def test_auto_approval_submits_then_approves_by_system(shop: Shop) -> None:
    await save_policy_rule("default", "", {"auto_approve": True}, actor=ADMIN)

    r = await open_return(shop, {"TEE-1": 1}, reason="quality_defect", photos=("p1",))

    assert r.status is Status.APPROVED
    assert r.version == 2
    assert r.decision.auto_approved is True
    assert await events(r.id) == [
        (f"customer:{shop.customer.id}", "submit", None, Status.SUBMITTED),
        ("auto_approval", "approve", Status.SUBMITTED, Status.APPROVED),
    ]
    assert r.deadline_at == shop.clock.now() + timedelta(days=14)
    assert [n.template for n in await Notification.all().order_by("id")] == [
        "return_submitted",
        "return_approved",
    ]


async def test_auto_approval_of_an_exchange_reserves_the_replacement(shop: Shop) -> None:
    await save_policy_rule("default", "", {"auto_approve": True}, actor=ADMIN)

    r = await open_return(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")

    assert r.status is Status.APPROVED
    assert await levels(shop, "TEE-2") == stock(sellable=19, reserved=1)
    assert await movements(r.id) == [("TEE-2", "reserve", "sellable", "reserved", 1)]


async def test_auto_approval_skips_reason_it_does_not_cover(shop: Shop) -> None:
    await save_policy_rule("default", "", {"auto_approve": True}, actor=ADMIN)

    r = await open_return(shop, {"TEE-1": 1}, reason="changed_mind", photos=())

    assert r.status is Status.SUBMITTED
    assert len(await events(r.id)) == 1


async def test_auto_approval_off_by_default_leaves_request_for_review(shop: Shop) -> None:
    r = await open_return(shop, {"TEE-1": 1})
    assert r.status is Status.SUBMITTED
    assert r.decision.auto_approved is False


async def _refused_at_submission(shop: Shop, **kwargs: object) -> list[str]:
    with pytest.raises(PolicyViolation) as caught:
        await open_return(shop, **kwargs)
    assert caught.value.code == "policy_violation"
    assert await ReturnRequest.all().count() == 0
    assert await Notification.all().count() == 0
    return caught.value.params["refusals"]


async def test_no_reason_window_closes_at_midnight_after_seven_full_days(shop: Shop) -> None:
    # delivered 8 March 12:00 Shanghai: 9..15 March are the 7 days, closing 16 March 00:00 local
    shop.clock.set(datetime(2026, 3, 16, 0, 0, tzinfo=SHANGHAI))
    refusals = await _refused_at_submission(shop, reason="changed_mind", photos=())
    assert refusals == ["window_closed"]

    shop.clock.set(datetime(2026, 3, 15, 23, 59, 59, tzinfo=SHANGHAI))
    r = await open_return(shop, reason="changed_mind", photos=())
    assert r.status is Status.SUBMITTED
    assert r.decision.lines[0].window_ends_at == datetime(2026, 3, 16, tzinfo=SHANGHAI)


async def test_quality_window_stays_open_fifteen_days(shop: Shop) -> None:
    shop.clock.set(datetime(2026, 3, 23, 23, 59, tzinfo=SHANGHAI))
    r = await open_return(shop, {"TEE-1": 1}, reason="quality_defect")
    assert r.status is Status.SUBMITTED

    shop.clock.set(datetime(2026, 3, 24, 0, 0, tzinfo=SHANGHAI))
    with pytest.raises(PolicyViolation) as caught:
        await open_return(shop, {"MUG-1": 1}, reason="quality_defect")
    assert caught.value.params["refusals"] == ["window_closed"]


async def test_non_returnable_sku_is_refused(shop: Shop) -> None:
    refusals = await _refused_at_submission(shop, items={"SOAP-1": 1})
    assert refusals == ["not_returnable"]


async def test_quality_reason_without_photo_is_refused(shop: Shop) -> None:
    refusals = await _refused_at_submission(shop, reason="wrong_item", photos=())
    assert refusals == ["photo_required"]


async def test_no_reason_return_needs_no_photo(shop: Shop) -> None:
    r = await open_return(shop, reason="size_fit", photos=())
    assert r.decision.shipping_paid_by == "customer"


async def test_quantity_over_what_was_bought_is_refused(shop: Shop) -> None:
    with pytest.raises(ValidationError) as caught:
        await open_return(shop, {"TEE-1": 3})
    assert caught.value.code == "quantity_exceeds_available"
    assert caught.value.params["available"] == 2
    assert await ReturnRequest.all().count() == 0


async def test_quantity_is_counted_across_requests_until_one_is_cancelled(shop: Shop) -> None:
    first = await open_return(shop, {"TEE-1": 1})
    with pytest.raises(ValidationError) as caught:
        await open_return(shop, {"TEE-1": 2})
    assert caught.value.params["available"] == 1
    assert await ReturnRequest.all().count() == 1

    await cancel_return(first.id, actor=customer_of(shop), clock=shop.clock)
    second = await open_return(shop, {"TEE-1": 2})
    assert second.status is Status.SUBMITTED


async def test_quantity_held_by_finished_return_stays_held(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 2})
    assert r.status is Status.INSPECTED
    with pytest.raises(ValidationError):
        await open_return(shop, {"TEE-1": 1})


async def test_units_that_never_arrived_can_be_returned_again(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 2})
    [line] = await ReturnLine.filter(request_id=r.id)
    with pytest.raises(ValidationError):  # both units are held while the parcel is awaited
        await open_return(shop, {"TEE-1": 1})

    await receive_return(r.id, {line.id: 1}, actor=WAREHOUSE, clock=shop.clock)

    assert await returnable_quantities([line.order_line_id]) == {line.order_line_id: 1}
    again = await open_return(shop, {"TEE-1": 1})  # the unit still at the customer's
    assert again.status is Status.SUBMITTED
    with pytest.raises(ValidationError) as caught:
        await open_return(shop, {"TEE-1": 1})
    assert caught.value.params["available"] == 0


async def test_another_customers_order_is_not_found(shop: Shop) -> None:
    draft = ReturnDraft(
        shop.order.id,
        ReturnType.REFUND,
        "quality_defect",
        (LineRequest(shop.lines["TEE-1"].id, 1),),
        ("p1",),
    )
    with pytest.raises(NotFound) as caught:
        await submit_return(draft, actor=Actor.customer(shop.other.id), clock=shop.clock)
    assert caught.value.code == "order_not_found"
    assert await ReturnRequest.all().count() == 0


# --- approve: submitted -> approved -----------------------------------------------------------


async def test_approve_sets_deadline_and_instructs_customer(shop: Shop) -> None:
    r = await open_return(shop, {"TEE-1": 1})
    r = await approve_return(r.id, actor=REVIEWER, clock=shop.clock)

    assert r.status is Status.APPROVED
    assert r.version == 2
    assert r.deadline_at == datetime(2026, 3, 24, 4, 0, tzinfo=UTC)
    assert (await events(r.id))[-1] == ("staff:rita", "approve", Status.SUBMITTED, Status.APPROVED)
    [told] = await notes("return_approved")
    assert (told.customer_id, told.staff_chat) == (shop.customer.id, False)
    assert told.params["deadline"] == "2026-03-24T04:00:00+00:00"
    assert told.params["shipping_paid_by"] == "shop"
    assert told.dedupe_key == "RMA-2026-000001:return_approved:2"
    assert await movements(r.id) == []
    assert await levels(shop, "TEE-1") == stock(sellable=20)


async def test_approve_exchange_reserves_replacement(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")

    assert await movements(r.id) == [("TEE-2", "reserve", "sellable", "reserved", 2)]
    assert await levels(shop, "TEE-2") == stock(sellable=18, reserved=2)
    assert await levels(shop, "TEE-1") == stock(sellable=20)
    await assert_books_true()


async def test_low_stock_alert_is_raised_once_per_crossing(shop: Shop) -> None:
    # CAP-1: 4 sellable, threshold 3. Each exchange of a MUG-1 for a CAP-1 reserves one.
    def exchange_mug() -> dict:
        return {"items": {"MUG-1": 1}, "kind": ReturnType.EXCHANGE, "replacement": "CAP-1"}

    first = await approved(shop, **exchange_mug())  # 4 -> 3: crosses
    assert await level(shop, "CAP-1", Location.SELLABLE) == 3
    [alert] = await notes("low_stock")
    assert (alert.staff_chat, alert.customer_id) == (True, None)
    assert alert.params == {"sku": "CAP-1", "name": "Product CAP-1", "quantity": 3}

    second = await approved(shop, **exchange_mug())  # 3 -> 2: already under
    assert await level(shop, "CAP-1", Location.SELLABLE) == 2
    assert len(await notes("low_stock")) == 1

    await cancel_return(first.id, actor=REVIEWER, clock=shop.clock)
    await cancel_return(second.id, actor=REVIEWER, clock=shop.clock)  # back to 4, no alert
    assert await level(shop, "CAP-1", Location.SELLABLE) == 4
    assert len(await notes("low_stock")) == 1

    await approved(shop, **exchange_mug())  # 4 -> 3 again: a new crossing
    assert len(await notes("low_stock")) == 2
    await assert_books_true()


async def test_approve_exchange_without_enough_stock_changes_nothing(shop: Shop) -> None:
    # CAP-1 has 4: 3 MUG-1 -> 3 CAP-1 reserves 3, leaving 1 for 2 TEE-1 -> 2 CAP-1.
    await approved(shop, {"MUG-1": 3}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    assert await levels(shop, "CAP-1") == stock(sellable=1, reserved=3)
    r = await open_return(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    before = await snapshot(r.id)

    with pytest.raises(InsufficientStock) as caught:
        await approve_return(r.id, actor=REVIEWER, clock=shop.clock)

    assert caught.value.params == {"sku": "CAP-1", "location": "sellable", "wanted": 2}
    assert await snapshot(r.id) == before
    await assert_books_true()


# --- reject: submitted -> rejected ----------------------------------------------------------


async def test_reject_records_reason_and_tells_customer(shop: Shop) -> None:
    r = await open_return(shop)
    r = await reject_return(r.id, "  Photo shows wear  ", actor=REVIEWER, clock=shop.clock)

    assert r.status is Status.REJECTED
    event = await last_event(r.id)
    assert (event.actor, event.action, event.from_status, event.to_status) == (
        "staff:rita",
        "reject",
        Status.SUBMITTED,
        Status.REJECTED,
    )
    assert event.note == "Photo shows wear"
    [told] = await notes("return_rejected")
    assert told.customer_id == shop.customer.id
    assert told.params["reason"] == "Photo shows wear"


async def test_reject_without_reason_is_refused(shop: Shop) -> None:
    r = await open_return(shop)
    before = await snapshot(r.id)
    with pytest.raises(ValidationError) as caught:
        await reject_return(r.id, "   ", actor=REVIEWER, clock=shop.clock)
    assert caught.value.code == "text_required"
    assert await snapshot(r.id) == before


async def test_rejected_request_frees_its_quantity(shop: Shop) -> None:
    r = await open_return(shop, {"TEE-1": 2})
    await reject_return(r.id, "No", actor=REVIEWER, clock=shop.clock)
    again = await open_return(shop, {"TEE-1": 2})
    assert again.status is Status.SUBMITTED


# --- ask / reply: submitted <-> needs_info ---------------------------------------------------


async def test_ask_relays_question_to_customer(shop: Shop) -> None:
    r = await open_return(shop)
    r = await ask_customer(r.id, "Which size did you order?", actor=REVIEWER, clock=shop.clock)

    assert r.status is Status.NEEDS_INFO
    assert (await events(r.id))[-1] == ("staff:rita", "ask", Status.SUBMITTED, Status.NEEDS_INFO)
    [message] = await Message.filter(request_id=r.id)
    assert (message.from_customer, message.text, message.author) == (
        False,
        "Which size did you order?",
        "staff:rita",
    )
    [told] = await notes("question_asked")
    assert told.customer_id == shop.customer.id
    assert told.params["question"] == "Which size did you order?"


async def test_reply_goes_back_to_review_with_text_and_photos(shop: Shop) -> None:
    r = await open_return(shop)
    await ask_customer(r.id, "Show the label?", actor=REVIEWER, clock=shop.clock)
    r = await reply_to_question(
        r.id, "Here it is", ("label-1", "label-2"), actor=customer_of(shop), clock=shop.clock
    )

    assert r.status is Status.SUBMITTED
    assert r.version == 3
    event = await last_event(r.id)
    assert (event.actor, event.action, event.from_status, event.to_status, event.note) == (
        f"customer:{shop.customer.id}",
        "reply",
        Status.NEEDS_INFO,
        Status.SUBMITTED,
        "Here it is",
    )
    reply = await Message.filter(request_id=r.id, from_customer=True).get()
    assert reply.text == "Here it is"
    assert await Attachment.filter(message_id=reply.id).count() == 2
    [told] = await notes("customer_replied")
    assert (told.staff_chat, told.customer_id) == (True, None)


async def test_reply_with_photos_only_is_accepted(shop: Shop) -> None:
    r = await open_return(shop)
    await ask_customer(r.id, "Photo please", actor=REVIEWER, clock=shop.clock)
    r = await reply_to_question(r.id, "", ("p9",), actor=customer_of(shop), clock=shop.clock)
    assert r.status is Status.SUBMITTED


# --- cancel: submitted, needs_info, approved -> cancelled -----------------------------------


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.NEEDS_INFO, Status.APPROVED])
async def test_customer_cancel_releases_reservations_and_tells_staff(
    shop: Shop, status: Status
) -> None:
    r = await open_return(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    if status is Status.NEEDS_INFO:
        await ask_customer(r.id, "Why?", actor=REVIEWER, clock=shop.clock)
    if status is Status.APPROVED:
        await approve_return(r.id, actor=REVIEWER, clock=shop.clock)

    r = await cancel_return(r.id, actor=customer_of(shop), clock=shop.clock)

    assert r.status is Status.CANCELLED
    assert (await events(r.id))[-1] == (
        f"customer:{shop.customer.id}",
        "cancel",
        status,
        Status.CANCELLED,
    )
    assert await levels(shop, "TEE-2") == stock(sellable=20)
    expected = (
        []
        if status is not Status.APPROVED
        else [
            ("TEE-2", "reserve", "sellable", "reserved", 2),
            ("TEE-2", "release", "reserved", "sellable", 2),
        ]
    )
    assert await movements(r.id) == expected
    [told] = await notes("return_cancelled_by_customer")
    assert (told.staff_chat, told.customer_id) == (True, None)
    assert await notes("return_cancelled") == []
    await assert_books_true()


async def test_staff_cancel_tells_customer_why(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    r = await cancel_return(r.id, actor=ADMIN, clock=shop.clock, reason="Out of season")

    assert r.status is Status.CANCELLED
    event = await last_event(r.id)
    assert (event.actor, event.note) == ("staff:admin", "Out of season")
    [told] = await notes("return_cancelled")
    assert (told.customer_id, told.params["reason"]) == (shop.customer.id, "Out of season")
    assert await levels(shop, "TEE-2") == stock(sellable=20)


# --- add tracking number: approved -> approved -----------------------------------------------


async def test_tracking_number_is_recorded_for_staff(shop: Shop) -> None:
    r = await approved(shop)
    r = await add_tracking_number(r.id, " SF1234567890 ", actor=customer_of(shop), clock=shop.clock)

    assert r.status is Status.APPROVED
    assert r.version == 3
    assert r.tracking_number == "SF1234567890"
    assert (await events(r.id))[-1] == (
        f"customer:{shop.customer.id}",
        "add_tracking",
        Status.APPROVED,
        Status.APPROVED,
    )
    [told] = await notes("tracking_added")
    assert told.staff_chat is True
    assert told.params["tracking_number"] == "SF1234567890"


async def test_malformed_tracking_number_is_refused(shop: Shop) -> None:
    r = await approved(shop)
    before = await snapshot(r.id)
    with pytest.raises(ValidationError):
        await add_tracking_number(r.id, "SF 12", actor=customer_of(shop), clock=shop.clock)
    assert await snapshot(r.id) == before


# --- expire: approved -> cancelled (system, after the deadline) ------------------------------


async def test_expire_before_deadline_is_refused_and_changes_nothing(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    shop.clock.advance(timedelta(days=14) - timedelta(seconds=1))
    before = await snapshot(r.id)

    with pytest.raises(InvalidTransition) as caught:
        await expire_return(r.id, clock=shop.clock)

    assert caught.value.code == "deadline_not_passed"
    assert await snapshot(r.id) == before


async def test_expire_after_deadline_cancels_and_releases(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    shop.clock.advance(timedelta(days=14))

    r = await expire_return(r.id, clock=shop.clock)

    assert r.status is Status.CANCELLED
    assert (await events(r.id))[-1] == ("expiry", "expire", Status.APPROVED, Status.CANCELLED)
    assert await levels(shop, "TEE-2") == stock(sellable=20)
    [told] = await notes("return_expired")
    assert told.customer_id == shop.customer.id
    await assert_books_true()


async def test_ship_back_days_from_policy_set_the_deadline(shop: Shop) -> None:
    settings = {"ship_back_days": 5, "reminder_days": [3]}  # reminders come before it
    await save_policy_rule("channel", "web", settings, actor=ADMIN)
    r = await approved(shop)
    assert r.deadline_at == shop.clock.now() + timedelta(days=5)
    shop.clock.advance(timedelta(days=5))
    assert (await expire_return(r.id, clock=shop.clock)).status is Status.CANCELLED


# --- close: refunded, exchanged -> closed; survey once --------------------------------------


async def _refunded(shop: Shop) -> ReturnView:
    r = await inspected(shop)
    return await refund_return(r.id, actor=FINANCE, clock=shop.clock)


async def test_system_closes_only_after_auto_close_days(shop: Shop) -> None:
    r = await _refunded(shop)
    shop.clock.advance(timedelta(days=7) - timedelta(seconds=1))
    before = await snapshot(r.id)
    with pytest.raises(InvalidTransition) as caught:
        await close_return(r.id, actor=SYSTEM, clock=shop.clock)
    assert caught.value.code == "close_not_due"
    assert await snapshot(r.id) == before

    shop.clock.advance(timedelta(seconds=1))
    r = await close_return(r.id, actor=SYSTEM, clock=shop.clock)

    assert r.status is Status.CLOSED
    assert (await events(r.id))[-1] == ("system", "close", Status.REFUNDED, Status.CLOSED)
    [survey] = await notes("survey")
    assert survey.customer_id == shop.customer.id
    assert survey.due_at == shop.clock.now() + timedelta(days=2)


async def test_exchanged_request_closes_after_auto_close_days_from_shipping(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    shop.clock.advance(timedelta(days=3))
    await ship_replacement(r.id, "SF7777", actor=WAREHOUSE, clock=shop.clock)
    shop.clock.advance(timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(InvalidTransition):
        await close_return(r.id, actor=SYSTEM, clock=shop.clock)
    shop.clock.advance(timedelta(seconds=1))
    r = await close_return(r.id, actor=SYSTEM, clock=shop.clock)
    assert (await events(r.id))[-1] == ("system", "close", Status.EXCHANGED, Status.CLOSED)
    assert len(await notes("survey")) == 1


async def test_auto_close_days_come_from_policy(shop: Shop) -> None:
    await save_policy_rule("default", "", {"auto_close_days": 3}, actor=ADMIN)
    r = await _refunded(shop)
    shop.clock.advance(timedelta(days=3))
    assert (await close_return(r.id, actor=SYSTEM, clock=shop.clock)).status is Status.CLOSED


async def test_staff_may_close_at_once(shop: Shop) -> None:
    r = await _refunded(shop)
    r = await close_return(r.id, actor=REVIEWER, clock=shop.clock)
    assert r.status is Status.CLOSED
    assert (await events(r.id))[-1] == ("staff:rita", "close", Status.REFUNDED, Status.CLOSED)


async def test_survey_is_scheduled_and_answered_once_after_close(shop: Shop) -> None:
    r = await _refunded(shop)
    with pytest.raises(InvalidTransition):
        await submit_survey(r.id, 5, actor=customer_of(shop), clock=shop.clock)
    await close_return(r.id, actor=ADMIN, clock=shop.clock)
    with pytest.raises(InvalidTransition):
        await close_return(r.id, actor=ADMIN, clock=shop.clock)
    assert len(await notes("survey")) == 1

    await submit_survey(r.id, 4, "Quick", actor=customer_of(shop), clock=shop.clock)
    with pytest.raises(InvalidTransition) as caught:
        await submit_survey(r.id, 1, actor=customer_of(shop), clock=shop.clock)

    assert caught.value.code == "survey_already_answered"
    [answer] = await Survey.all()
    assert (answer.request_id, answer.score, answer.comment) == (r.id, 4, "Quick")


async def test_survey_by_someone_else_is_not_found(shop: Shop) -> None:
    r = await _refunded(shop)
    await close_return(r.id, actor=ADMIN, clock=shop.clock)
    with pytest.raises(NotFound):
        await submit_survey(r.id, 5, actor=Actor.customer(shop.other.id), clock=shop.clock)
    assert await Survey.all().count() == 0


# --- two staff at once -------------------------------------------------------------------------


async def test_stale_version_is_told_the_request_changed(shop: Shop) -> None:
    r = await open_return(shop)
    await ask_customer(r.id, "Size?", actor=REVIEWER, clock=shop.clock, expected_version=1)
    await reply_to_question(r.id, "M", actor=customer_of(shop), clock=shop.clock)
    before = await snapshot(r.id)
    with pytest.raises(ConcurrentModification) as caught:
        await approve_return(r.id, actor=REVIEWER, clock=shop.clock, expected_version=1)
    assert caught.value.code == "changed_meanwhile"
    assert await snapshot(r.id) == before


@pytest.mark.postgres
async def test_two_reviewers_at_once_exactly_one_wins(pg_db: str, clock: FakeClock) -> None:
    shop = await build_shop(clock)
    r = await open_return(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    results = await asyncio.gather(
        approve_return(r.id, actor=REVIEWER, clock=clock),
        approve_return(r.id, actor=ADMIN, clock=clock),
        return_exceptions=True,
    )
    wins = [x for x in results if isinstance(x, ReturnView)]
    losses = [x for x in results if isinstance(x, Exception)]
    assert len(wins) == 1
    assert len(losses) == 1
    assert isinstance(losses[0], ConcurrentModification | InvalidTransition)
    assert [e[1] for e in await events(r.id)] == ["submit", "approve"]
    assert await level(shop, "TEE-2", Location.RESERVED) == 1
    assert len(await notes("return_approved")) == 1


async def test_product_price_change_does_not_change_refund_base(shop: Shop) -> None:
    """The customer gets back what they paid, not today's list price (CAP-1: paid 55, lists 60)."""
    await Product.filter(sku="CAP-1").update(price=Decimal("99.00"))
    r = await inspected(shop, {"CAP-1": 1})
    assert await entry(r.id, "Inspection") == {
        Account.SALES_RETURNS: dr("55.00"),
        Account.REFUNDS_PAYABLE: cr("55.00"),
        Account.INVENTORY: dr("20.00"),
        Account.COST_OF_GOODS_SOLD: cr("20.00"),
    }


def test_every_action_has_a_lifecycle_test() -> None:
    """Guard: the table and this file stay in step (record_payment and the rest live nearby)."""
    covered = {
        Action.APPROVE,
        Action.REJECT,
        Action.ASK,
        Action.REPLY,
        Action.CANCEL,
        Action.ADD_TRACKING,
        Action.EXPIRE,
        Action.CLOSE,
    }
    elsewhere = {  # tests/services/test_warehouse.py and test_refunds.py
        Action.RECEIVE,
        Action.INSPECT,
        Action.REFUND,
        Action.RECORD_PAYMENT,
        Action.SHIP_REPLACEMENT,
    }
    assert covered | elsewhere == set(Action)


async def test_expiry_spares_a_request_whose_parcel_is_on_its_way(db, clock):
    from datetime import timedelta

    from domain.errors import InvalidTransition
    from services.followup import add_tracking_number
    from services.review import approve_return, expire_return
    from tests.factories import REVIEWER, build_shop, customer_of, open_return

    shop = await build_shop(clock)
    view = await approve_return((await open_return(shop)).id, actor=REVIEWER, clock=clock)
    await add_tracking_number(view.id, "SF12345678", actor=customer_of(shop), clock=clock)
    clock.advance(timedelta(days=30))
    with pytest.raises(InvalidTransition) as refused:
        await expire_return(view.id, clock=clock)
    assert refused.value.code == "parcel_on_its_way"
