"""Jobs that must run once per cluster: an exclusive lease per job name (SPEC §7).

On PostgreSQL the lease is a transaction-level advisory lock (``pg_try_advisory_xact_lock``)
taken on a connection of its own and held while the job runs; an instance that finds it
taken skips that run. The job's own writes commit as usual on other connections, so a job
never holds row locks longer than its service calls do. A crashed process or a lost
connection ends the lock's transaction and frees the lease. SQLite serves one instance,
which just runs the job.

Two instances whose schedules fire together contend for the lease and one of them runs;
one that fires after the other finished runs too, and finds nothing left to do, because
every job is idempotent (dedupe keys on messages, version checks on requests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from models import Notification

__all__ = ["lease_key", "run_exclusively"]

T = TypeVar("T")


def lease_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a job name."""
    digest = hashlib.blake2b(f"returndesk:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def run_exclusively(name: str, job: Callable[[], Awaitable[T]]) -> T | None:
    """Run ``job`` if no other instance runs the job called ``name``; None if one does."""
    client: Any = Notification._meta.db
    if client.capabilities.dialect != "postgres":
        return await job()
    async with client.acquire_connection() as connection, connection.transaction():
        taken = await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", lease_key(name))
        if not taken:
            return None
        return await job()
