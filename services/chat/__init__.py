"""The customer's conversation with the shop's bot, as a service (SPEC §5).

``handle_incoming`` takes one parsed update and returns what to say, as ``Reply`` values
(message keys and parameters, never words): the bot adapter renders them in the customer's
language. Where the customer stands lives in one ``ChatState`` row per chat, written in the
same transaction as any business change, so a restart or another instance carries on from
the same step and a repeated update is processed once.
"""

from services.chat.messages import Button, Incoming, Outcome, Percent, Reply
from services.chat.router import handle_incoming

__all__ = ["Button", "Incoming", "Outcome", "Percent", "Reply", "handle_incoming"]
