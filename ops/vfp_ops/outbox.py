"""`vfp outbox`: per service, the events committed but not yet relayed to Kafka."""

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


def outbox(
    schema: Annotated[
        list[str] | None,
        typer.Option("--schema", "-s", help="A service schema (repeatable); default: all four."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The outbox of each service: unsent rows (backlog), the oldest one's age, rows sent in
    the last hour, and rows set aside (Kafka refused them for good; see their `failure`).
    Schemas that do not exist (service never migrated) are skipped."""
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
