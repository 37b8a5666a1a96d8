"""`vfp outbox`: per service, the events committed but not yet relayed to Kafka; the rows
Kafka refused for good (`set-aside`), and sending those again once the cause is mended
(`requeue`)."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Annotated

import asyncpg
import typer
from rich.table import Table

from vfp_ops.common import CONNECT_TIMEOUT_S, SERVICES, age, console, print_json, run
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.engine import libpq_dsn

# An unsent row older than this means the relay is stuck (it normally sends within a second).
STALE_AFTER_S = 60.0


@dataclass(frozen=True)
class OutboxStats:
    schema: str
    backlog: int
    oldest_unsent_age_s: float | None
    sent_last_hour: int
    set_aside: int


async def outbox_stats(database_url: str, schemas: Sequence[str]) -> list[OutboxStats]:
    """Backlog, age of the oldest unsent row and rows sent in the last hour, per schema;
    schemas without an outbox table are left out."""
    conn = await asyncpg.connect(libpq_dsn(database_url), timeout=CONNECT_TIMEOUT_S)
    try:
        existing = {
            row["table_schema"]
            for row in await conn.fetch(
                "SELECT table_schema FROM information_schema.tables "
                "WHERE table_name = 'outbox' AND table_schema = ANY($1::text[])",
                list(schemas),
            )
        }
        stats = []
        async with conn.transaction(readonly=True):
            for schema in schemas:
                if schema not in existing:
                    continue
                outbox = f'"{schema}".outbox'
                # The unsent rows come from the relay's partial index (sent_at IS NULL).
                unsent = await conn.fetchrow(
                    "SELECT count(*) AS backlog, "
                    "extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS oldest "
                    f"FROM {outbox} WHERE sent_at IS NULL AND failed_at IS NULL"
                )
                # Rows Kafka refused for good (e.g. too large): the relay never retries them.
                set_aside = await conn.fetchval(
                    f"SELECT count(*) FROM {outbox} WHERE failed_at IS NOT NULL"
                )
                sent = await conn.fetchval(
                    f"SELECT count(*) FROM {outbox} "
                    "WHERE sent_at >= clock_timestamp() - interval '1 hour'"
                )
                assert unsent is not None
                stats.append(
                    OutboxStats(schema, unsent["backlog"], unsent["oldest"], sent, set_aside)
                )
        return stats
    finally:
        await conn.close()


@dataclass(frozen=True)
class SetAside:
    id: int
    topic: str
    key: str
    failed_at: str
    failure: str


async def set_aside_rows(database_url: str, schema: str, limit: int) -> list[SetAside]:
    conn = await asyncpg.connect(libpq_dsn(database_url), timeout=CONNECT_TIMEOUT_S)
    try:
        rows = await conn.fetch(
            f'SELECT id, topic, key, failed_at, failure FROM "{schema}".outbox '
            "WHERE failed_at IS NOT NULL ORDER BY id LIMIT $1",
            limit,
        )
        return [
            SetAside(r["id"], r["topic"], r["key"], r["failed_at"].isoformat(), r["failure"])
            for r in rows
        ]
    finally:
        await conn.close()


async def requeue_rows(database_url: str, schema: str, ids: Sequence[int] | None) -> int:
    """Hand set-aside rows back to the relay (all of them when `ids` is None); the count."""
    conn = await asyncpg.connect(libpq_dsn(database_url), timeout=CONNECT_TIMEOUT_S)
    try:
        outcome = await conn.execute(
            f'UPDATE "{schema}".outbox SET failed_at = NULL, failure = NULL '
            "WHERE failed_at IS NOT NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))",
            list(ids) if ids is not None else None,
        )
        # The relay wakes on its poll (or the next commit): nothing else to do.
        return int(outcome.split()[-1])
    finally:
        await conn.close()


outbox_app = typer.Typer(
    name="outbox",
    help="The outbox of each service; `set-aside` and `requeue` for rows Kafka refused.",
    no_args_is_help=False,
)

Schema = Annotated[str, typer.Option("--schema", "-s", help="The service's schema.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@outbox_app.command("set-aside")
def set_aside(
    schema: Schema,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    as_json: AsJson = False,
) -> None:
    """The rows Kafka refused for good (e.g. too large), with why. They are never retried by
    the relay; mend the cause, then `vfp outbox requeue`."""
    rows = run(set_aside_rows(PlatformSettings().database_url, schema, limit))
    if as_json:
        print_json([asdict(row) for row in rows])
        return
    out = console()
    if not rows:
        out.print(f"[green]Nothing set aside in {schema}.[/]")
        return
    table = Table(title=f"Set aside in {schema}", title_justify="left")
    for column in ("Id", "Topic", "Key", "Failed at", "Why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row.id), row.topic, row.key, row.failed_at, row.failure)
    out.print(table)


@outbox_app.command()
def requeue(
    schema: Schema,
    row_id: Annotated[
        list[int] | None, typer.Option("--id", help="A row id (repeatable); default: all.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Hand set-aside rows back to the relay. They go out next, after whatever of their key
    was sent meanwhile: a consumer applies each event as it comes."""
    which = f"rows {', '.join(map(str, row_id))}" if row_id else "every set-aside row"
    if not yes:
        typer.confirm(f"Send {which} of {schema} again?", abort=True)
    count = run(requeue_rows(PlatformSettings().database_url, schema, row_id))
    console().print(f"{count} row(s) handed back to the {schema} relay.")


@outbox_app.callback(invoke_without_command=True)
def outbox(
    ctx: typer.Context,
    schema: Annotated[
        list[str] | None,
        typer.Option("--schema", "-s", help="A service schema (repeatable); default: all four."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The outbox of each service: unsent rows (backlog), the oldest one's age, rows sent in
    the last hour, and rows set aside (Kafka refused them for good; see `set-aside`).
    Schemas that do not exist (service never migrated) are skipped."""
    if ctx.invoked_subcommand is not None:
        return
    settings = PlatformSettings()
    schemas = schema or list(SERVICES)
    stats = run(outbox_stats(settings.database_url, schemas))
    if as_json:
        print_json([asdict(entry) for entry in stats])
        return
    out = console()
    if not stats:
        out.print(f"[yellow]No outbox found in schemas {', '.join(schemas)}.[/]")
        return
    table = Table(title="Outbox", title_justify="left")
    table.add_column("Schema", style="bold")
    table.add_column("Backlog (unsent)", justify="right")
    table.add_column("Oldest unsent", justify="right")
    table.add_column("Sent last hour", justify="right")
    table.add_column("Set aside", justify="right")
    for entry in stats:
        stale = (entry.oldest_unsent_age_s or 0) > STALE_AFTER_S
        table.add_row(
            entry.schema,
            f"[{'green' if entry.backlog == 0 else 'yellow'}]{entry.backlog:,}[/]",
            f"[{'bold red' if stale else 'default'}]{age(entry.oldest_unsent_age_s)}[/]",
            f"{entry.sent_last_hour:,}",
            f"[{'bold red' if entry.set_aside else 'default'}]{entry.set_aside:,}[/]",
        )
    out.print(table)
    skipped = [name for name in schemas if name not in {entry.schema for entry in stats}]
    if skipped:
        out.print(f"[dim]No outbox in: {', '.join(skipped)}[/]")
    if any((entry.oldest_unsent_age_s or 0) > STALE_AFTER_S for entry in stats):
        out.print(
            f"[bold red]An unsent row is older than {STALE_AFTER_S:.0f}s:[/] "
            "is that service's outbox relay running?"
        )
