"""The retention purge: what victims and staff told us is kept for the retention period (by
the time it was recorded), then deleted. Published aggregates (recurring themes) and the rows
the board report counts that hold no words (panels, survey scores, recognitions, actions,
referrals) are kept; testimonies are deleted, so a report for a period that old counts fewer
victims afterwards. A report for any period within the retention period is unaffected."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from vfp_feedback.adapters import tables as t
from vfp_feedback.service_layer.context import Context
from vfp_shared.audit import record, record_many
from vfp_shared.storage.unit_of_work import UnitOfWork

SYSTEM = "system"


@dataclass(frozen=True)
class Purged:
    testimonies: int
    case_studies: int
    endorsements: int
    recognition_messages: int
    survey_free_texts: int
    participants: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _refs(rows: Iterable[Any]) -> list[str]:
    return [row[0] for row in rows]


async def purge(uow: UnitOfWork, ctx: Context) -> Purged:
    """Delete (or, where a count must stay, strip of its words) everything recorded before the
    retention period; one audit line per participant whose words went. In the caller's
    transaction."""
    s = uow.session
    days = ctx.retention_days
    cutoff = ctx.clock() - timedelta(days=days)
    ts, cs, es, rs = t.testimonies, t.case_studies, t.endorsements, t.recognitions
    # Tags go with their testimony (ON DELETE CASCADE). Both times must be old, so a testimony
    # recorded long ago about a later date stays until that date is old too.
    testimonies = _refs(
        await s.execute(
            sa.delete(ts)
            .where(ts.c.recorded_at < cutoff, ts.c.given_at < cutoff)
            .returning(ts.c.participant_ref)
        )
    )
    case_studies = _refs(
        await s.execute(
            sa.delete(cs).where(cs.c.shared_at < cutoff).returning(cs.c.participant_ref)
        )
    )
    last_endorsement_change = sa.func.coalesce(es.c.recorded_at, es.c.requested_at)
    endorsements = _refs(
        await s.execute(
            sa.delete(es)
            .where(es.c.requested_at < cutoff, last_endorsement_change < cutoff)
            .returning(es.c.participant_ref)
        )
    )
    # The report counts recognitions: the row stays, the victim's message and link go.
    old_recognitions = sa.select(rs.c.recognition_ref, rs.c.participant_ref).where(
        rs.c.awarded_at < cutoff,
        sa.or_(rs.c.participant_ref.is_not(None), rs.c.message.is_not(None)),
    )
    recognitions = (await s.execute(old_recognitions.with_for_update())).all()
    if recognitions:
        await s.execute(
            sa.update(rs)
            .where(rs.c.recognition_ref.in_([row.recognition_ref for row in recognitions]))
            .values(participant_ref=None, message=None)
        )
    # The survey's scores feed the report and the trend: only the free text goes.
    sr = t.survey_responses
    survey_texts = (
        await s.execute(
            sa.update(sr)
            .where(sr.c.responded_at < cutoff, sr.c.free_text.is_not(None))
            .values(free_text=None)
            .returning(sr.c.panel_ref)
        )
    ).all()
    participants = sorted(
        {*testimonies, *case_studies, *endorsements}
        | {row.participant_ref for row in recognitions if row.participant_ref is not None}
    )
    await record_many(
        s, ctx.audit, SYSTEM, "retention:purge", participants, f"recorded more than {days} days ago"
    )
    for panel_ref in sorted({row.panel_ref for row in survey_texts}):
        await record(
            s,
            ctx.audit,
            SYSTEM,
            "retention:purge",
            f"survey:{panel_ref}",
            f"free text recorded more than {days} days ago",
        )
    return Purged(
        testimonies=len(testimonies),
        case_studies=len(case_studies),
        endorsements=len(endorsements),
        recognition_messages=len(recognitions),
        survey_free_texts=len(survey_texts),
        participants=len(participants),
    )
