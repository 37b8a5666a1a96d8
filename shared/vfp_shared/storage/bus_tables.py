"""The outbox, its relay slots and the inbox: created in every service's own schema."""

from dataclasses import dataclass

import sqlalchemy as sa
from alembic.operations import Operations

# Outbox rows are spread over slots by key; a relay locks whole slots (SKIP LOCKED), so
# several relays share the work while one key's events still leave in order.
OUTBOX_SLOTS = 16


@dataclass(frozen=True)
class BusTables:
    schema: str
    outbox: sa.Table
    outbox_slots: sa.Table
    inbox: sa.Table

    @property
    def notify_channel(self) -> str:
        return f"{self.schema}_outbox"

    @property
    def insert_outbox_sql(self) -> str:
        """One statement for a whole batch of outgoing events (arrays, one per column)."""
        return (
            f"INSERT INTO {self.schema}.outbox (event_id, topic, key, slot, headers, payload) "
            "SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], "
            "$5::text[], $6::bytea[])"
        )


def bus_tables(metadata: sa.MetaData) -> BusTables:
    """Declare the bus tables on a service's metadata (whose `schema` names the service)."""
    schema = metadata.schema
    assert schema, "each service keeps its tables in its own schema"
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False),  # a fresh UUIDv7: no index needed
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("slot", sa.SmallInteger, nullable=False),
        # Kafka-ready JSON text: only the bus writes and reads it; PostgreSQL need not parse it.
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        # Kafka refused the row for good (e.g. too large): set aside for operators, not retried.
        sa.Column("failed_at", sa.DateTime(timezone=True)),
        sa.Column("failure", sa.Text),
        sa.Index(
            None, "slot", "id", postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL")
        ),
    )
    outbox_slots = sa.Table(
        "outbox_slots", metadata, sa.Column("slot", sa.SmallInteger, primary_key=True)
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    return BusTables(schema, outbox, outbox_slots, inbox)


def bus_tables_ddl(tables: BusTables) -> list[str]:
    """What `create_all` cannot say: the relay's slots, and a NOTIFY on every outbox insert
    (delivered at commit, deduplicated per transaction) that wakes the relay at once."""
    schema, channel = tables.schema, tables.notify_channel
    return [
        f"INSERT INTO {schema}.outbox_slots SELECT generate_series(0, {OUTBOX_SLOTS - 1})",
        f"CREATE FUNCTION {schema}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$",
        f"CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.outbox_notify()",
    ]


def create_bus_tables(op: Operations, tables: BusTables) -> None:
    """For a service's first migration."""
    bind = op.get_bind()
    for table in (tables.outbox, tables.outbox_slots, tables.inbox):
        table.create(bind)
    for statement in bus_tables_ddl(tables):
        op.execute(statement)
