"""Keep the time of a victim's exclusion and of their latest screening in or consent, so nothing
about them is queued while the exclusion is the later.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates the tables from the current metadata: on a new database the column is there.
    op.execute(
        "ALTER TABLE notifications.participants "
        "ADD COLUMN IF NOT EXISTS excluded_at timestamptz, "
        "ADD COLUMN IF NOT EXISTS readmitted_at timestamptz"
    )


def downgrade() -> None:
    op.drop_column("participants", "readmitted_at", schema="notifications")
    op.drop_column("participants", "excluded_at", schema="notifications")
