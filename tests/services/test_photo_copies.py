"""The local copies of a customer's photos go with the customer's anonymization; their data
export lists the photos without where the server keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from domain.returns import Actor, ReturnType
from models import Attachment, Order, OrderLine
from services import customers
from services.attachments import PhotoFolder, copy_missing_photos, keeping_photos_in
from services.customers import anonymize_customer, export_customer
from services.review import cancel_return
from services.submission import LineRequest, ReturnDraft, submit_return
from tests.factories import ADMIN, REVIEWER, Shop, build_shop, open_return, place_order

JPEG = b"\xff\xd8\xff\xe0" + b"a customer's photo" * 50
YEAR_AND_A_DAY = timedelta(days=366)


@pytest.fixture
def media(tmp_path: Path) -> Iterator[PhotoFolder]:
    with keeping_photos_in(tmp_path / "media") as folder:
        yield folder


@pytest.fixture
async def shop(db, clock) -> Shop:
    return await build_shop(clock)


async def fetch_jpeg(file_id: str) -> bytes | None:
    return JPEG if file_id.startswith("photo") else None


async def copy_all() -> None:
    report = await copy_missing_photos(fetch_jpeg, skip=(), limit=100)
    assert report.copied


def copies(folder: PhotoFolder) -> set[str]:
    return {str(p.relative_to(folder.root)) for p in folder.root.rglob("*") if p.is_file()}


async def finished_request(shop: Shop, photos: tuple[str, ...]) -> int:
    view = await open_return(shop, photos=photos)
    await cancel_return(view.id, actor=REVIEWER, clock=shop.clock)
    return view.id


async def other_customers_request(shop: Shop) -> int:
    delivered = shop.clock.now() - timedelta(days=1)
    await place_order(shop.clock, "SO-2", shop.other.phone, delivered, [("TEE-1", 1, "100.00")])
    order = await Order.get(number="SO-2")
    line = await OrderLine.get(order_id=order.id)
    lines = (LineRequest(line.id, 1),)
    draft = ReturnDraft(order.id, ReturnType.REFUND, "quality_defect", lines, ("photo-other",))
    view = await submit_return(draft, actor=Actor.customer(shop.other.id), clock=shop.clock)
    return view.id


async def test_anonymizing_a_customer_deletes_the_copies_of_their_photos(shop, media):
    await finished_request(shop, ("photo-1", "photo-2", "not-on-telegram"))
    others = await other_customers_request(shop)
    await copy_all()
    [kept] = await Attachment.filter(request_id=others)
    assert len(copies(media)) == 3
    shop.clock.advance(YEAR_AND_A_DAY)

    await anonymize_customer(shop.customer.id, actor=ADMIN, clock=shop.clock)

    assert copies(media) == {kept.local_path}  # a photo never copied is no trouble


async def test_the_copies_stay_when_the_anonymization_does_not_commit(shop, media, monkeypatch):
    await finished_request(shop, ("photo-1",))
    await copy_all()
    before = copies(media)
    shop.clock.advance(YEAR_AND_A_DAY)

    async def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(customers, "record_event", failing)
    with pytest.raises(RuntimeError):
        await anonymize_customer(shop.customer.id, actor=ADMIN, clock=shop.clock)

    assert await Attachment.filter(local_path__in=before).count() == 1
    assert copies(media) == before


async def test_the_export_lists_the_photos_but_not_where_the_server_keeps_them(shop, media):
    request_id = await finished_request(shop, ("photo-1",))
    await copy_all()

    data = await export_customer(shop.customer.id, actor=ADMIN)

    [photo] = data["attachments"]
    assert photo["request_id"] == request_id
    assert photo["telegram_file_id"] == "photo-1"
    assert set(photo) == {"id", "request_id", "message_id", "telegram_file_id", "created_at"}
