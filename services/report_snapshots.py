"""Report snapshots: the slow report's figures for the standard periods, computed ahead.

``frequent-returners`` sums every customer active in the period (hundreds of thousands of
rollup rows in a big shop), too slow for the dashboard and the reports page. A cluster job
computes it every ``SNAPSHOT_MINUTES`` minutes for the periods shown without choosing one:
the dashboard's (the last ``DASHBOARD_MONTHS`` months) and the reports page's default (the
last ``DEFAULT_MONTHS``), across all channels; ``services.reports`` reads the snapshot when
there is one and says how old it is. Snapshots untouched for a day (a period that is no
longer standard) are dropped.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.clock import Clock
from models import ReportSnapshot
from services.findings import DASHBOARD_MONTHS
from services.policies import load_policy_book
from services.reports import (
    DEFAULT_MONTHS,
    SNAPSHOT_MINUTES,
    Period,
    snapshot_frequent_returners,
)

__all__ = ["refresh_report_snapshots", "standard_periods"]

KEPT_FOR = timedelta(days=1)
# A snapshot younger than half the job's interval was stored by another instance this tick.
FRESH_FOR = timedelta(minutes=SNAPSHOT_MINUTES) / 2


def standard_periods(today: date) -> list[Period]:
    """The periods shown without choosing one: the dashboard's and the reports page's."""
    months = (DASHBOARD_MONTHS, DEFAULT_MONTHS)
    return list(dict.fromkeys(Period.ending(today, count) for count in months))


async def refresh_report_snapshots(clock: Clock) -> int:
    """Store fresh snapshots of the standard periods and drop those older than a day.

    Today is the shop's date; each snapshot is computed and stored in a transaction of its
    own, unless another instance stored it moments ago. Returns how many were stored.
    """
    now = clock.now()
    today = now.astimezone((await load_policy_book()).resolve("").zone).date()
    due = [p for p in standard_periods(today) if not await _fresh(p, now - FRESH_FOR)]
    for period in due:
        await snapshot_frequent_returners(period, now)
    await ReportSnapshot.filter(computed_at__lt=now - KEPT_FOR).delete()
    return len(due)


async def _fresh(period: Period, since: datetime) -> bool:
    """Whether another instance stored the period's snapshot since ``since`` (this tick)."""
    return await ReportSnapshot.exists(
        report="frequent-returners",
        first_month=period.first,
        last_month=period.last,
        channel="",
        computed_at__gt=since,
    )
