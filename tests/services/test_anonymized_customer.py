"""An anonymized customer opens no new request: submitting (or previewing) on their behalf is
refused with its own code, which the chat and the back-office put in words."""

from __future__ import annotations

import pytest

from domain.clock import FakeClock
from domain.errors import ValidationError
from domain.returns import ReturnType
from locales import load_catalogs
from models import ReturnRequest
from services.customers import anonymize_customer
from services.submission import LineRequest, ReturnDraft, preview_return, submit_return
from tests.factories import ADMIN, Shop, build_shop, customer_of


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


def tee(shop: Shop) -> ReturnDraft:
    lines = (LineRequest(shop.lines["TEE-1"].id, 1),)
    return ReturnDraft(shop.order.id, ReturnType.REFUND, "changed_mind", lines)


async def test_a_return_for_an_anonymized_customer_is_refused(shop: Shop) -> None:
    """A chat that began before the anonymization still holds the customer's id."""
    await anonymize_customer(shop.customer.id, actor=ADMIN, clock=shop.clock)

    for decide in (submit_return, preview_return):
        with pytest.raises(ValidationError) as refused:
            await decide(tee(shop), actor=customer_of(shop), clock=shop.clock)
        assert refused.value.code == "customer_anonymized"
    assert await ReturnRequest.all().count() == 0


def test_the_chat_says_why_in_every_language() -> None:
    """``confirm`` shows a refused submission as ``error.<code>``."""
    for language, catalog in load_catalogs().items():
        text = catalog.gettext("error.customer_anonymized")
        assert text != "error.customer_anonymized", language
