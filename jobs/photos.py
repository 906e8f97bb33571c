"""Local copies of customer photos (SPEC §1), made through the bot soon after they arrive."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain.clock import Clock
from services.attachments import (
    CopyReport,
    Fetch,
    copy_missing_photos,
    remove_unfinished_copies,
)

log = logging.getLogger(__name__)
BATCH = 20
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(days=1)
# a copy still being written after this long was interrupted (no photo takes so long)
UNFINISHED_AFTER = timedelta(hours=1)


class PhotoCopier:
    """Copy up to ``batch`` photos per run.

    A photo that could not be copied waits before this instance tries it again, a minute
    at first and twice as long after each failure, up to a day: photos Telegram no longer
    has neither take every run's batch nor fill the log. The first run also deletes what
    copies interrupted by a crash left behind.
    """

    def __init__(self, fetch: Fetch, *, batch: int = BATCH) -> None:
        self._fetch, self._batch = fetch, batch
        self._waits: dict[int, tuple[timedelta, datetime]] = {}  # id → (last wait, retry at)
        self._swept = False

    async def __call__(self, clock: Clock) -> int:
        """Copy one batch; return how many photos were copied."""
        now = clock.now()
        if not self._swept:
            await self._sweep(now)
        waiting = [i for i, (_, retry_at) in self._waits.items() if retry_at > now]
        report = await copy_missing_photos(self._fetch, skip=waiting, limit=self._batch)
        self._note(report, now)
        return len(report.copied)

    async def _sweep(self, now: datetime) -> None:
        removed = await remove_unfinished_copies(now - UNFINISHED_AFTER)
        if removed:
            log.info("removed %s unfinished photo copies left by an interrupted run", removed)
        self._swept = True

    def _note(self, report: CopyReport, now: datetime) -> None:
        for attachment_id in report.copied:
            self._waits.pop(attachment_id, None)
        reasons: dict[str, list[int]] = {}
        for attachment_id, why_not in report.failed:
            last = self._waits.get(attachment_id, (FIRST_WAIT / 2, now))[0]
            wait = min(last * 2, LONGEST_WAIT)
            self._waits[attachment_id] = (wait, now + wait)
            reasons.setdefault(why_not, []).append(attachment_id)
        for why_not, ids in reasons.items():
            listed = ", ".join(map(str, ids))
            log.warning("photos %s not copied, tried again later: %s", listed, why_not)
