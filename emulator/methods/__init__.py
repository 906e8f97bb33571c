"""Bot API methods by their official names."""

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from emulator.methods import messages, misc, updates
from emulator.params import Params
from emulator.state import Hub

Handler = Callable[[Hub, Params], Coroutine[Any, Any, object]]

HANDLERS: Mapping[str, Handler] = messages.HANDLERS | misc.HANDLERS | updates.HANDLERS
BY_LOWER_NAME = {name.lower(): (name, handler) for name, handler in HANDLERS.items()}
