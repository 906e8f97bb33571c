"""The `returndesk` command."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from gettext import GNUTranslations
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from tqdm import tqdm

from backoffice.names import REFUSAL_DETAILS
from backoffice.refusals import Refusal, refusal_of
from domain.clock import SystemClock
from domain.errors import DomainError
from domain.returns import Actor
from locales import compile_catalog
from returndesk.database import connected, migrate
from returndesk.logs import configure_logging
from returndesk.runtime import PARTS, Plan, StartupError, run
from returndesk.settings import Settings, SettingsError, load_settings
from services.demo import DEMO_CUSTOMER_PHONE, seed_demo, shop_is_empty
from services.imports import FIELDS, ImportRejected, ImportResult, import_file, read_csv
from services.report_files import to_csv, to_json, to_table
from services.reports import REPORTS, Period, ReportFilter, build_report
from services.rollups import rebuild_rollups
from services.staff import create_staff_user_from_console

T = TypeVar("T")
MIN_SECRET_KEY = 32


def _settings(ctx: click.Context) -> Settings:
    return ctx.ensure_object(dict)["settings"]


def _run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    async def inside() -> T:
        async with connected(settings.database_url):
            return await work()

    return asyncio.run(inside())


@contextmanager
def _progress(total: int, unit: str) -> Iterator[Callable[[int], object]]:
    with tqdm(total=total, unit=unit, disable=not sys.stderr.isatty(), leave=False) as bar:
        yield bar.update


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """ReturnDesk: the return and exchange desk of a shop that sells through Telegram."""
    try:
        ctx.ensure_object(dict)["settings"] = load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@main.command("migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Apply the database migrations."""
    settings = _settings(ctx)
    asyncio.run(migrate(settings.database_url))
    click.echo("Database is up to date.")


@main.command("import")
@click.argument("kind", type=click.Choice(sorted(FIELDS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, kind: str, path: Path) -> None:
    """Import a CSV file of products, customers or orders: all rows or none."""
    rows = read_csv_or_fail(path, kind)
    actor = Actor.system(f"import:{path.name}")

    async def work() -> ImportResult:
        with _progress(len(rows), "row") as tick:
            clock = SystemClock()
            return await import_file(
                kind, rows, source=path.name, actor=actor, clock=clock, progress=tick
            )

    try:
        result = _run(_settings(ctx), work)
    except ImportRejected as rejected:
        _report_rejection(path, rejected)
    click.echo(
        f"{path.name}: {result.created} created, {result.updated} updated,"
        f" {result.unchanged} unchanged."
    )


def read_csv_or_fail(path: Path, kind: str) -> list[tuple[int, Any]]:
    try:
        return read_csv(path.read_text(encoding="utf-8"), kind)
    except UnicodeDecodeError:
        raise click.ClickException(f"{path.name} is not UTF-8 text") from None
    except ImportRejected as rejected:
        _report_rejection(path, rejected)


def _english() -> GNUTranslations:
    """The back-office's English words: the command words refusals as its pages do."""
    return compile_catalog("en", domain="backoffice")


def _report_rejection(path: Path, rejected: ImportRejected) -> NoReturn:
    english = _english()
    for error in rejected.errors:
        words = _in_words(refusal_of(error.reason, error.params), english)
        click.echo(f"{path.name}:{error.line}: {words}", err=True)
    raise click.ClickException(f"nothing imported: {len(rejected.errors)} bad row(s)")


def _in_words(refusal: Refusal, catalog: GNUTranslations) -> str:
    """A refusal in the back-office's words (a bad row's as the import page words it), then
    its field and details (named as the page names them, where it does)."""
    details = [refusal.field] if refusal.field else []
    for name, value in refusal.params.items():
        label = catalog.gettext(REFUSAL_DETAILS[name]) if name in REFUSAL_DETAILS else name
        details.append(f"{label}: {value}")
    words = catalog.gettext(refusal.message)
    return f"{words} ({'; '.join(details)})" if details else words


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, help="reviewer, warehouse, finance or admin"
)
@click.option("--language", default="en", type=click.Choice(["en", "zh_Hans", "ru"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_add(
    ctx: click.Context, username: str, roles: tuple[str, ...], language: str, password_stdin: bool
) -> None:
    """Create a staff account (the password is asked for, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        _run(
            _settings(ctx),
            lambda: create_staff_user_from_console(
                username, password, roles, language=language, clock=SystemClock()
            ),
        )
    except DomainError as error:
        raise click.ClickException(f"{error.code}: {error.params}") from None
    click.echo(f"Created {username} ({', '.join(sorted(roles))}).")


@main.command("seed-demo")
@click.pass_context
def seed_demo_command(ctx: click.Context) -> None:
    """Fill an empty database with the demo shop."""
    settings = _settings(ctx)
    asyncio.run(migrate(settings.database_url))
    shop = _seed(settings)
    _print_demo(shop)


def _seed(settings: Settings) -> Any:
    async def work() -> Any:
        if not await shop_is_empty():
            raise click.ClickException(
                "the database already has products; seed-demo wants an empty one"
            )
        with _progress(45, "return") as tick:
            return await seed_demo(datetime.now(UTC), progress=tick)

    return _run(settings, work)


def _print_demo(shop: Any) -> None:
    click.echo(
        f"Demo shop: {shop.products} products, {shop.customers} customers, "
        f"{shop.orders} orders, {shop.returns} returns."
    )
    for username, password in shop.passwords.items():
        click.echo(f"  staff login  {username:<10} {password}")


@main.command("demo")
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Start the demo: SQLite, demo data, the bot against a built-in Telegram emulator."""
    settings = _settings(ctx)
    if not settings.secret_key:
        settings = replace(settings, secret_key=secrets.token_urlsafe(32))
    asyncio.run(migrate(settings.database_url))
    if _run(settings, shop_is_empty):
        _print_demo(_seed(settings))
    else:
        click.echo("Demo data is already there (delete the database file to start afresh).")
    click.echo(
        "Play a customer in the chat page: the user Demo customer has the phone number "
        f"{DEMO_CUSTOMER_PHONE}; press Share my contact to link the chat to their orders."
    )
    _run_until_stopped(settings, Plan(demo=True))


@main.command("serve")
@click.option(
    "--only",
    "parts",
    multiple=True,
    type=click.Choice(PARTS),
    help="Run only these parts (repeat it); all of them by default.",
)
@click.option("--log-json", is_flag=True, help="Log JSON lines (for log collectors).")
@click.pass_context
def serve_command(ctx: click.Context, parts: tuple[str, ...], log_json: bool) -> None:
    """Run ReturnDesk: back-office, API, webhook, bot and scheduler (or some of them)."""
    settings = _settings(ctx)
    if len(settings.secret_key) < MIN_SECRET_KEY:
        raise click.ClickException(
            f"RETURNDESK_SECRET_KEY is required ({MIN_SECRET_KEY}+ characters)"
        )
    configure_logging(json_lines=log_json)
    _run_until_stopped(settings, Plan(frozenset(parts or PARTS)))


def _run_until_stopped(settings: Settings, plan: Plan) -> None:
    """Run the planned parts; a configuration they cannot start with ends in one line."""
    try:
        asyncio.run(run(settings, plan))
    except StartupError as error:
        raise click.ClickException(str(error)) from None


def _month_option(value: str) -> date:
    try:
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not YYYY-MM or YYYY-MM-DD") from None


@main.command("report")
@click.argument("name", type=click.Choice(sorted(REPORTS)))
@click.option("--from", "since", required=True, help="First month (YYYY-MM or a date in it).")
@click.option("--to", "until", required=True, help="Last month (YYYY-MM or a date in it).")
@click.option("--channel", default="", help="Only this sales channel.")
@click.option("--category", default="", help="Only this product category.")
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_context
def report_command(
    ctx: click.Context,
    *,
    name: str,
    since: str,
    until: str,
    channel: str,
    category: str,
    output: str,
) -> None:
    """Print a report (the figures of the back-office's reports page) for whole months."""
    try:
        period = Period.between(_month_option(since), _month_option(until))
    except DomainError as error:
        words = _in_words(refusal_of(error.code, error.params), _english())
        raise click.BadParameter(words) from None
    filters = ReportFilter(period, channel.strip(), category.strip(), SystemClock().now())
    found = _run(_settings(ctx), lambda: build_report(name, filters))
    click.echo({"table": to_table, "csv": to_csv, "json": to_json}[output](found), nl=False)


@main.command("rebuild-rollups")
@click.pass_context
def rebuild_rollups_command(ctx: click.Context) -> None:
    """Recompute the report rollups from the base tables (after a time zone change)."""
    _run(_settings(ctx), rebuild_rollups)
    click.echo("Rollups rebuilt.")
