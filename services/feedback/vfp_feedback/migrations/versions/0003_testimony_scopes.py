"""Testimonies no longer keep a copy of the consent's scopes: a read shows the current ones.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from vfp_feedback.adapters import tables as t

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates the tables as they are now defined, so a new database has no such column.
    op.execute(f'ALTER TABLE "{t.SCHEMA}".testimonies DROP COLUMN IF EXISTS scopes')


def downgrade() -> None:
    op.execute(
        f'ALTER TABLE "{t.SCHEMA}".testimonies ADD COLUMN IF NOT EXISTS scopes text[] '
        "NOT NULL DEFAULT '{}'"
    )
