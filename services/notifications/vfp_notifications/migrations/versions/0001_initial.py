"""The notifications schema.

Revision ID: 0001
"""

from typing import cast

from alembic import op
from alembic.operations import Operations

from vfp_notifications.adapters import tables
from vfp_shared.audit import create_audit_table
from vfp_shared.storage.bus_tables import create_bus_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    # `op` is the module-level proxy of the running migration's Operations.
    operations = cast(Operations, op)
    create_bus_tables(operations, tables.BUS)
    create_audit_table(operations, tables.audit)
    bind = op.get_bind()
    for table in (
        tables.subject_keys,
        tables.directory_entries,
        tables.participants,
        tables.notifications,
    ):
        table.create(bind)
