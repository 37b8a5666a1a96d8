"""The participants schema: candidates, cases, history, self-referrals, do-not-contact,
bus tables, audit log and subject keys.

Revision ID: 0001
"""

from alembic import op

from vfp_participants.adapters import tables
from vfp_shared.audit import create_audit_table
from vfp_shared.storage.bus_tables import create_bus_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    create_bus_tables(op, tables.BUS)
    create_audit_table(op, tables.audit)
    for table in (
        tables.subject_keys,
        tables.candidates,
        tables.cases,
        tables.history,
        tables.self_referrals,
        tables.do_not_contact,
    ):
        table.create(bind)


def downgrade() -> None:
    raise NotImplementedError("the participants schema is only migrated forward")
