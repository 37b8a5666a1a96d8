"""The feedback schema. Free text is only ever stored sealed by the Vault (bytea columns),
with the key of the victim it is about; erasing that key shreds every copy."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from vfp_shared.audit import audit_table
from vfp_shared.crypto import subject_keys_table
from vfp_shared.storage.bus_tables import bus_tables

SCHEMA = "feedback"
metadata = sa.MetaData(schema=SCHEMA)
BUS = bus_tables(metadata)
audit = audit_table(metadata)
subject_keys = subject_keys_table(metadata)

Refs = ARRAY(sa.Text)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("scopes", Refs, nullable=False),
    sa.Column("contact_route", sa.Text, nullable=False),
    sa.Column("supporter_ref", sa.Text),
    sa.Column("support_service_ref", sa.Text, index=True),
    sa.Column("case_study_team_refs", Refs, nullable=False),
    sa.Column("praise_officer_refs", Refs, nullable=False),
    sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
)

# A withdrawal outlives the erasure: consent-given and consent-withdrawn travel on different
# topics, so on a replay an older consent may arrive after the withdrawal; it must not revive
# the victim. Only the pseudonymous ref and the time are kept.
withdrawals = sa.Table(
    "withdrawals",
    metadata,
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
)

themes = sa.Table(
    "themes",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("victims_code_right", sa.SmallInteger),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)

testimonies = sa.Table(
    "testimonies",
    metadata,
    sa.Column("testimony_ref", sa.Text, primary_key=True),
    sa.Column("participant_ref", sa.Text, nullable=False, index=True),
    sa.Column("panel_ref", sa.Text, nullable=False, index=True),
    sa.Column("route", sa.Text, nullable=False),
    sa.Column("worked_well", sa.LargeBinary),
    sa.Column("could_be_better", sa.LargeBinary),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("support_service_ref", sa.Text),
    sa.Column("given_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

testimony_tags = sa.Table(
    "testimony_tags",
    metadata,
    sa.Column(
        "testimony_ref",
        sa.Text,
        sa.ForeignKey(f"{SCHEMA}.testimonies.testimony_ref", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("theme_code", sa.Text, sa.ForeignKey(f"{SCHEMA}.themes.code"), primary_key=True),
    sa.Column("polarity", sa.Text, primary_key=True),
    sa.Index("ix_testimony_tags_theme", "theme_code", "polarity"),
)

recurring_themes = sa.Table(
    "recurring_themes",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("theme_code", sa.Text, nullable=False),
    sa.Column("polarity", sa.Text, nullable=False),
    sa.Column("testimony_count", sa.Integer, nullable=False),
    sa.Column("victim_count", sa.Integer, nullable=False),
    sa.Column("panel_count", sa.Integer, nullable=False),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_recurring_themes_theme", "theme_code", "polarity", "window_end"),
)

panels = sa.Table(
    "panels",
    metadata,
    sa.Column("panel_ref", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("held_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("recording_ref", sa.Text, nullable=False),
    sa.Column("attendee_count", sa.Integer, nullable=False),
)

survey_questions = sa.Table(
    "survey_questions",
    metadata,
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
)

surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("panel_ref", sa.Text, sa.ForeignKey(f"{SCHEMA}.panels.panel_ref"), primary_key=True),
    sa.Column("questions", sa.JSON, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
)

survey_attendees = sa.Table(
    "survey_attendees",
    metadata,
    sa.Column("panel_ref", sa.Text, sa.ForeignKey(f"{SCHEMA}.surveys.panel_ref"), primary_key=True),
    sa.Column("attendee_ref", sa.Text, primary_key=True),
)

survey_responses = sa.Table(
    "survey_responses",
    metadata,
    sa.Column("panel_ref", sa.Text, primary_key=True),
    sa.Column("attendee_ref", sa.Text, primary_key=True),
    sa.Column("scores", sa.JSON, nullable=False),
    sa.Column("free_text", sa.LargeBinary),
    sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ["panel_ref", "attendee_ref"],
        [f"{SCHEMA}.survey_attendees.panel_ref", f"{SCHEMA}.survey_attendees.attendee_ref"],
    ),
)

case_studies = sa.Table(
    "case_studies",
    metadata,
    sa.Column("case_study_ref", sa.Text, primary_key=True),
    sa.Column("participant_ref", sa.Text, nullable=False, index=True),
    sa.Column("panel_ref", sa.Text),
    sa.Column("team_refs", Refs, nullable=False),
    sa.Column("write_up", sa.LargeBinary, nullable=False),
    sa.Column("shared_by", sa.Text, nullable=False),
    sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
)

recognitions = sa.Table(
    "recognitions",
    metadata,
    sa.Column("recognition_ref", sa.Text, primary_key=True),
    # Set to NULL when the victim withdraws: the praise was passed on, the link is erased.
    sa.Column("participant_ref", sa.Text, index=True),
    sa.Column("panel_ref", sa.Text),
    sa.Column("recipient_kind", sa.Text, nullable=False),
    sa.Column("recipient_ref", sa.Text, nullable=False),
    sa.Column("line_manager_ref", sa.Text),
    sa.Column("message", sa.LargeBinary),
    sa.Column("awarded_by", sa.Text, nullable=False),
    sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

endorsements = sa.Table(
    "endorsements",
    metadata,
    sa.Column("endorsement_ref", sa.Text, primary_key=True),
    sa.Column("participant_ref", sa.Text, nullable=False, index=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("supporter_ref", sa.Text),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("comments", sa.LargeBinary),
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
)

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("action_ref", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("owner_ref", sa.Text, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("theme_code", sa.Text, sa.ForeignKey(f"{SCHEMA}.themes.code")),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("raised_by", sa.Text, nullable=False),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
)

action_participants = sa.Table(
    "action_participants",
    metadata,
    sa.Column(
        "action_ref",
        sa.Text,
        sa.ForeignKey(f"{SCHEMA}.actions.action_ref", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("participant_ref", sa.Text, primary_key=True, index=True),
)

referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("referral_ref", sa.Text, primary_key=True),
    sa.Column("service_ref", sa.Text, nullable=False),
    sa.Column("referred_by", sa.Text, nullable=False),
    sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
