"""The participants schema. Personal data (a self-referrer's name and contact details) is only
ever stored sealed by the Vault, with a key per participant."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from vfp_shared.audit import audit_table
from vfp_shared.crypto import subject_keys_table
from vfp_shared.storage.bus_tables import bus_tables

metadata = sa.MetaData(schema="participants")
BUS = bus_tables(metadata)
audit = audit_table(metadata)
subject_keys = subject_keys_table(metadata)

TZ = sa.DateTime(timezone=True)

candidates = sa.Table(
    "candidates",
    metadata,
    # The platform's own pseudonym for the victim (a uuid), never the force's victim ref.
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("victim_ref", sa.Text, unique=True),
    sa.Column("claimed_case_ref", sa.Text, index=True),
    sa.Column("status", sa.Text, nullable=False, index=True),
    sa.Column("sources", ARRAY(sa.Text), nullable=False),
    sa.Column("themes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("contact_route", sa.Text),
    sa.Column("supporter_ref", sa.Text),
    sa.Column("support_service_ref", sa.Text, index=True),
    sa.Column("nominated_service_ref", sa.Text),
    sa.Column("nominated_worker_ref", sa.Text),
    sa.Column("declared_themes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("declared_child", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("child", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("safeguarding", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reason_codes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("excluded_by_screening", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("deferred_until", TZ, index=True),
    sa.Column("policy_version", sa.Text),
    sa.Column("approach", JSONB),
    sa.Column("last_approached_at", TZ),
    sa.Column("consent", JSONB),
    sa.Column("withdrawn_at", TZ),
    # The W3C traceparent of the event that first brought the victim forward: later steps
    # (consent, withdrawal) continue that trace, so one victim's journey is one trace.
    sa.Column("journey_traceparent", sa.Text),
    # A self-referrer merged into a victim's candidate and kept (as `merged_duplicate`) because
    # other services heard of them: that candidate's ref. What they hold under this ref is the
    # victim's too, so it is erased with that candidate (withdrawal, retention purge).
    sa.Column("merged_into", sa.Text, index=True),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
)

# What the force systems told us about a case (flags reduced to focus themes). A complaint or
# reopening may arrive before the closure: the row then starts without closure facts.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_ref", sa.Text, primary_key=True),
    sa.Column("victim_ref", sa.Text, index=True),
    sa.Column("oic_ref", sa.Text),
    sa.Column("themes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("justice_status", sa.Text),
    sa.Column("closed_at", TZ),
    sa.Column("reopened_at", TZ),
    sa.Column("child", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("support_service_ref", sa.Text),
    sa.Column("support_worker_ref", sa.Text),
    sa.Column("safeguarding", sa.Boolean, nullable=False, server_default=sa.false()),
    # complaint ref → "open" | "resolved"; a resolution that overtook its opening still wins.
    sa.Column("complaints", JSONB, nullable=False, server_default="{}"),
)

history = sa.Table(
    "candidate_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("participant_ref", sa.Text, nullable=False, index=True),
    sa.Column("at", TZ, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("from_status", sa.Text, nullable=False),
    sa.Column("to_status", sa.Text, nullable=False),
    sa.Column("reason_codes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("policy_version", sa.Text),
    sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    sa.Column("trigger", sa.Text, nullable=False),
)

self_referrals = sa.Table(
    "self_referrals",
    metadata,
    sa.Column("participant_ref", sa.Text, primary_key=True),
    sa.Column("name_sealed", sa.LargeBinary, nullable=False),
    sa.Column("contact_sealed", sa.LargeBinary, nullable=False),
    sa.Column("received_at", TZ, nullable=False),
)

# Keyed digests only: the list outlives erasure, so it must not hold the refs themselves.
do_not_contact = sa.Table(
    "do_not_contact",
    metadata,
    sa.Column("digest", sa.Text, primary_key=True),
    sa.Column("participant_ref", sa.Text, index=True),
    sa.Column("reason_code", sa.Text, nullable=False),
    sa.Column("added_by", sa.Text, nullable=False),
    sa.Column("added_at", TZ, nullable=False),
)
