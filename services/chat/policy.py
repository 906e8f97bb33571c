"""/policy: the rules that hold for the customer's own orders (the shop's default rule for a
customer not linked yet, or without recent orders)."""

from __future__ import annotations

from domain.policy import PolicyBook
from services.chat.messages import Percent, Reply
from services.chat.orders import not_returnable_names, recent_orders
from services.chat.state import Turn
from services.policies import load_policy_book

Rules = tuple[Reply, ...]


async def show_policy(turn: Turn) -> None:
    """The rules in words; per group of orders when the customer's orders differ in them."""
    book = await load_policy_book()
    groups = await _rules_by_orders(turn, book)
    if len(groups) == 1:
        turn.say("policy.show", rules=groups[0][1])
        return
    parts = tuple(
        Reply(
            "policy.for_orders", {"orders": ", ".join(numbers), "rules": rules}, count=len(numbers)
        )
        for numbers, rules in groups
    )
    turn.say("policy.show", rules=parts)


async def _rules_by_orders(turn: Turn, book: PolicyBook) -> list[tuple[list[str], Rules]]:
    """The customer's recent orders (newest first) grouped by the rules their channel has."""
    orders = await recent_orders(turn.customer_id, turn.now) if turn.linked else []
    if not orders:
        return [([], await channel_rules(book, ""))]
    channels = {order.channel for order in orders}
    by_channel = {channel: await channel_rules(book, channel) for channel in channels}
    groups: list[tuple[list[str], Rules]] = []
    for order in orders:
        rules = by_channel[order.channel]
        group = next((numbers for numbers, shown in groups if shown == rules), None)
        if group is None:
            groups.append(([order.number], rules))
        else:
            group.append(order.number)
    return groups


async def channel_rules(book: PolicyBook, channel: str) -> Rules:
    """What the policy says for orders from ``channel``, one rule per line."""
    policy = book.resolve(channel)
    excluded = await not_returnable_names(book, channel)
    no_reason = {
        "no_reason_days": policy.no_reason_days,
        "fee": Percent(policy.restocking_fee_percent),
    }
    return (
        Reply("policy.no_reason", no_reason),
        Reply("policy.quality", {"quality_days": policy.quality_days}),
        Reply("policy.ship_back", {"ship_back_days": policy.ship_back_days}),
        *((Reply("policy.not_returnable", {"items": excluded}),) if excluded else ()),
        Reply("policy.photos", {"max_photos": policy.max_photos}),
    )
