"""Remember which candidate a kept merged self-referrer went into, so the victim's withdrawal
and the retention purge erase it with that candidate.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates the tables from the current metadata: on a new database these are there.
    op.execute("ALTER TABLE participants.candidates ADD COLUMN IF NOT EXISTS merged_into text")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_participants_candidates_merged_into "
        "ON participants.candidates (merged_into)"
    )
    # Duplicates merged before: their merge's audit line ("merged into <ref>", written in the
    # merge's transaction) names the candidate they went into. One whose candidate has withdrawn
    # since was left behind by that withdrawal: the next sweep's purge erases it (and announces
    # consent-withdrawn for it); one whose candidate is gone is purged on its own timer.
    op.execute(
        """
        UPDATE participants.candidates c
        SET merged_into = (
            SELECT substring(a.reason FROM '^merged into (.+)$')
            FROM participants.audit_log a
            WHERE a.action = 'merge' AND a.subject_ref = c.participant_ref
            ORDER BY a.id DESC
            LIMIT 1
        )
        WHERE c.merged_into IS NULL
          AND c.status = 'excluded'
          AND 'merged_duplicate' = ANY(c.reason_codes)
        """
    )


def downgrade() -> None:
    raise NotImplementedError("the participants schema is only migrated forward")
