"""A panel's calendar SEQUENCE (raised when it moves) and the fingerprint of the request an
Idempotency-Key was first used for.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates the tables from the current metadata: on a new database they have the
    # columns already.
    op.execute(
        "ALTER TABLE panels.panels"
        " ADD COLUMN IF NOT EXISTS calendar_sequence integer NOT NULL DEFAULT 0"
    )
    op.execute(
        "ALTER TABLE panels.idempotency_keys ADD COLUMN IF NOT EXISTS request_fingerprint text"
    )


def downgrade() -> None:
    op.drop_column("idempotency_keys", "request_fingerprint", schema="panels")
    op.drop_column("panels", "calendar_sequence", schema="panels")
