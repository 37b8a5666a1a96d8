"""The panels schema. References only: no names, contact details or free text about victims are
held here, so there is nothing to encrypt (no subject keys); withdrawal deletes the rows."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from vfp_shared.audit import audit_table
from vfp_shared.storage.bus_tables import bus_tables

metadata = sa.MetaData(schema="panels")
BUS = bus_tables(metadata)
audit = audit_table(metadata)

TextList = ARRAY(sa.Text)
Moment = sa.DateTime(timezone=True)

panels = sa.Table(
    "panels",
    metadata,
    sa.Column("panel_ref", sa.Text, primary_key=True),
    sa.Column("organisation", sa.Text),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("starts_at", Moment, nullable=False),
    sa.Column("ends_at", Moment, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("meeting_link", sa.Text),
    sa.Column("venue", sa.Text),
    sa.Column("themes", TextList, nullable=False),
    sa.Column("lead_ref", sa.Text, nullable=False),
    sa.Column("coordinator_refs", TextList, nullable=False),
    sa.Column("command_area_refs", TextList, nullable=False),
    sa.Column("organisation_refs", TextList, nullable=False),
    sa.Column("case_study_capacity", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("agenda_published_at", Moment),
    sa.Column("cancel_reason_code", sa.Text),
    sa.Column("cancelled_at", Moment),
    sa.Column("recording_ref", sa.Text),
    sa.Column("held_at", Moment),
    # The SEQUENCE of its calendar entries: raised by each move and the cancellation.
    sa.Column("calendar_sequence", sa.Integer, server_default="0", nullable=False),
    sa.Column("created_at", Moment, server_default=sa.func.now(), nullable=False),
    sa.Index("panels_by_organisation_and_start", "organisation", "starts_at"),
)

agenda_items = sa.Table(
    "agenda_items",
    metadata,
    sa.Column("panel_ref", sa.Text, sa.ForeignKey("panels.panels.panel_ref"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("participant_ref", sa.Text, index=True),
    sa.Column("service_ref", sa.Text, index=True),
    sa.Column("mode", sa.Text),
    sa.Column("media_ref", sa.Text),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_ref", sa.Text, primary_key=True),
    sa.Column(
        "panel_ref", sa.Text, sa.ForeignKey("panels.panels.panel_ref"), nullable=False, index=True
    ),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("raised_at", Moment, nullable=False),
    sa.Column("acknowledged_at", Moment),
    sa.Column("acknowledged_by", sa.Text),
)

# The pool of consented victims, as participants.consent-given.v1 announced them.
pool = sa.Table(
    "pool",
    metadata,
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("themes", TextList, nullable=False),
    sa.Column("contact_route", sa.Text, nullable=False),
    sa.Column("supporter_ref", sa.Text),
    sa.Column("support_service_ref", sa.Text),
    sa.Column("given_at", Moment, nullable=False),
)

# Withdrawals and exclusions outlive the pool row they removed: consent-given arrives on another
# topic than consent-withdrawn and candidate-excluded, so a backlog or a dead-letter replay can
# deliver an older consent afterwards; it must not bring the victim back. Only a consent given
# after the latest of them counts.
withdrawals = sa.Table(
    "withdrawals",
    metadata,
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("withdrawn_at", Moment, nullable=False),
)

exclusions = sa.Table(
    "exclusions",
    metadata,
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("excluded_at", Moment, nullable=False),
)

invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("invitation_ref", sa.Text, primary_key=True),
    sa.Column("panel_ref", sa.Text, sa.ForeignKey("panels.panels.panel_ref"), nullable=False),
    sa.Column("invitee_key", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("participant_ref", sa.Text, index=True),
    sa.Column("contact_route", sa.Text),
    sa.Column("supporter_ref", sa.Text),
    sa.Column("recipient_ref", sa.Text),
    sa.Column("command_area_ref", sa.Text),
    sa.Column("role", sa.Text),
    sa.Column("created_at", Moment, nullable=False),
    sa.UniqueConstraint("panel_ref", "invitee_key", name="one_invitation_per_invitee"),
)

registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column("panel_ref", sa.Text, sa.ForeignKey("panels.panels.panel_ref"), primary_key=True),
    sa.Column("attendee_ref", sa.Text, primary_key=True),
    sa.Column("command_area_ref", sa.Text),
    sa.Column("role", sa.Text),
    sa.Column("organisation_ref", sa.Text),
    sa.Column("registered_at", Moment, nullable=False),
)

attendance = sa.Table(
    "attendance",
    metadata,
    sa.Column("panel_ref", sa.Text, sa.ForeignKey("panels.panels.panel_ref"), primary_key=True),
    sa.Column("attendee_ref", sa.Text, primary_key=True),
    sa.Column("command_area_ref", sa.Text),
    sa.Column("role", sa.Text),
    sa.Column("organisation_ref", sa.Text),
    sa.Column("recorded_at", Moment, nullable=False),
)

# Idempotency-Key of creating commands: a repeated request returns what the first one made.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("actor", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("panel_ref", sa.Text, nullable=False),
    # What the first request asked (CreatePanel.fingerprint): the same key with another body is
    # refused, not answered with a panel made for something else. NULL on rows from before.
    sa.Column("request_fingerprint", sa.Text),
    sa.Column("created_at", Moment, server_default=sa.func.now(), nullable=False),
)
