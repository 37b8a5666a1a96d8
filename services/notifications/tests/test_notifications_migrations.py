"""The schema: the service migrates it to head as it starts, and each migration applies on top of
the schema before it."""

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.bootstrap import MIGRATIONS, Notifications

SCRIPTS = ScriptDirectory(str(MIGRATIONS))
MARKER = {"excluded_at", "readmitted_at"}


async def test_the_service_starts_with_its_schema_at_head(
    service: Notifications, engine: AsyncEngine
) -> None:
    async with engine.connect() as conn:
        version = await conn.scalar(
            sa.text("SELECT version_num FROM notifications.alembic_version")
        )
    assert version == SCRIPTS.get_current_head()


def participant_columns(conn: Connection) -> set[str]:
    return {c["name"] for c in sa.inspect(conn).get_columns("participants", "notifications")}


async def test_the_exclusion_marker_is_added_to_a_schema_made_before_it(
    service: Notifications, engine: AsyncEngine
) -> None:
    migration = SCRIPTS.get_revision("0002").module

    def migrate(conn: Connection) -> list[bool]:
        # The participants table as 0001 made it before the marker existed.
        conn.execute(
            sa.text(
                "ALTER TABLE notifications.participants "
                "DROP COLUMN excluded_at, DROP COLUMN readmitted_at"
            )
        )
        found = [participant_columns(conn) >= MARKER]
        with Operations.context(MigrationContext.configure(conn)):
            migration.upgrade()
            found.append(participant_columns(conn) >= MARKER)
            migration.upgrade()  # on a schema 0001 made as it is now: nothing to add
            migration.downgrade()
        found.append(bool(MARKER & participant_columns(conn)))
        return found

    # In a transaction that is rolled back: the service's schema is left as it was.
    async with engine.connect() as conn:
        found = await conn.run_sync(migrate)
        await conn.rollback()
    assert found == [False, True, False]
