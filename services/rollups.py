"""Rollups: the sums behind the reports, kept in the same transaction as the facts they sum.

Six tables (``models.analytics``), five keyed by the shop's local month and a few
dimensions, one by status::

    rollup_return    month × product × channel × reason   sold, returned and exchanged units,
                                                           requests (sales have reason "")
    rollup_customer  month × customer × channel           bought and returned units, requests
    rollup_stage     month × stage × channel × hours      visits to a status and their seconds
    rollup_ledger    month × account × channel × type     debits and credits in cents
    rollup_survey    month × channel × score              answers
    rollup_status    status × channel                     requests in the status now

Every table has one *fact query* over the base tables (``_FACTS``): the full rebuild
inserts its result, and the hooks add what one order, request, event, entry or survey
contributes. The hooks are called by the services that move the facts, inside their
transaction:

    upsert_orders            recount_order    (sales; and a changed channel moves everything)
    submit_return            count_return     (returned units, requests)
    receive_return,          recount_return   (the units that arrived replace those asked
      inspect_return                            for; refused ones are no longer returned)
    cancel/reject/expire,    uncount_return   (void requests hold no units)
      inspection refusing all
    record_event             count_status_change  (a status left: its time spent; and
                                                   the request moved between status counts)
    post_entry               count_entry      (refunds, fees, write-offs, exchange differences)
    submit_survey            count_survey

Rows are added to with ``INSERT … ON CONFLICT DO UPDATE`` (one statement per table, rows
in key order, tables in one fixed order, so concurrent transactions lock them alike).
Changing the shop's time zone moves month boundaries: rebuild the rollups afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.ledger import Entry
from domain.returns import VOID_STATUSES, Status
from models import Order, ReturnRequest
from services.policies import load_policy_book
from services.sql import current_connection, dialect, execute_named, fetch_named

__all__ = [
    "TABLES",
    "count_entry",
    "count_return",
    "count_status_change",
    "count_survey",
    "expected_rollups",
    "fetch",
    "local_month",
    "rebuild_rollups",
    "recount_order",
    "recount_return",
    "stored_rollups",
    "uncount_return",
]

T = TypeVar("T")
Key = tuple[Any, ...]
Sums = dict[str, dict[Key, tuple[int, ...]]]
VOID = ", ".join(f"'{status}'" for status in sorted(VOID_STATUSES))
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]


RETURN = Table(
    "rollup_return",
    ("month", "product_id", "channel", "reason"),
    ("sold_units", "returned_units", "exchange_units", "requests", "exchange_requests"),
)
CUSTOMER = Table(
    "rollup_customer",
    ("month", "customer_id", "channel"),
    ("sold_units", "returned_units", "requests"),
)
STAGE = Table("rollup_stage", ("month", "stage", "channel", "hours"), ("visits", "seconds"))
LEDGER = Table(
    "rollup_ledger", ("month", "account", "channel", "type"), ("debit_cents", "credit_cents")
)
SURVEY = Table("rollup_survey", ("month", "channel", "score"), ("surveys",))
STATUS = Table("rollup_status", ("status", "channel"), ("requests",))
# The order in which a transaction touches them (the same everywhere: no lock cycles).
TABLES = (STAGE, STATUS, LEDGER, SURVEY, RETURN, CUSTOMER)


# SQL plumbing ---------------------------------------------------------------------------


def _local_month(zone: ZoneInfo, stored: str | None) -> str | None:
    if stored is None:
        return None
    return datetime.fromisoformat(stored).astimezone(zone).strftime("%Y-%m-01")


def _seconds(later: str | None, earlier: str | None) -> int | None:
    if later is None or earlier is None:
        return None
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)) // SECOND


async def _prepare(db: BaseDBAsyncClient, zone: ZoneInfo) -> None:
    """Give SQLite the two functions PostgreSQL has built in (time zones, intervals)."""
    if db.capabilities.dialect != "sqlite":
        return
    connection = getattr(db, "_connection", None)
    if connection is None:
        await db.execute_query("SELECT 1")
        connection = db._connection  # type: ignore[attr-defined]
    await connection.create_function("rd_month", 1, partial(_local_month, zone), deterministic=True)
    await connection.create_function("rd_seconds", 2, _seconds, deterministic=True)


def _month_sql(column: str, dialect: str) -> str:
    if dialect == "postgres":
        return f"CAST(date_trunc('month', {column} AT TIME ZONE :zone) AS date)"
    return f"rd_month({column})"


def _seconds_sql(later: str, earlier: str, dialect: str) -> str:
    if dialect == "postgres":
        return f"CAST(floor(extract(epoch FROM ({later} - {earlier}))) AS bigint)"
    return f"rd_seconds({later}, {earlier})"


async def fetch(sql: str, zone: ZoneInfo | None = None, **params: Any) -> list[dict[str, Any]]:
    """Run one read query with ``:name`` parameters on the current connection."""
    return await fetch_named(sql, **await _with_zone(zone, params))


async def _execute(sql: str, zone: ZoneInfo | None = None, **params: Any) -> None:
    await execute_named(sql, **await _with_zone(zone, params))


async def _with_zone(zone: ZoneInfo | None, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters, with the shop's zone when the statement works in local months."""
    if zone is None:
        return params
    await _prepare(current_connection(), zone)
    return {"zone": zone.key} | params


def as_month(value: date | datetime | str) -> date:
    """A month key as a date (SQLite hands back text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def local_month(moment: datetime, zone: ZoneInfo) -> date:
    """The first day of ``moment``'s month in the shop's time zone."""
    return moment.astimezone(zone).date().replace(day=1)


async def _zone() -> ZoneInfo:
    return (await load_policy_book()).resolve("").zone


# The fact queries ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which facts to sum: all of them, or one order's or one request's."""

    order_id: int | None = None
    request_id: int | None = None
    include_void: bool = False

    def where(self, *, with_request: bool = True) -> str | None:
        """The condition on aliases ``o`` (order) and ``r`` (request); None: no facts."""
        conditions = []
        if self.order_id is not None:
            conditions.append("o.id = :order_id")
        if self.request_id is not None:
            if not with_request:
                return None
            conditions.append("r.id = :request_id")
        return " AND ".join(conditions) or "1 = 1"

    @property
    def params(self) -> dict[str, int]:
        found = {"order_id": self.order_id, "request_id": self.request_id}
        return {k: v for k, v in found.items() if v is not None}

    def live(self) -> str:
        return "" if self.include_void else f" AND r.status NOT IN ({VOID})"


def _first_line(alias: str = "rl") -> str:
    """1 on a request's first line (lowest id), else 0: counts each request once."""
    return f"CASE WHEN {alias}.id = MIN({alias}.id) OVER (PARTITION BY {alias}.request_id)"


# The units a return line counts as returned: those asked for until the parcel arrives
# (no line of the request received anything yet), then those that arrived, less those the
# inspection refused (sent back). It reads no status, so a request is counted and uncounted
# alike whenever its hooks run.
RETURNED = (
    "CASE WHEN SUM(rl.received_quantity) OVER (PARTITION BY rl.request_id) > 0"
    " THEN rl.received_quantity - rl.refused ELSE rl.quantity END"
)


def _return_facts(scope: Scope, d: str) -> str:
    parts = []
    sales = scope.where(with_request=False)
    if sales is not None:
        parts.append(
            f"SELECT {_month_sql('o.ordered_at', d)} AS month, ol.product_id, o.channel,"
            " '' AS reason, ol.quantity AS sold_units, 0 AS returned_units,"
            " 0 AS exchange_units, 0 AS requests, 0 AS exchange_requests"
            f" FROM order_line ol JOIN customer_order o ON o.id = ol.order_id WHERE {sales}"
        )
    first = _first_line()
    parts.append(
        f"SELECT {_month_sql('r.created_at', d)} AS month, ol.product_id, o.channel,"
        f" r.reason_code AS reason, 0 AS sold_units, {RETURNED} AS returned_units,"
        f" CASE WHEN r.type = 'exchange' THEN {RETURNED} ELSE 0 END AS exchange_units,"
        f" {first} THEN 1 ELSE 0 END AS requests,"
        f" {first} AND r.type = 'exchange' THEN 1 ELSE 0 END AS exchange_requests"
        " FROM return_line rl JOIN return_request r ON r.id = rl.request_id"
        " JOIN order_line ol ON ol.id = rl.order_line_id"
        f" JOIN customer_order o ON o.id = r.order_id WHERE {scope.where()}{scope.live()}"
    )
    return (
        "SELECT month, product_id, channel, reason, SUM(sold_units) AS sold_units,"
        " SUM(returned_units) AS returned_units, SUM(exchange_units) AS exchange_units,"
        " SUM(requests) AS requests, SUM(exchange_requests) AS exchange_requests"
        f" FROM ({' UNION ALL '.join(parts)}) facts GROUP BY month, product_id, channel, reason"
    )


def _customer_facts(scope: Scope, d: str) -> str:
    parts = []
    sales = scope.where(with_request=False)
    if sales is not None:
        parts.append(
            f"SELECT {_month_sql('o.ordered_at', d)} AS month, o.customer_id, o.channel,"
            " ol.quantity AS sold_units, 0 AS returned_units, 0 AS requests"
            f" FROM order_line ol JOIN customer_order o ON o.id = ol.order_id WHERE {sales}"
        )
    parts.append(
        f"SELECT {_month_sql('r.created_at', d)} AS month, r.customer_id, o.channel,"
        f" 0 AS sold_units, {RETURNED} AS returned_units,"
        f" {_first_line()} THEN 1 ELSE 0 END AS requests"
        " FROM return_line rl JOIN return_request r ON r.id = rl.request_id"
        f" JOIN customer_order o ON o.id = r.order_id WHERE {scope.where()}{scope.live()}"
    )
    return (
        "SELECT month, customer_id, channel, SUM(sold_units) AS sold_units,"
        " SUM(returned_units) AS returned_units, SUM(requests) AS requests"
        f" FROM ({' UNION ALL '.join(parts)}) facts GROUP BY month, customer_id, channel"
    )


def _stage_facts(scope: Scope, d: str) -> str:
    # Events that change the status form a chain per request: each one leaves the status
    # the one before it entered, so the time spent is the gap to the previous one.
    spent = _seconds_sql(
        "e.created_at", "LAG(e.created_at) OVER (PARTITION BY e.request_id ORDER BY e.id)", d
    )
    changes = (
        f"SELECT e.from_status, e.created_at, o.channel, {spent} AS spent"
        " FROM return_event e JOIN return_request r ON r.id = e.request_id"
        " JOIN customer_order o ON o.id = r.order_id"
        f" WHERE (e.from_status IS NULL OR e.from_status <> e.to_status) AND {scope.where()}"
    )
    return (
        f"SELECT {_month_sql('c.created_at', d)} AS month, c.from_status AS stage, c.channel,"
        " (c.spent + 3599) / 3600 AS hours, COUNT(*) AS visits, SUM(c.spent) AS seconds"
        f" FROM ({changes}) c WHERE c.from_status IS NOT NULL"
        " GROUP BY 1, 2, 3, 4"
    )


def _ledger_facts(scope: Scope, d: str) -> str:
    return (
        f"SELECT {_month_sql('je.created_at', d)} AS month, jl.account,"
        " COALESCE(o.channel, '') AS channel, COALESCE(r.type, '') AS type,"
        " SUM(CAST(ROUND(jl.debit * 100) AS BIGINT)) AS debit_cents,"
        " SUM(CAST(ROUND(jl.credit * 100) AS BIGINT)) AS credit_cents"
        " FROM journal_line jl JOIN journal_entry je ON je.id = jl.entry_id"
        " LEFT JOIN return_request r ON r.id = je.request_id"
        " LEFT JOIN customer_order o ON o.id = r.order_id"
        f" WHERE {scope.where()} GROUP BY 1, 2, 3, 4"
    )


def _survey_facts(scope: Scope, d: str) -> str:
    return (
        f"SELECT {_month_sql('s.created_at', d)} AS month, o.channel, s.score,"
        " COUNT(*) AS surveys FROM survey s JOIN return_request r ON r.id = s.request_id"
        f" JOIN customer_order o ON o.id = r.order_id WHERE {scope.where()} GROUP BY 1, 2, 3"
    )


def _status_facts(scope: Scope, _d: str) -> str:
    return (
        "SELECT r.status, o.channel, COUNT(*) AS requests FROM return_request r"
        f" JOIN customer_order o ON o.id = r.order_id WHERE {scope.where()}"
        " GROUP BY r.status, o.channel"
    )


_FACTS = {
    RETURN.name: _return_facts,
    CUSTOMER.name: _customer_facts,
    STAGE.name: _stage_facts,
    LEDGER.name: _ledger_facts,
    SURVEY.name: _survey_facts,
    STATUS.name: _status_facts,
}


def _key(table: Table, row: Mapping[str, Any]) -> Key:
    return tuple(
        as_month(row[k]) if k == "month" else (int(row[k]) if k in ("hours", "score") else row[k])
        for k in table.keys
    )


async def _sums(scope: Scope, tables: Iterable[Table], zone: ZoneInfo) -> Sums:
    d = dialect()
    found: Sums = {}
    for table in tables:
        rows = await fetch(_FACTS[table.name](scope, d), zone, **scope.params)
        found[table.name] = {
            _key(table, row): tuple(int(row[m] or 0) for m in table.measures) for row in rows
        }
    return found


def _difference(after: Sums, before: Sums) -> Sums:
    delta: Sums = {}
    for name in set(after) | set(before):
        new, old = after.get(name, {}), before.get(name, {})
        changes = {}
        for key in set(new) | set(old):
            width = len(new.get(key) or old[key])
            change = tuple(
                a - b
                for a, b in zip(new.get(key, (0,) * width), old.get(key, (0,) * width), strict=True)
            )
            if any(change):
                changes[key] = change
        delta[name] = changes
    return delta


def _negate(sums: Sums) -> Sums:
    return {n: {k: tuple(-v for v in vs) for k, vs in rows.items()} for n, rows in sums.items()}


async def _add(sums: Sums) -> None:
    """Add each row's measures to the stored rollup, creating rows as needed."""
    for table in TABLES:
        rows = sorted(sums.get(table.name, {}).items(), key=lambda item: str(item[0]))
        if not rows:
            continue
        columns = table.keys + table.measures
        params: dict[str, Any] = {}
        tuples = []
        for n, (key, measures) in enumerate(rows):
            names = [f"v{n}_{i}" for i in range(len(columns))]
            params.update(zip(names, (*key, *measures), strict=True))
            tuples.append("(" + ", ".join(f":{name}" for name in names) + ")")
        updates = ", ".join(f"{m} = {table.name}.{m} + excluded.{m}" for m in table.measures)
        await _execute(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {', '.join(tuples)}"
            f" ON CONFLICT ({', '.join(table.keys)}) DO UPDATE SET {updates}",
            **params,
        )


# Hooks: each runs inside the caller's transaction -----------------------------------------


async def count_return(request: ReturnRequest) -> None:
    """Add a new request's units and its count (call when it is submitted)."""
    scope = Scope(request_id=request.id, include_void=True)
    await _add(await _sums(scope, (RETURN, CUSTOMER), await _zone()))


async def uncount_return(request: ReturnRequest) -> None:
    """Take a request's units and count back (call when it becomes void)."""
    scope = Scope(request_id=request.id, include_void=True)
    await _add(_negate(await _sums(scope, (RETURN, CUSTOMER), await _zone())))


async def recount_return(request: ReturnRequest, work: Awaitable[T]) -> T:
    """Run ``work`` (which changes the units ``request`` returns: its parcel arrived, or
    was graded) and move its units in the rollups with it."""
    scope, zone = Scope(request_id=request.id, include_void=True), await _zone()
    before = await _sums(scope, (RETURN, CUSTOMER), zone)
    result = await work
    await _add(_difference(await _sums(scope, (RETURN, CUSTOMER), zone), before))
    return result


async def recount_order(number: str, work: Awaitable[T]) -> T:
    """Run ``work`` (which creates or changes order ``number``) and move the rollups with it.

    Sums what the order contributes to every rollup before and after: new lines add sold
    units, and a changed channel, customer or date moves its sales and its requests.
    """
    zone = await _zone()
    before = await _order_sums(number, zone)
    result = await work
    await _add(_difference(await _order_sums(number, zone), before))
    return result


async def _order_sums(number: str, zone: ZoneInfo) -> Sums:
    found = await Order.filter(number=number).values_list("id", flat=True)
    if not found:
        return {}
    return await _sums(Scope(order_id=int(str(found[0]))), TABLES, zone)


async def count_status_change(
    request: ReturnRequest, source: Status | None, target: Status, now: datetime
) -> None:
    """Move the request from ``source`` to ``target`` in the per-status counts and add the
    time it spent in ``source`` (call before recording the event)."""
    if source == target:
        return
    channel = await _channel(request)
    moved: dict[Key, tuple[int, ...]] = {(str(target), channel): (1,)}
    if source is None:
        await _add({STATUS.name: moved})
        return
    moved[(str(source), channel)] = (-1,)
    await _add({STAGE.name: await _stage_visit(request, source, channel, now), STATUS.name: moved})


async def _stage_visit(
    request: ReturnRequest, source: Status, channel: str, now: datetime
) -> dict[Key, tuple[int, ...]]:
    entered = await fetch(
        "SELECT created_at FROM return_event WHERE request_id = :request_id"
        " AND (from_status IS NULL OR from_status <> to_status) ORDER BY id DESC LIMIT 1",
        request_id=request.id,
    )
    if not entered:
        return {}
    since = entered[0]["created_at"]
    since = datetime.fromisoformat(since) if isinstance(since, str) else since
    spent = (now - since) // SECOND
    key = (local_month(now, await _zone()), str(source), channel, -(-spent // 3600))
    return {key: (1, spent)}


async def count_entry(entry: Entry, request: ReturnRequest | None, now: datetime) -> None:
    """Add a journal entry's debits and credits (call when it is posted)."""
    channel = await _channel(request) if request is not None else ""
    kind = str(request.type) if request is not None else ""
    month = local_month(now, await _zone())
    rows: dict[Key, tuple[int, ...]] = defaultdict(lambda: (0, 0))
    for posting in entry.postings:
        key = (month, str(posting.account), channel, kind)
        debit, credit = rows[key]
        rows[key] = (debit + _cents(posting.debit), credit + _cents(posting.credit))
    await _add({LEDGER.name: dict(rows)})


async def count_survey(request: ReturnRequest, score: int, now: datetime) -> None:
    """Add one survey answer (call when the customer scores a request)."""
    key = (local_month(now, await _zone()), await _channel(request), score)
    await _add({SURVEY.name: {key: (1,)}})


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


async def _channel(request: ReturnRequest) -> str:
    found = await Order.filter(id=request.order_id).values_list("channel", flat=True)
    return str(found[0]) if found else ""


# Rebuilding and checking -----------------------------------------------------------------


async def rebuild_rollups() -> None:
    """Recompute every rollup from the base tables, in one transaction (set-based SQL)."""
    zone = await _zone()
    async with in_transaction():
        d = dialect()
        for table in TABLES:
            columns = ", ".join(table.keys + table.measures)
            await _execute(f"DELETE FROM {table.name}")
            await _execute(
                f"INSERT INTO {table.name} ({columns}) SELECT {columns}"
                f" FROM ({_FACTS[table.name](Scope(), d)}) facts",
                zone,
            )


async def expected_rollups() -> Sums:
    """What every rollup should hold, summed afresh from the base tables."""
    return _without_zeros(await _sums(Scope(), TABLES, await _zone()))


async def stored_rollups() -> Sums:
    """What the rollup tables hold (rows that sum to nothing left out)."""
    found: Sums = {}
    for table in TABLES:
        columns = ", ".join(table.keys + table.measures)
        rows = await fetch(f"SELECT {columns} FROM {table.name}")
        found[table.name] = {
            _key(table, row): tuple(int(row[m]) for m in table.measures) for row in rows
        }
    return _without_zeros(found)


def _without_zeros(sums: Sums) -> Sums:
    return {n: {k: v for k, v in rows.items() if any(v)} for n, rows in sums.items()}
