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


def bus_tables(metadata: sa.MetaData) -> BusTables:
    """Declare the bus tables on a service's metadata (whose `schema` names the service)."""
    schema = metadata.schema
    assert schema, "each service keeps its tables in its own schema"
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("slot", sa.SmallInteger, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Index(None, "slot", "id", postgresql_where=sa.text("sent_at IS NULL")),
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


def create_bus_tables(op: Operations, tables: BusTables) -> None:
    """For a service's first migration."""
    bind = op.get_bind()
    for table in (tables.outbox, tables.outbox_slots, tables.inbox):
        table.create(bind)
    bind.execute(
        tables.outbox_slots.insert(), [{"slot": slot} for slot in range(OUTBOX_SLOTS)]
    )
