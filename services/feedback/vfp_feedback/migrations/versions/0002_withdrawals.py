"""Keep withdrawals, so an older consent arriving late cannot revive an erased victim.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from vfp_feedback.adapters import tables as t

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t.withdrawals.create(op.get_bind())


def downgrade() -> None:
    op.drop_table(t.withdrawals.name, schema=t.SCHEMA)
