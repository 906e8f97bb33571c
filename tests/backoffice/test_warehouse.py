"""Receiving and inspecting from the request page: bad forms are refused with words, not 404s."""

from __future__ import annotations

import pytest

from models import ReturnLine, StaffUser
from tests.backoffice.conftest import Desk
from tests.factories import Shop, open_return
from tests.security.conftest import everything
from tests.services.test_returns import approved, only_line, received

REFUSED = '<p class="flash error" role="status">{}</p>'
NOT_ON_THE_REQUEST = "That line is not part of this request."


async def line_of_another_request(shop: Shop) -> int:
    other = await open_return(shop, {"MUG-1": 1})
    return (await only_line(other.id)).id


def receipt(line: int, unknown: int) -> dict[str, str]:
    return {f"received_{line}": "1", f"received_{unknown}": "1"}


def inspection(line: int, unknown: int) -> dict[str, str]:
    grades = {f"a_{line}": "1", f"b_{line}": "0", f"r_{line}": "0"}
    return grades | {f"a_{unknown}": "1", f"b_{unknown}": "0", f"r_{unknown}": "0"}


FORMS = {"receive": (approved, receipt), "inspect": (received, inspection)}


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
@pytest.mark.parametrize("action", list(FORMS))
@pytest.mark.parametrize("unknown", ["missing", "another request's"])
async def test_a_line_not_on_the_request_is_refused_with_words_and_changes_nothing(
    desk: Desk, shop: Shop, action: str, unknown: str
) -> None:
    drive, form = FORMS[action]
    r = await drive(shop, {"TEE-1": 1})
    line = await only_line(r.id)
    stranger = 987654 if unknown == "missing" else await line_of_another_request(shop)
    page = f"/returns/{r.id}"
    await desk.as_("wang")
    before = await everything()

    status, shown = await desk.post(
        f"{page}/{action}", {"version": str(r.version), **form(line.id, stranger)}, page=page
    )

    assert status == 200  # back on the request page, not a 404
    assert REFUSED.format(NOT_ON_THE_REQUEST) in shown
    assert await everything() == before


async def test_the_refusal_is_in_the_staff_members_language(desk: Desk, shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 1})
    line = await only_line(r.id)
    await StaffUser.filter(username="wang").update(language="zh_Hans")
    page = f"/returns/{r.id}"
    await desk.as_("wang")

    _, shown = await desk.post(f"{page}/receive", receipt(line.id, 987654), page=page)

    assert REFUSED.format("该商品行不属于此申请。") in shown
    assert (await ReturnLine.get(id=line.id)).received_quantity == 0
