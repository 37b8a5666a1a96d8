"""Case-study feedback for the frontline teams a victim named, under that consent only."""

from typing import Any

import sqlalchemy as sa

from vfp_feedback.adapters import repository
from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.errors import ConsentNotGiven, NotFound
from vfp_feedback.service_layer.context import Context, new_ref
from vfp_shared.audit import record
from vfp_shared.auth import Principal, Role
from vfp_shared.contracts import CaseStudySharedV1
from vfp_shared.storage.unit_of_work import UnitOfWork


async def share_case_study(
    uow: UnitOfWork,
    ctx: Context,
    participant_ref: str,
    panel_ref: str | None,
    team_refs: list[str],
    write_up: str,
    who: Principal,
) -> str:
    await uow.lock_participants([participant_ref])
    consent = await repository.load_consent(uow.session, participant_ref)
    if consent is None:
        raise ConsentNotGiven("no consent from this participant")
    consent.require_case_study_for(team_refs)
    ref = new_ref("case-study")
    now = ctx.clock()
    await uow.session.execute(
        t.case_studies.insert().values(
            case_study_ref=ref,
            participant_ref=participant_ref,
            panel_ref=panel_ref,
            team_refs=sorted(set(team_refs)),
            write_up=await ctx.vault.encrypt(uow.session, participant_ref, write_up),
            shared_by=who.subject,
            shared_at=now,
        )
    )
    await record(
        uow.session,
        ctx.audit,
        who,
        "case-study.shared",
        participant_ref,
        f"case study {ref} to teams {','.join(sorted(set(team_refs)))}",
    )
    uow.emit(
        CaseStudySharedV1(
            case_study_ref=ref, panel_ref=panel_ref, team_refs=sorted(set(team_refs)), shared_at=now
        )
    )
    return ref


async def read_case_study(
    uow: UnitOfWork, ctx: Context, case_study_ref: str, who: Principal
) -> dict[str, Any]:
    """A coordinator, or staff of a team it was shared with (the token's `teams` claim);
    anyone else: not found."""
    row = (
        await uow.session.execute(
            sa.select(t.case_studies).where(t.case_studies.c.case_study_ref == case_study_ref)
        )
    ).first()
    if row is None:
        raise NotFound("no such case study")
    if not who.has(Role.COORDINATOR) and not who.teams.intersection(row.team_refs):
        raise NotFound("no such case study")
    await record(
        uow.session,
        ctx.audit,
        who,
        "case-study.read",
        row.participant_ref,
        f"case study {case_study_ref}",
    )
    return {
        "case_study_ref": row.case_study_ref,
        "panel_ref": row.panel_ref,
        "team_refs": list(row.team_refs),
        "write_up": await ctx.vault.decrypt(uow.session, row.participant_ref, row.write_up),
        "shared_at": row.shared_at,
    }
