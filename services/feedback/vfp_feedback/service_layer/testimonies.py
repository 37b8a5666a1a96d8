"""Capture, read and tag testimonies. Text is sealed with the victim's key before it is stored."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from vfp_feedback.adapters import repository
from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.errors import ConsentNotGiven, NotFound
from vfp_feedback.domain.lexicon import suggest_tags
from vfp_feedback.domain.testimonies import TestimonyRoute, check_testimony
from vfp_feedback.domain.themes import ThemeTag
from vfp_feedback.service_layer.context import Context, new_ref
from vfp_feedback.service_layer.recurring import publish_recurring
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CaptureTestimony:
    participant_ref: str
    panel_ref: str
    route: TestimonyRoute
    worked_well: str | None
    could_be_better: str | None
    tags: tuple[ThemeTag, ...] = ()
    given_at: datetime | None = None


@dataclass(frozen=True)
class CapturedTestimony:
    testimony_ref: str
    suggested_tags: list[ThemeTag]
    recurring: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TestimonyView:
    testimony_ref: str
    participant_ref: str
    panel_ref: str
    route: str
    mode: str
    worked_well: str | None
    could_be_better: str | None
    scopes: list[str]  # of the victim's current consent
    tags: list[ThemeTag]
    given_at: datetime
    recorded_at: datetime


async def capture_testimony(
    uow: UnitOfWork,
    ctx: Context,
    command: CaptureTestimony,
    who: Principal,
    *,
    for_support_service: str | None = None,
) -> CapturedTestimony:
    """Store a testimony under the victim's consent. A support service captures only for its
    own clients (`for_support_service`): anyone else's client is not found."""
    now = ctx.clock()
    given_at = command.given_at or now
    check_testimony(command.worked_well, command.could_be_better, given_at, now)
    await uow.lock_participants([command.participant_ref])
    consent = await repository.load_consent(uow.session, command.participant_ref)
    if for_support_service is not None and (
        consent is None or not consent.is_client_of(for_support_service)
    ):
        raise NotFound("no such client")
    if consent is None:
        raise ConsentNotGiven("no consent from this participant")
    await repository.theme_rights(uow.session, [tag.theme_code for tag in command.tags])
    ref = new_ref("testimony")
    subject = command.participant_ref

    async def seal(text: str | None) -> bytes | None:
        return await ctx.vault.encrypt(uow.session, subject, text) if text else None

    await uow.session.execute(
        t.testimonies.insert().values(
            testimony_ref=ref,
            participant_ref=subject,
            panel_ref=command.panel_ref,
            route=command.route.value,
            worked_well=await seal(command.worked_well),
            could_be_better=await seal(command.could_be_better),
            mode=consent.mode,
            support_service_ref=for_support_service,
            given_at=given_at,
            recorded_by=who.subject,
            recorded_at=now,
        )
    )
    await repository.replace_tags(uow.session, ref, command.tags)
    await record(
        uow.session,
        ctx.audit,
        who,
        "testimony.captured",
        subject,
        f"testimony {ref} for panel {command.panel_ref}",
    )
    found = await publish_recurring(
        uow, ctx, {(tag.theme_code, tag.polarity) for tag in command.tags}
    )
    return CapturedTestimony(
        ref,
        suggest_tags(command.worked_well, command.could_be_better),
        [f"{r.theme_code}:{r.polarity}" for r in found],
    )


async def _row(uow: UnitOfWork, testimony_ref: str, support_service: str | None) -> Any:
    query = sa.select(t.testimonies).where(t.testimonies.c.testimony_ref == testimony_ref)
    if support_service is not None:
        query = query.where(t.testimonies.c.support_service_ref == support_service)
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound("no such testimony")
    return row


async def read_testimony(
    uow: UnitOfWork,
    ctx: Context,
    testimony_ref: str,
    who: Principal,
    *,
    for_support_service: str | None = None,
) -> TestimonyView:
    row = await _row(uow, testimony_ref, for_support_service)
    # What the victim allows now, not what they allowed when they spoke.
    consent = await repository.load_consent(uow.session, row.participant_ref)

    async def unseal(sealed: bytes | None) -> str | None:
        return await ctx.vault.decrypt(uow.session, row.participant_ref, sealed) if sealed else None

    view = TestimonyView(
        testimony_ref=row.testimony_ref,
        participant_ref=row.participant_ref,
        panel_ref=row.panel_ref,
        route=row.route,
        mode=row.mode,
        worked_well=await unseal(row.worked_well),
        could_be_better=await unseal(row.could_be_better),
        scopes=sorted(consent.scopes) if consent else [],
        tags=await repository.tags_of(uow.session, testimony_ref),
        given_at=row.given_at,
        recorded_at=row.recorded_at,
    )
    await record(
        uow.session,
        ctx.audit,
        who,
        "testimony.read",
        row.participant_ref,
        f"testimony {testimony_ref}",
    )
    return view


async def list_testimonies(
    uow: UnitOfWork,
    ctx: Context,
    who: Principal,
    *,
    panel_ref: str | None,
    participant_ref: str | None,
) -> list[dict[str, Any]]:
    """Testimonies without their text (read one to see it)."""
    ts = t.testimonies
    query = sa.select(
        ts.c.testimony_ref,
        ts.c.participant_ref,
        ts.c.panel_ref,
        ts.c.route,
        ts.c.mode,
        ts.c.given_at,
    ).order_by(ts.c.given_at)
    if panel_ref is not None:
        query = query.where(ts.c.panel_ref == panel_ref)
    if participant_ref is not None:
        query = query.where(ts.c.participant_ref == participant_ref)
    rows = (await uow.session.execute(query.limit(1000))).all()
    for subject in {row.participant_ref for row in rows}:
        await record(uow.session, ctx.audit, who, "testimony.listed", subject, "testimony list")
    return [dict(row._mapping) for row in rows]


async def retag_testimony(
    uow: UnitOfWork, ctx: Context, testimony_ref: str, tags: tuple[ThemeTag, ...], who: Principal
) -> list[str]:
    """A coordinator sets a testimony's tags; the new pairs are checked for recurrence."""
    # Read again once the victim is locked: a withdrawal that was under way has erased it.
    await uow.lock_participants([(await _row(uow, testimony_ref, None)).participant_ref])
    row = await _row(uow, testimony_ref, None)
    await repository.theme_rights(uow.session, [tag.theme_code for tag in tags])
    before = set(await repository.tags_of(uow.session, testimony_ref))
    await repository.replace_tags(uow.session, testimony_ref, tags)
    await record(
        uow.session,
        ctx.audit,
        who,
        "testimony.tagged",
        row.participant_ref,
        f"testimony {testimony_ref}",
    )
    added = {(tag.theme_code, tag.polarity) for tag in set(tags) - before}
    return [f"{r.theme_code}:{r.polarity}" for r in await publish_recurring(uow, ctx, added)]


async def suggested_tags(
    uow: UnitOfWork, ctx: Context, testimony_ref: str, who: Principal
) -> list[ThemeTag]:
    view = await read_testimony(uow, ctx, testimony_ref, who)
    return suggest_tags(view.worked_well, view.could_be_better)
