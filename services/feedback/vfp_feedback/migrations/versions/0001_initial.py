"""The feedback schema, with the default theme taxonomy and the default staff survey.

Revision ID: 0001
Revises:
"""

from alembic import op

from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.survey import DEFAULT_QUESTIONS
from vfp_feedback.domain.themes import DEFAULT_THEMES
from vfp_shared.audit import create_audit_table
from vfp_shared.storage.bus_tables import create_bus_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    t.subject_keys,
    t.consents,
    t.themes,
    t.testimonies,
    t.testimony_tags,
    t.recurring_themes,
    t.panels,
    t.survey_questions,
    t.surveys,
    t.survey_attendees,
    t.survey_responses,
    t.case_studies,
    t.recognitions,
    t.endorsements,
    t.actions,
    t.action_participants,
    t.referrals,
)


def upgrade() -> None:
    create_bus_tables(op, t.BUS)
    create_audit_table(op, t.audit)
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)
    op.bulk_insert(
        t.themes,
        [
            {
                "code": theme.code,
                "label": theme.label,
                "kind": theme.kind.value,
                "victims_code_right": theme.victims_code_right,
            }
            for theme in DEFAULT_THEMES
        ],
    )
    op.bulk_insert(
        t.survey_questions,
        [
            {"position": position, "key": q.key, "text": q.text, "kind": q.kind.value}
            for position, q in enumerate(DEFAULT_QUESTIONS)
        ],
    )


def downgrade() -> None:
    op.execute(f'DROP SCHEMA "{t.SCHEMA}" CASCADE')
