"""`vfp outbox` on a throwaway schema with the shared bus tables, in the real PostgreSQL."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.ops.conftest import Vfp, run_id
from vfp_ops.outbox import outbox_stats
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.bus_tables import BusTables, bus_tables, bus_tables_ddl


@pytest.fixture
async def schema(engine: AsyncEngine) -> AsyncIterator[BusTables]:
    """A fresh schema with an outbox (as a service's first migration makes it); dropped after."""
    tables = bus_tables(sa.MetaData(schema=f"ops_test_{run_id()}"))
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{tables.schema}"'))
        await conn.run_sync(tables.outbox.metadata.create_all)
        for statement in bus_tables_ddl(tables):
            await conn.execute(sa.text(statement))
    yield tables
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA "{tables.schema}" CASCADE'))


def _row(created_ago: timedelta, sent_ago: timedelta | None) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "event_id": uuid4(),
        "topic": "ops-test.event",
        "key": "k",
        "slot": 0,
        "headers": "{}",
        "payload": b"{}",
        "created_at": now - created_ago,
        "sent_at": None if sent_ago is None else now - sent_ago,
        "failed_at": None,
        "failure": None,
    }


async def test_backlog_oldest_unsent_and_sent_last_hour(
    schema: BusTables, engine: AsyncEngine, platform_settings: PlatformSettings, vfp: Vfp
) -> None:
    minutes = timedelta(minutes=1)
    async with engine.begin() as conn:
        await conn.execute(
            schema.outbox.insert(),
            [
                _row(5 * minutes, None),  # unsent for 5 minutes: the relay is stuck
                _row(2 * minutes, None),
                _row(1 * minutes, None),
                _row(10 * minutes, 9 * minutes),
                _row(30 * minutes, 29 * minutes),
                _row(180 * minutes, 170 * minutes),  # sent before the last hour
                {**_row(4 * minutes, None), "failed_at": datetime.now(UTC), "failure": "too big"},
            ],
        )
    missing = f"ops_test_missing_{run_id()}"

    [stats] = await outbox_stats(platform_settings.database_url, [schema.schema, missing])

    assert (stats.schema, stats.backlog, stats.sent_last_hour) == (schema.schema, 3, 2)
    assert stats.set_aside == 1  # refused by Kafka for good: not backlog
    assert stats.oldest_unsent_age_s is not None and 299 < stats.oldest_unsent_age_s < 400

    result = await vfp("outbox", "--schema", schema.schema, "--schema", missing, "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.output)
    assert (entry["schema"], entry["backlog"], entry["sent_last_hour"]) == (schema.schema, 3, 2)

    table = await vfp("outbox", "-s", schema.schema, "-s", missing)
    assert table.exit_code == 0, table.output
    assert schema.schema in table.output and "5m " in table.output
    assert f"No outbox in: {missing}" in table.output
    assert "outbox relay running?" in table.output


async def test_an_empty_outbox_has_no_backlog(
    schema: BusTables, platform_settings: PlatformSettings
) -> None:
    [stats] = await outbox_stats(platform_settings.database_url, [schema.schema])
    assert (stats.backlog, stats.oldest_unsent_age_s, stats.sent_last_hour) == (0, None, 0)


async def test_no_outbox_at_all_says_so(vfp: Vfp) -> None:
    missing = f"ops_test_missing_{run_id()}"
    result = await vfp("outbox", "-s", missing)
    assert result.exit_code == 0, result.output
    assert "No outbox found" in result.output


async def test_unreachable_database_is_a_clear_error(vfp: Vfp) -> None:
    result = await vfp(
        "outbox", env={"DATABASE_URL": "postgresql+asyncpg://vfp:vfp@127.0.0.1:1/vfp"}
    )
    assert result.exit_code == 2
    assert "error:" in result.output


async def test_set_aside_rows_are_listed_with_why_and_requeued_for_the_relay(
    schema: BusTables, engine: AsyncEngine, vfp: Vfp
) -> None:
    refused = {**_row(timedelta(minutes=3), None), "failed_at": datetime.now(UTC)}
    async with engine.begin() as conn:
        await conn.execute(
            schema.outbox.insert(),
            [
                {**refused, "failure": "MessageSizeTooLargeError: too large"},
                {**refused, "event_id": uuid4(), "failure": "InvalidMessageError: bad"},
                _row(timedelta(minutes=1), None),
            ],
        )
    listed = await vfp("outbox", "set-aside", "--schema", schema.schema, "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [row["failure"].split(":")[0] for row in rows] == [
        "MessageSizeTooLargeError",
        "InvalidMessageError",
    ]
    first = str(rows[0]["id"])
    once = await vfp("outbox", "requeue", "--schema", schema.schema, "--id", first, "--yes")
    assert once.exit_code == 0 and "1 row(s) handed back" in once.output, once.output
    declined = await vfp("outbox", "requeue", "--schema", schema.schema, input="n\n")
    assert declined.exit_code != 0  # asked, and the answer was no: nothing changed
    rest = await vfp("outbox", "requeue", "--schema", schema.schema, "--yes")
    assert "1 row(s) handed back" in rest.output, rest.output
    async with engine.connect() as conn:
        unsent = await conn.scalar(
            sa.text(
                f'SELECT count(*) FROM "{schema.schema}".outbox '
                "WHERE sent_at IS NULL AND failed_at IS NULL AND failure IS NULL"
            )
        )
    assert unsent == 3  # all three are the relay's again
    empty = await vfp("outbox", "set-aside", "--schema", schema.schema)
    assert "Nothing set aside" in empty.output
