"""The back-office's login throttle: failed sign-ins counted in the database, so every
instance, and one restarted, holds the same names and addresses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.clock import Clock
from models import LoginFailure

__all__ = ["PRUNE_BATCH", "Blocked", "LoginThrottle"]

# Expired failures deleted per sign-in attempt (each attempt adds at most one).
PRUNE_BATCH = 10


@dataclass(frozen=True)
class Blocked:
    """A sign-in refused unchecked: whether the whole address is held, and for how long."""

    address: bool
    wait: timedelta

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up (never "0 minutes")."""
        return max(1, -(-int(self.wait.total_seconds()) // 60))


class LoginThrottle:
    """Failed sign-ins within ``window``, per user name at one address and per address.

    ``attempts`` failures for one name from one address hold that name there (colleagues
    signing in from the same shop address are not held up); ``address_attempts`` failures
    from one address in all (someone trying name after name) hold every name there. A
    refused attempt is not checked, so it is not counted either: the wait it is told stays
    true. Time comes from ``clock``.

    The failures are ``LoginFailure`` rows, so every instance of the back-office, and one
    restarted, counts the same ones. An attempt is counted as failed before its password is
    checked, and only then compared with the others: of a burst of parallel attempts each
    sees at least those counted before it, so no more than the limit get to a password check.
    The price: attempts of one burst also count each other, so a few may be refused (with
    the full wait) that would have fitted; one person does not race themselves, an attacker
    does.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        attempts: int = 5,
        address_attempts: int = 50,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.clock, self.window = clock, window
        self.attempts, self.address_attempts = attempts, address_attempts

    async def admit(self, username: str, address: str) -> LoginFailure | Blocked:
        """Count this attempt as failed and let it be checked, unless the name or the address
        is held: then say for how long, and count nothing."""
        now = self.clock.now()
        await self._prune(now)
        attempt = await LoginFailure.create(address=address, username=username, failed_at=now)
        held = await self._held(attempt, now)
        if held is not None:
            await attempt.delete()
            return held
        return attempt

    async def succeeded(self, attempt: LoginFailure) -> None:
        """Un-count ``attempt`` and forget the name's failures at its address (the address's
        stay counted)."""
        async with in_transaction():
            await attempt.delete()
            await LoginFailure.filter(address=attempt.address, username=attempt.username).update(
                username=None
            )

    async def _held(self, attempt: LoginFailure, now: datetime) -> Blocked | None:
        others = LoginFailure.filter(
            address=attempt.address, failed_at__gt=now - self.window
        ).exclude(id=attempt.id)
        wait = await self._wait(others, self.address_attempts, now)
        if wait is not None:
            return Blocked(True, wait)
        wait = await self._wait(others.filter(username=attempt.username), self.attempts, now)
        return None if wait is None else Blocked(False, wait)

    async def _wait(
        self, failures: QuerySet[LoginFailure], limit: int, now: datetime
    ) -> timedelta | None:
        """How long until fewer than ``limit`` of ``failures`` are left, if ``limit`` are."""
        oldest_of_limit = await failures.order_by("-failed_at").offset(limit - 1).first()
        return None if oldest_of_limit is None else oldest_of_limit.failed_at + self.window - now

    async def _prune(self, now: datetime) -> None:
        """Delete a few failures the window has left: more than each attempt adds, so the
        table keeps only about a window's worth, without one attempt paying for a backlog."""
        expired = LoginFailure.filter(failed_at__lte=now - self.window).limit(PRUNE_BATCH)
        await LoginFailure.filter(id__in=Subquery(expired.values("id"))).delete()
