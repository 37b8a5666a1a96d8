"""The staff survey: opened when a panel is held, one response per attendee, results and trend."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.errors import AlreadyResponded, NotFound
from vfp_feedback.domain.survey import (
    UNDERSTANDING_AFTER,
    UNDERSTANDING_BEFORE,
    Answer,
    Question,
    QuestionKind,
    check_questions,
    split_answers,
    summarise,
)
from vfp_feedback.service_layer.context import Context
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.contracts import PanelHeldV1
from vfp_shared.storage.unit_of_work import UnitOfWork


def _questions(raw: Sequence[Mapping[str, str]]) -> list[Question]:
    return [Question(q["key"], q["text"], QuestionKind(q["kind"])) for q in raw]


async def current_questions(uow: UnitOfWork) -> list[Question]:
    rows = (
        await uow.session.execute(
            sa.select(t.survey_questions).order_by(t.survey_questions.c.position)
        )
    ).all()
    return [Question(r.key, r.text, QuestionKind(r.kind)) for r in rows]


async def define_questions(
    uow: UnitOfWork, ctx: Context, questions: list[Question], who: Principal
) -> None:
    """The questions of surveys opened from now on (open surveys keep theirs)."""
    check_questions(questions)
    await uow.session.execute(sa.delete(t.survey_questions))
    await uow.session.execute(
        t.survey_questions.insert(),
        [
            {"position": i, "key": q.key, "text": q.text, "kind": q.kind.value}
            for i, q in enumerate(questions)
        ],
    )
    await record(
        uow.session, ctx.audit, who, "survey.questions-defined", "survey:questions", "coordinator"
    )


async def panel_held(uow: UnitOfWork, event: PanelHeldV1) -> None:
    """Record the panel and open its survey for the attendees."""
    s = uow.session
    await s.execute(
        insert(t.panels)
        .values(
            panel_ref=event.panel_ref,
            title=event.title,
            held_at=event.held_at,
            recording_ref=event.recording_ref,
            attendee_count=len(set(event.attendee_refs)),
        )
        .on_conflict_do_nothing()
    )
    questions = [
        {"key": q.key, "text": q.text, "kind": q.kind.value} for q in await current_questions(uow)
    ]
    await s.execute(
        insert(t.surveys)
        .values(panel_ref=event.panel_ref, questions=questions, opened_at=event.held_at)
        .on_conflict_do_nothing()
    )
    attendees = sorted(set(event.attendee_refs))
    if attendees:
        await s.execute(
            insert(t.survey_attendees)
            .values([{"panel_ref": event.panel_ref, "attendee_ref": a} for a in attendees])
            .on_conflict_do_nothing()
        )


async def _survey_questions(uow: UnitOfWork, panel_ref: str) -> list[Question]:
    raw = await uow.session.scalar(
        sa.select(t.surveys.c.questions).where(t.surveys.c.panel_ref == panel_ref)
    )
    if raw is None:
        raise NotFound("no survey for this panel")
    return _questions(raw)


async def survey_for(uow: UnitOfWork, panel_ref: str, who: Principal) -> dict[str, Any]:
    """The survey as an attendee sees it (a non-attendee: not found)."""
    questions = await _survey_questions(uow, panel_ref)
    attendee = await uow.session.scalar(
        sa.select(t.survey_attendees.c.attendee_ref).where(
            t.survey_attendees.c.panel_ref == panel_ref,
            t.survey_attendees.c.attendee_ref == who.subject,
        )
    )
    if attendee is None:
        raise NotFound("no survey for you on this panel")
    answered = await uow.session.scalar(
        sa.select(sa.func.count())
        .select_from(t.survey_responses)
        .where(
            t.survey_responses.c.panel_ref == panel_ref,
            t.survey_responses.c.attendee_ref == who.subject,
        )
    )
    return {
        "panel_ref": panel_ref,
        "questions": [asdict(q) for q in questions],
        "responded": bool(answered),
    }


async def respond(
    uow: UnitOfWork, ctx: Context, panel_ref: str, answers: Mapping[str, Answer], who: Principal
) -> None:
    await survey_for(uow, panel_ref, who)
    questions = await _survey_questions(uow, panel_ref)
    scores, free = split_answers(questions, answers)
    sealed = (
        await ctx.vault.encrypt(uow.session, f"survey:{panel_ref}", json.dumps(free))
        if free
        else None
    )
    try:
        async with uow.session.begin_nested():
            await uow.session.execute(
                t.survey_responses.insert().values(
                    panel_ref=panel_ref,
                    attendee_ref=who.subject,
                    scores=scores,
                    free_text=sealed,
                    responded_at=ctx.clock(),
                )
            )
    except IntegrityError:
        raise AlreadyResponded("you already answered this survey") from None


async def comments(uow: UnitOfWork, ctx: Context, panel_ref: str, who: Principal) -> dict[str, Any]:
    """The free-text answers of a panel's survey, without who gave them: sorted, so not even
    the order of the responses shows."""
    await _survey_questions(uow, panel_ref)
    sealed = (
        await uow.session.scalars(
            sa.select(t.survey_responses.c.free_text).where(
                t.survey_responses.c.panel_ref == panel_ref,
                t.survey_responses.c.free_text.is_not(None),
            )
        )
    ).all()
    answers = []
    for text in sealed:
        free: dict[str, str] = json.loads(
            await ctx.vault.decrypt(uow.session, f"survey:{panel_ref}", text)
        )
        answers += [{"key": key, "text": answer} for key, answer in free.items()]
    await record(
        uow.session,
        ctx.audit,
        who,
        "survey.comments-read",
        f"survey:{panel_ref}",
        f"{len(sealed)} responses' free text",
    )
    return {
        "panel_ref": panel_ref,
        "comments": sorted(answers, key=lambda a: (a["key"], a["text"])),
    }


async def results(uow: UnitOfWork, panel_ref: str) -> dict[str, Any]:
    """Scores of one panel's survey (free-text answers stay in the service)."""
    questions = await _survey_questions(uow, panel_ref)
    panel = (
        await uow.session.execute(sa.select(t.panels).where(t.panels.c.panel_ref == panel_ref))
    ).one()
    scores = (
        await uow.session.scalars(
            sa.select(t.survey_responses.c.scores).where(
                t.survey_responses.c.panel_ref == panel_ref
            )
        )
    ).all()
    summary = summarise(questions, scores)
    means = {r.key: r.mean for r in summary if r.mean is not None}
    before, after = means.get(UNDERSTANDING_BEFORE), means.get(UNDERSTANDING_AFTER)
    return {
        "panel_ref": panel_ref,
        "title": panel.title,
        "held_at": panel.held_at,
        "attendees": panel.attendee_count,
        "responses": len(scores),
        "questions": [asdict(r) for r in summary],
        "understanding_uplift": (
            round(after - before, 2) if before is not None and after is not None else None
        ),
    }


async def trend(
    uow: UnitOfWork, since: datetime | None = None, until: datetime | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The latest `limit` surveyed panels held in [since, until), oldest first."""
    query = (
        sa.select(t.panels.c.panel_ref, t.panels.c.held_at)
        .join(t.surveys, t.surveys.c.panel_ref == t.panels.c.panel_ref)
        .order_by(t.panels.c.held_at.desc(), t.panels.c.panel_ref)
        .limit(limit)
    )
    if since is not None:
        query = query.where(t.panels.c.held_at >= since)
    if until is not None:
        query = query.where(t.panels.c.held_at < until)
    rows = (await uow.session.execute(query)).all()
    return [await results(uow, row.panel_ref) for row in reversed(rows)]
