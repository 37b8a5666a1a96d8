"""Sends remember the trace of the event that caused them, so the send and its
notifications.sent/delivery-failed event continue the same trace.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("notifications", sa.Column("traceparent", sa.Text), schema="notifications")
