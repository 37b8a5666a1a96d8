"""Learning actions, raised from a theme or a testimony; done means "you said, we did"."""

from datetime import date
from typing import Any

import sqlalchemy as sa

from vfp_feedback.adapters import repository
from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.actions import ActionStatus, transition
from vfp_feedback.domain.errors import InvalidFeedback, NotFound
from vfp_feedback.domain.themes import Polarity
from vfp_feedback.service_layer.context import Context, new_ref
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.contracts import ActionCompletedV1, ActionRaisedV1
from vfp_shared.storage.unit_of_work import UnitOfWork


async def raise_action(
    uow: UnitOfWork,
    ctx: Context,
    title: str,
    owner_ref: str,
    due_on: date,
    theme_code: str | None,
    testimony_refs: list[str],
    who: Principal,
    *,
    polarity: Polarity = Polarity.NEGATIVE,
) -> str:
    """The victims behind it are those of the testimonies named, or those who raised the theme
    with this polarity within the recurrence window: "you said, we did" reaches only the
    victims who said it."""
    if theme_code is None and not testimony_refs:
        raise InvalidFeedback(
            "an action is raised from a theme or from testimonies", ("theme_code",)
        )
    ts, tt = t.testimonies, t.testimony_tags
    now = ctx.clock()
    sources = []
    if theme_code is not None:
        await repository.theme_rights(uow.session, [theme_code], field=lambda _: ("theme_code",))
        sources.append(
            sa.select(ts.c.participant_ref)
            .join(tt, tt.c.testimony_ref == ts.c.testimony_ref)
            .where(
                tt.c.theme_code == theme_code,
                tt.c.polarity == polarity.value,
                ts.c.given_at >= now - ctx.rules.window,
                ts.c.given_at <= now,
            )
        )
    if testimony_refs:
        found = (
            await uow.session.scalars(
                sa.select(ts.c.testimony_ref).where(ts.c.testimony_ref.in_(testimony_refs))
            )
        ).all()
        if set(found) != set(testimony_refs):
            raise NotFound("no such testimony")
        sources.append(
            sa.select(ts.c.participant_ref).where(ts.c.testimony_ref.in_(testimony_refs))
        )
    participants = await _consenting(uow, set(await uow.session.scalars(sa.union(*sources))))
    ref = new_ref("action")
    await uow.session.execute(
        t.actions.insert().values(
            action_ref=ref,
            title=title,
            owner_ref=owner_ref,
            due_on=due_on,
            theme_code=theme_code,
            status=ActionStatus.OPEN.value,
            raised_by=who.subject,
            raised_at=now,
        )
    )
    if participants:
        await uow.session.execute(
            t.action_participants.insert(),
            [{"action_ref": ref, "participant_ref": p} for p in participants],
        )
    await record(
        uow.session,
        ctx.audit,
        who,
        "action.raised",
        f"action:{ref}",
        f"from {len(participants)} victims' feedback",
    )
    uow.emit(
        ActionRaisedV1(
            action_ref=ref,
            title=title,
            owner_ref=owner_ref,
            due_on=due_on,
            theme_code=theme_code,
            raised_at=now,
        )
    )
    return ref


async def _consenting(uow: UnitOfWork, participant_refs: set[str]) -> list[str]:
    """Those still consenting, their locks held until commit: a withdrawal under way finishes
    before, and they are left out, or waits, and then unlinks them too. One round trip for
    all of them (a theme may have many), in the order the consumer takes them in."""
    await uow.lock_participants(participant_refs)
    consents = t.consents
    return list(
        (
            await uow.session.scalars(
                sa.select(consents.c.participant_ref)
                .where(consents.c.participant_ref.in_(participant_refs))
                .order_by(consents.c.participant_ref)
            )
        ).all()
    )


async def change_status(
    uow: UnitOfWork, ctx: Context, action_ref: str, to: ActionStatus, who: Principal
) -> None:
    row = (
        await uow.session.execute(
            sa.select(t.actions).where(t.actions.c.action_ref == action_ref).with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound("no such action")
    status = transition(ActionStatus(row.status), to)
    now = ctx.clock()
    await uow.session.execute(
        sa.update(t.actions)
        .where(t.actions.c.action_ref == action_ref)
        .values(
            status=status.value,
            completed_at=now if status is ActionStatus.COMPLETED else None,
        )
    )
    await record(
        uow.session,
        ctx.audit,
        who,
        f"action.{status.value}",
        f"action:{action_ref}",
        "status change",
    )
    if status is ActionStatus.COMPLETED:
        # Their locks first, then read again: a withdrawal under way has unlinked them by then,
        # so "you said, we did" never names a victim already erased.
        await uow.lock_participants(await _linked(uow, action_ref))
        uow.emit(
            ActionCompletedV1(
                action_ref=action_ref,
                title=row.title,
                participant_refs=await _linked(uow, action_ref),
                completed_at=now,
            )
        )


async def _linked(uow: UnitOfWork, action_ref: str) -> list[str]:
    """The victims whose feedback led to the action."""
    links = t.action_participants
    return list(
        (
            await uow.session.scalars(
                sa.select(links.c.participant_ref)
                .where(links.c.action_ref == action_ref)
                .order_by(links.c.participant_ref)
            )
        ).all()
    )


async def list_actions(
    uow: UnitOfWork, status: ActionStatus | None, owner_ref: str | None
) -> list[dict[str, Any]]:
    """The latest 1000 actions, newest first."""
    a = t.actions
    query = sa.select(
        a.c.action_ref,
        a.c.title,
        a.c.owner_ref,
        a.c.due_on,
        a.c.theme_code,
        a.c.status,
        a.c.raised_at,
        a.c.completed_at,
    ).order_by(a.c.raised_at.desc())
    if status is not None:
        query = query.where(a.c.status == status.value)
    if owner_ref is not None:
        query = query.where(a.c.owner_ref == owner_ref)
    return [dict(r._mapping) for r in (await uow.session.execute(query.limit(1000))).all()]
