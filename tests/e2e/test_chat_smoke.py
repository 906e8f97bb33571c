from models import ReturnRequest
from tests.e2e.conftest import customer


async def test_refund_with_a_photo_end_to_end(desk):
    li = customer(desk)
    await li.command("start")
    welcome = await li.reply()
    assert "share your phone" in welcome["text"]
    await li.share_contact()
    assert "linked" in (await li.reply())["text"]
    await li.reply()  # help
    await li.command("new")
    orders = await li.reply()
    await li.press(orders, "SO-1")
    items = await li.reply()
    await li.press(items, "Product TEE-1")
    qty = await li.reply()
    await li.press(qty, "1")
    items = await li.reply()
    await li.press(items, "Continue")
    reasons = await li.reply()
    await li.press(reasons, "Quality defect")
    kinds = await li.reply()
    await li.press(kinds, "Refund")
    photos = await li.reply()
    assert "photo" in photos["text"]
    await li.photo()
    photos = await li.reply()
    await li.press(photos, "Done")
    description = await li.reply()
    assert "Anything else" in description["text"]
    await li.say("The seam is torn <b>badly</b>")
    summary = await li.reply()
    assert "allowed" in summary["text"]
    await li.press(summary, "Confirm")
    done = await li.reply()
    request = await ReturnRequest.get()
    assert request.number in done["text"]
    assert request.description == "The seam is torn <b>badly</b>"
