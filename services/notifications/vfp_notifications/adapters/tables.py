"""The notifications schema: the directory, the supporter map and the sends (an outbox of
messages that doubles as the delivery log)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from vfp_shared.audit import audit_table
from vfp_shared.crypto import subject_keys_table
from vfp_shared.storage.bus_tables import bus_tables

metadata = sa.MetaData(schema="notifications")
BUS = bus_tables(metadata)
audit = audit_table(metadata)
subject_keys = subject_keys_table(metadata)

# Contact details (name, email, webhook URLs) are sealed with the entry's own key.
directory_entries = sa.Table(
    "directory_entries",
    metadata,
    sa.Column("ref", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("channels", ARRAY(sa.Text), nullable=False),
    sa.Column("line_manager_ref", sa.Text),
    sa.Column("member_refs", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("organisation", sa.Text),
    sa.Column("contact", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)

# participant → supporter, from participants.consent-given; a withdrawal leaves a tombstone
# (ref and times only) so that nothing is sent about that victim again, unless they consent anew.
# An exclusion leaves a marker (`excluded_at`) that stops the same while it is not older than
# their latest screening in or consent (`readmitted_at`): both only ever move forward, so the
# outcome does not depend on which of the events, on their different topics, arrives first.
participants = sa.Table(
    "participants",
    metadata,
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("supporter_ref", sa.Text),
    sa.Column("direct_contact", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    sa.Column("consented_at", sa.DateTime(timezone=True)),
    sa.Column("excluded_at", sa.DateTime(timezone=True)),
    sa.Column("readmitted_at", sa.DateTime(timezone=True)),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("notification_ref", sa.Uuid, primary_key=True),
    sa.Column("source_event_id", sa.Uuid, nullable=False),
    sa.Column("source_topic", sa.Text, nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("recipient_ref", sa.Text, nullable=False),
    sa.Column("channel", sa.Text),
    sa.Column("about_refs", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason_code", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    # What the message is rendered from; cleared once the send is over (sent, failed, cancelled).
    sa.Column("context", JSONB),
    # W3C trace context of the consuming span: the send continues the event's trace.
    sa.Column("traceparent", sa.Text),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    # Exactly one notification per (event, recipient, template), however often it is delivered.
    sa.UniqueConstraint("source_event_id", "recipient_ref", "template"),
    sa.Index("notifications_due", "due_at", postgresql_where=sa.text("status = 'pending'")),
    sa.Index("notifications_recipient_sent", "recipient_ref", "sent_at"),
    sa.Index("notifications_about", "about_refs", postgresql_using="gin"),
)
