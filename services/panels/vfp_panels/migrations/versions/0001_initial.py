"""The panels schema: panels, agenda, alerts, pool (with withdrawals and exclusions),
invitations, registrations, attendance.

Revision ID: 0001
"""

from alembic import op

from vfp_panels.adapters import tables
from vfp_shared.audit import create_audit_table
from vfp_shared.storage.bus_tables import create_bus_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_bus_tables(op, tables.BUS)
    create_audit_table(op, tables.audit)
    bind = op.get_bind()
    for table in (
        tables.panels,
        tables.agenda_items,
        tables.alerts,
        tables.pool,
        tables.withdrawals,
        tables.exclusions,
        tables.invitations,
        tables.registrations,
        tables.attendance,
        tables.idempotency_keys,
    ):
        table.create(bind)


def downgrade() -> None:
    op.execute("DROP SCHEMA panels CASCADE")
