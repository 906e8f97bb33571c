"""Opening a request in the chat: order → items → reason → type → replacement → photos →
description → summary → confirm. Each step has a ``show_*`` (its prompt and buttons) and
handlers for the buttons and messages it accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.errors import DomainError
from domain.policy import (
    DEFAULT_REASONS,
    LineDecision,
    PolicyDecision,
    Refusal,
    last_day,
    reason_label,
)
from domain.returns import ReturnType, Status
from models import Order, OrderLine, Product, ReasonCode
from services.chat.messages import Button, Percent, Reply
from services.chat.orders import (
    LineChoice,
    customer_order_lines,
    lines_by_order,
    order_choice,
    order_choices,
    reason_classes,
    recent_orders,
    replacement_options,
)
from services.chat.state import Turn
from services.policies import active_reason, active_reasons, load_policy_book
from services.submission import (
    LineRequest,
    Preview,
    PreviewLine,
    ReturnDraft,
    preview_return,
    submit_return,
)

MAX_DESCRIPTION = 1000
MAX_QUANTITY_BUTTONS = 10
# the draft's order and its line choices by order line id (as text), loaded once per update
LoadedLines = tuple[Order, dict[str, LineChoice]]


def draft(turn: Turn) -> dict[str, Any]:
    return turn.data.setdefault("draft", {"lines": {}, "photos": [], "replacements": {}})


def has_draft(turn: Turn) -> bool:
    """Whether a request is being opened (an order was chosen) and not yet sent."""
    return bool(turn.data.get("draft", {}).get("order_id"))


async def start_new(turn: Turn, order_number: str = "") -> None:
    """Begin a new request, at the order step or straight at an order from a deep link."""
    turn.reset()
    loaded = None
    if order_number:
        loaded = await _eligible_order(turn, lambda o: o.number == order_number)
    if loaded is not None:
        order = loaded[0]
        draft(turn).update(order_id=order.id, channel=order.channel)
        turn.go("order")  # not shown: Back from the items goes to the order list
        turn.go("items")
        await show_items(turn, loaded)
        return
    turn.go("order")
    await show_orders(turn)


async def _eligible_order(turn: Turn, match: Callable[[Order], bool]) -> LoadedLines | None:
    """The customer's recent order that ``match`` picks, with its lines, if it can be returned."""
    orders = await recent_orders(turn.customer_id, turn.now)
    order = next((o for o in orders if match(o)), None)
    if order is None:
        return None
    book = await load_policy_book()
    lines = (await lines_by_order([order], book))[order.id]
    if not order_choice(order, lines, book, await reason_classes(), turn.now).eligible:
        return None
    return order, {str(line.order_line_id): line for line in lines}


async def show_orders(turn: Turn) -> None:
    choices = await order_choices(turn.customer_id, await load_policy_book(), turn.now)
    if not choices:
        turn.reset()
        turn.say("orders.none")
        return
    lines = tuple(
        Reply(
            f"orders.{c.refusal or 'eligible'}",
            {"number": c.number, "date": c.ordered_at, "until": c.last_day},
        )
        for c in choices
    )
    buttons = tuple(
        (turn.button("button.order", "order", c.order_id, number=c.number),)
        for c in choices
        if c.eligible
    )
    turn.ask(
        Reply(
            "orders.pick", {"orders": lines}, (*buttons, (turn.button("button.cancel", "cancel"),))
        )
    )


async def pick_order(turn: Turn, order_id: str) -> None:
    loaded = await _eligible_order(turn, lambda o: str(o.id) == order_id)
    if loaded is None:
        turn.notice = "notice.unavailable"
        return
    order = loaded[0]
    draft(turn).update(order_id=order.id, channel=order.channel, lines={}, replacements={})
    turn.go("items")
    await show_items(turn, loaded)


async def _line_choices(turn: Turn) -> LoadedLines:
    """The draft's order and its lines by id (as text), for a handler and the step it shows."""
    book = await load_policy_book()
    order, lines = await customer_order_lines(draft(turn)["order_id"], turn.customer_id, book)
    return order, {str(line.order_line_id): line for line in lines}


async def show_items(turn: Turn, loaded: LoadedLines | None = None) -> None:
    order, lines = loaded or await _line_choices(turn)
    chosen = draft(turn)["lines"]
    rows = []
    for line in lines.values():
        if line.offered:
            key = "button.item_chosen" if str(line.order_line_id) in chosen else "button.item"
            params = {
                "name": line.name,
                "available": line.available,
                "chosen": chosen.get(str(line.order_line_id), 0),
            }
            rows.append((turn.button(key, "item", line.order_line_id, **params),))
    if chosen:
        rows.append((turn.button("button.continue", "items_done"),))
    turn.ask(_items_question(order.number, lines.values(), (*rows, turn.nav())))


def _items_question(
    number: str, lines: Iterable[LineChoice], rows: tuple[tuple[Button, ...], ...]
) -> Reply:
    """Which items, naming those of the order that cannot be chosen and why."""
    unavailable = tuple(
        Reply(
            "items.not_returnable" if not line.returnable else "items.all_returned",
            {"name": line.name},
        )
        for line in lines
        if not line.returnable or line.available < 1
    )
    if not unavailable:
        return Reply("items.pick", {"number": number}, rows)
    return Reply("items.pick_except", {"number": number, "unavailable": unavailable}, rows)


async def pick_item(turn: Turn, line_id: str) -> None:
    loaded = await _line_choices(turn)
    line = loaded[1].get(line_id)
    if line is None or not line.offered:
        turn.notice = "notice.unavailable"
        return
    if line.available == 1:
        draft(turn)["lines"][line_id] = 1
        await show_items(turn, loaded)
        return
    turn.go("quantity", line_id=line_id)
    await show_quantity(turn, loaded)


async def show_quantity(turn: Turn, loaded: LoadedLines | None = None) -> None:
    lines = (loaded or await _line_choices(turn))[1]
    line = lines[turn.data["line_id"]]
    numbers = [
        turn.labelled(str(n), "qty", n)
        for n in range(1, min(line.available, MAX_QUANTITY_BUTTONS) + 1)
    ]
    rows = tuple(tuple(numbers[i : i + 5]) for i in range(0, len(numbers), 5))
    turn.ask(
        Reply(
            "quantity.pick", {"name": line.name, "available": line.available}, (*rows, turn.nav())
        )
    )


async def set_quantity(turn: Turn, raw: str) -> None:
    loaded = await _line_choices(turn)
    line = loaded[1][turn.data["line_id"]]
    if not raw.strip().isdecimal() or not 1 <= int(raw) <= line.available:
        turn.say("error.quantity", available=line.available)
        await show_quantity(turn, loaded)
        return
    draft(turn)["lines"][turn.data["line_id"]] = int(raw)
    turn.back()
    await show_items(turn, loaded)


def customer_label(reason: ReasonCode, language: str) -> str | None:
    """What the customer reads for a reason: the admin's label in their language; else, for a
    built-in reason, None (the catalog's ``reason.<code>``); else the English label or code."""
    if reason.code in DEFAULT_REASONS and not reason.labels.get(language):
        return None
    return reason_label(reason.labels, language, reason.code)


def _reason_words(code: str, label: str | None) -> Reply | str:
    return Reply(f"reason.{code}") if label is None else label


async def show_reasons(turn: Turn) -> None:
    reasons = await active_reasons()
    language, nonce = turn.state.language, turn.data["nonce"]
    rows = tuple(
        (Button(f"reason.{r.code}", f"{nonce}:reason:{r.code}", label=customer_label(r, language)),)
        for r in reasons
    )
    turn.ask(Reply("reason.pick", {}, (*rows, turn.nav())))


async def pick_reason(turn: Turn, code: str) -> None:
    reason = await active_reason(code)
    if reason is None:
        turn.notice = "notice.unavailable"
        return
    label = customer_label(reason, turn.state.language)
    closed_on = await _window_closed_on(turn, code)
    if closed_on is not None:
        turn.say("reason.window_closed", reason=_reason_words(code, label), until=closed_on)
        await show_reasons(turn)
        return
    draft(turn).update(reason=code, reason_class=reason.policy_class, reason_label=label)
    turn.go("type")
    await show_types(turn)


async def _preview_as_refund(turn: Turn, reason: str, lines: tuple[LineRequest, ...]) -> Preview:
    """``lines`` of the draft decided for ``reason`` as a refund, before the type and any
    replacement are chosen: neither changes a line's window or restocking fee."""
    items = ReturnDraft(draft(turn)["order_id"], ReturnType.REFUND, reason, lines)
    return await preview_return(items, actor=turn.actor, clock=turn.clock)


async def _window_closed_on(turn: Turn, code: str) -> date | None:
    """The last day of the return period for this reason, when it is over for every chosen
    item (the policy's own verdict on the items so far); None while any may still go back."""
    lines = _line_requests(draft(turn), replacements=False)
    try:
        decision = (await _preview_as_refund(turn, code, lines)).decision
    except DomainError:  # the summary explains what is wrong with the items themselves
        return None
    closed = [_closed_until(line) for line in decision.lines]
    if not closed or None in closed:
        return None
    return max(day for day in closed if day is not None)


def _closed_until(line: LineDecision) -> date | None:
    refused = {refusal.code for refusal in line.refusals}
    if refused != {"window_closed"} or line.window_ends_at is None:
        return None
    return last_day(line.window_ends_at)


async def show_types(turn: Turn) -> None:
    kinds = (
        turn.button("button.refund", "type", "refund"),
        turn.button("button.exchange", "type", "exchange"),
    )
    turn.ask(Reply("type.pick", {}, (kinds, turn.nav())))


async def pick_type(turn: Turn, kind: str) -> None:
    if kind not in ("refund", "exchange"):
        turn.notice = "notice.unavailable"
        return
    draft(turn).update(type=kind, replacements={})
    if kind == "exchange":
        turn.go("replacement")
        await show_replacements(turn)
    else:
        turn.go("photos")
        await show_photos(turn)


def _next_line_without_replacement(turn: Turn) -> str | None:
    """The first chosen line that still needs a replacement (None: all have one)."""
    d = draft(turn)
    return next((line_id for line_id in d["lines"] if line_id not in d["replacements"]), None)


async def show_replacements(turn: Turn) -> None:
    line_id = _next_line_without_replacement(turn)
    if line_id is None:  # asked again after every line got one: choose afresh
        draft(turn)["replacements"] = {}
        line_id = _next_line_without_replacement(turn)
        assert line_id is not None  # a draft at this step has at least one line
    quantity = draft(turn)["lines"][line_id]
    try:
        returned = await _returned_line(turn, line_id)
    except DomainError as error:  # the items changed meanwhile, as the summary would say
        turn.say(f"error.{error.code}", **error.params)
        turn.reset()
        return
    line = await OrderLine.get(id=int(line_id))
    options = await replacement_options(line, quantity)
    rows = tuple(
        (
            turn.button(
                "button.replacement",
                "swap",
                p.id,
                name=p.name,
                price=p.price,
                difference=difference(_swapped(returned, p).exchange_difference),
            ),
        )
        for p in options
    )
    turn.ask(_replacement_question(returned, bool(options), (*rows, turn.nav())))


async def _returned_line(turn: Turn, line_id: str) -> PreviewLine:
    """The chosen line as the summary counts it: its credit is its price less any
    restocking fee (a line's fee depends on no other line of the draft)."""
    request = LineRequest(int(line_id), draft(turn)["lines"][line_id])
    preview = await _preview_as_refund(turn, draft(turn)["reason"], (request,))
    return preview.lines[0]


def _swapped(returned: PreviewLine, product: Product) -> PreviewLine:
    return replace(returned, replacement_name=product.name, replacement_price=product.price)


def _replacement_question(
    returned: PreviewLine, offered: bool, rows: tuple[tuple[Button, ...], ...]
) -> Reply:
    """Which replacement; with a restocking fee, what the returned item counts for."""
    params: dict[str, Any] = {"name": returned.name, "price": returned.unit_price}
    if not offered:
        return Reply("replacement.none", params, rows)
    if not returned.restocking_fee_percent:
        return Reply("replacement.pick", params, rows)
    fee = {"fee": Percent(returned.restocking_fee_percent), "credit": returned.credit}
    return Reply("replacement.pick_fee", params | fee, rows)


async def pick_replacement(turn: Turn, product_id: str) -> None:
    line_id = _next_line_without_replacement(turn)
    if line_id is None:
        turn.notice = "notice.unavailable"
        return
    line = await OrderLine.get(id=int(line_id))
    options = {str(p.id) for p in await replacement_options(line, draft(turn)["lines"][line_id])}
    if product_id not in options:
        turn.notice = "notice.unavailable"
        return
    draft(turn)["replacements"][line_id] = int(product_id)
    if _next_line_without_replacement(turn) is not None:
        turn.go("replacement")  # fresh buttons: the previous line's must not choose for this one
        await show_replacements(turn)
        return
    turn.go("photos")
    await show_photos(turn)


async def _photo_rules(turn: Turn) -> tuple[bool, int]:
    """Whether a photo is required and how many may be sent: the order's channel policy."""
    d = draft(turn)
    if "reason_class" not in d:  # a draft begun before the class was kept in it
        d["reason_class"] = (await ReasonCode.get(code=d["reason"])).policy_class
    if "channel" not in d:  # a draft begun before the channel was kept in it
        d["channel"] = (await Order.get(id=d["order_id"])).channel
    policy = (await load_policy_book()).resolve(d["channel"])
    required = d["reason_class"] == "quality" and policy.quality_photo_required
    return required, policy.max_photos


async def show_photos(turn: Turn) -> None:
    count = len(draft(turn)["photos"])
    required, most = await _photo_rules(turn)
    done = "button.photos_done" if count else "button.skip"
    rows = (
        ((turn.button(done, "photos_done"),), turn.nav())
        if count or not required
        else (turn.nav(),)
    )
    key = "photos.required" if required else "photos.optional"
    if count >= most:  # no more may come: only the button goes on
        key = "photos.full"
    turn.ask(Reply(key, {"max": most, "count": count}, rows, count=count))


async def expected_at_photos(turn: Turn) -> str:
    """What the photo step waits for, said when something else came: a photo first, when
    the reason needs one and none came yet (no button goes on before it)."""
    required, _most = await _photo_rules(turn)
    return "expect.photo_first" if required and not draft(turn)["photos"] else "expect.photos"


async def add_photo(turn: Turn, file_id: str) -> None:
    photos = draft(turn)["photos"]
    _required, most = await _photo_rules(turn)
    if len(photos) >= most:
        turn.refuse_photo(most)
    else:
        photos.append(file_id)
        d = draft(turn)
        d["description"] = turn.with_caption(d.get("description", ""), MAX_DESCRIPTION)
    await show_photos(turn)


async def photos_done(turn: Turn) -> None:
    required, _most = await _photo_rules(turn)
    if required and not draft(turn)["photos"]:
        turn.say("error.photo_required")
        await show_photos(turn)
        return
    turn.go("description")
    await show_description(turn)


async def show_description(turn: Turn) -> None:
    """Ask for a description; one written already (the photos' captions) is shown, to keep,
    drop, or replace by writing another."""
    kept = draft(turn).get("description", "")
    if not kept:
        skip = (turn.button("button.skip", "describe"),)
        turn.ask(Reply("description.ask", {"max": MAX_DESCRIPTION}, (skip, turn.nav())))
        return
    keep = (turn.button("button.keep_description", "describe", "keep"),)
    drop = (turn.button("button.drop_description", "describe"),)
    params = {"text": kept, "max": MAX_DESCRIPTION}
    turn.ask(Reply("description.kept", params, (keep, drop, turn.nav())))


async def keep_description(turn: Turn, choice: str) -> None:
    """Go on with the description written so far ("keep"), or with none."""
    await describe(turn, draft(turn).get("description", "") if choice == "keep" else "")


async def describe(turn: Turn, text: str) -> None:
    """Keep the description (the router has held it to ``MAX_DESCRIPTION``)."""
    draft(turn)["description"] = text.strip()
    turn.go("summary")
    await show_summary(turn)


def to_draft(turn: Turn) -> ReturnDraft:
    d = draft(turn)
    return ReturnDraft(
        d["order_id"],
        ReturnType(d["type"]),
        d["reason"],
        _line_requests(d),
        tuple(d["photos"]),
        d.get("description", ""),
    )


def _line_requests(d: dict[str, Any], *, replacements: bool = True) -> tuple[LineRequest, ...]:
    chosen = d.get("replacements", {}) if replacements else {}
    return tuple(
        LineRequest(int(line_id), quantity, chosen.get(line_id))
        for line_id, quantity in d["lines"].items()
    )


async def show_summary(turn: Turn) -> None:
    try:
        preview = await preview_return(to_draft(turn), actor=turn.actor, clock=turn.clock)
    except DomainError as error:
        turn.say(f"error.{error.code}", **error.params)
        turn.reset()
        return
    params = {
        "items": tuple(_summary_item(line) for line in preview.lines),
        "reason": _reason_words(draft(turn)["reason"], draft(turn).get("reason_label")),
        "decision": _decision(preview.decision),
    }
    buttons = (
        ((turn.button("button.confirm", "confirm"),), turn.nav())
        if preview.decision.eligible
        else (turn.nav(),)
    )
    turn.ask(Reply("summary.show", params, buttons))


def _summary_item(line: PreviewLine) -> Reply:
    params: dict[str, Any] = {"name": line.name, "quantity": line.quantity}
    value = line.unit_price * line.quantity
    fee = Percent(line.restocking_fee_percent)
    if line.replacement_price is not None:
        params |= {
            "replacement": line.replacement_name,
            "difference": difference(line.exchange_difference),
        }
        if not line.restocking_fee_percent:
            return Reply("summary.exchange_item", params)
        amounts = {"value": value, "fee": fee, "credit": line.credit}
        return Reply("summary.exchange_item_fee", params | amounts)
    if not line.restocking_fee_percent:
        return Reply("summary.refund_item", params | {"amount": value})
    amounts = {"value": value, "fee": fee, "amount": line.credit}
    return Reply("summary.refund_item_fee", params | amounts)


def _decision(decision: PolicyDecision) -> Reply:
    if not decision.eligible:
        codes = [r for r in decision.refusals] + [
            r for line in decision.lines for r in line.refusals
        ]
        return Reply("decision.refused", {"why": tuple(_refusal(r) for r in codes)})
    fee = max((line.restocking_fee_percent for line in decision.lines), default=Decimal(0))
    return Reply(
        "decision.eligible",
        {
            "shipping": Reply(f"shipping.{decision.shipping_paid_by}"),
            "fee": Percent(fee),
            "approval": Reply("decision.auto" if decision.auto_approved else "decision.review"),
            "days": decision.ship_back_days,
        },
    )


def _refusal(refusal: Refusal) -> Reply:
    """One of the policy's reasons, its window's end as the last day the customer had."""
    params: dict[str, Any] = dict(refusal.params)
    if refusal.code == "window_closed":
        params["until"] = last_day(datetime.fromisoformat(params["until"]))
    return Reply(f"refusal.{refusal.code}", params)


async def confirm(turn: Turn) -> None:
    try:
        view = await submit_return(to_draft(turn), actor=turn.actor, clock=turn.clock)
    except DomainError as error:
        turn.say(
            f"error.{error.code}", **{k: v for k, v in error.params.items() if k != "refusals"}
        )
        await show_summary(turn)
        return
    turn.reset()
    # an auto-approved request: the approval with its instructions follows from the outbox,
    # the same message as when staff approve, so the chat does not say it first
    waiting = view.status is Status.SUBMITTED
    turn.say("submitted.review" if waiting else "submitted.sent", number=view.number)


def difference(amount: Decimal) -> Reply:
    """Who pays an exchange's price difference, in words: the customer, the shop, or nobody."""
    if amount > 0:
        return Reply("difference.pay", {"amount": amount})
    if amount < 0:
        return Reply("difference.back", {"amount": -amount})
    return Reply("difference.none")
