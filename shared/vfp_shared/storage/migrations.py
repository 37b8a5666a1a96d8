"""Alembic, one schema per service: each service's ``migrations/env.py`` calls `run_env`."""

import asyncio
import zlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def upgrade(migrations_dir: Path, database_url: str, schema: str) -> None:
    """Migrate a service's schema to head. Blocking: call it from a thread in async code."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    # Not a main option: Alembic's ConfigParser would read a %-encoded password as interpolation.
    config.attributes["database_url"] = database_url
    config.attributes["schema"] = schema
    command.upgrade(config, "head")


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's env.py (online mode only: we always migrate a live database)."""
    schema = target_metadata.schema
    assert schema
    url = context.config.attributes["database_url"]

    def migrate(connection: Connection) -> None:
        # Instances starting together queue here instead of racing the same DDL.
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(schema.encode())}
        )
        connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, hide_parameters=True)
        async with engine.begin() as conn:
            await conn.run_sync(migrate)
        await engine.dispose()

    asyncio.run(main())
