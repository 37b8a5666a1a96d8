"""When the remembered consent was given: a consent given after a withdrawal revives the
supporter link; an older one arriving late (another topic, a replay) does not.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column(
        "participants",
        sa.Column("consented_at", sa.DateTime(timezone=True)),
        schema="notifications",
    )
