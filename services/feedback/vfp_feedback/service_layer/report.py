"""The board report for a period: what the panel did and what the force learned."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.report import (
    suppressed,
    suppressed_breakdown,
    weighted_mean,
    whole_days,
)
from vfp_feedback.domain.survey import UNDERSTANDING_AFTER, UNDERSTANDING_BEFORE, USEFULNESS
from vfp_feedback.domain.themes import VICTIMS_CODE_RIGHTS
from vfp_feedback.service_layer import referrals, surveys
from vfp_feedback.service_layer.context import Context
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.storage.unit_of_work import UnitOfWork

TOP_THEMES = 10


async def board_report(
    uow: UnitOfWork, ctx: Context, since: datetime, until: datetime, who: Principal
) -> dict[str, Any]:
    """Every figure is for [since, until), widened to whole days. Counts of victims under k are
    reported as null, and so are the cells next to them that would give them away by
    subtraction."""
    since, until = whole_days(since, until)
    s, k = uow.session, ctx.k_anonymity
    ts, tt = t.testimonies, t.testimony_tags
    in_period = sa.and_(ts.c.given_at >= since, ts.c.given_at < until)

    panels = (
        await s.execute(
            sa.select(
                t.panels.c.panel_ref,
                t.panels.c.title,
                t.panels.c.held_at,
                t.panels.c.attendee_count.label("attendees"),
            )
            .where(t.panels.c.held_at >= since, t.panels.c.held_at < until)
            .order_by(t.panels.c.held_at)
        )
    ).all()

    total = await s.scalar(
        sa.select(sa.func.count(sa.distinct(ts.c.participant_ref))).where(in_period)
    )
    by_mode = (
        await s.execute(
            sa.select(ts.c.mode, sa.func.count(sa.distinct(ts.c.participant_ref)).label("n"))
            .where(in_period)
            .group_by(ts.c.mode)
            .order_by(ts.c.mode)
        )
    ).all()
    by_theme = (
        await s.execute(
            sa.select(
                tt.c.theme_code,
                tt.c.polarity,
                t.themes.c.label,
                t.themes.c.victims_code_right,
                sa.func.count(sa.distinct(ts.c.participant_ref)).label("n"),
            )
            .join(tt, tt.c.testimony_ref == ts.c.testimony_ref)
            .join(t.themes, t.themes.c.code == tt.c.theme_code)
            .where(in_period)
            .group_by(
                tt.c.theme_code, tt.c.polarity, t.themes.c.label, t.themes.c.victims_code_right
            )
            .order_by(tt.c.theme_code)
        )
    ).all()
    themes: dict[str, dict[str, Any]] = {}
    for row in by_theme:
        entry = themes.setdefault(
            row.theme_code,
            {
                "theme_code": row.theme_code,
                "label": row.label,
                "victims_code_right": row.victims_code_right,
                "positive": 0,
                "negative": 0,
            },
        )
        entry[row.polarity] = row.n
    for entry in themes.values():
        entry.update(suppressed_breakdown({p: entry[p] for p in ("positive", "negative")}, k))

    survey_panels = await surveys.trend(uow, since, until, limit=1000)

    def overall(key: str) -> float | None:
        return weighted_mean(
            [q for panel in survey_panels for q in panel["questions"] if q["key"] == key]
        )

    before, after = overall(UNDERSTANDING_BEFORE), overall(UNDERSTANDING_AFTER)

    rt = t.recurring_themes
    recurring = (
        await s.execute(
            sa.select(
                rt.c.theme_code,
                rt.c.polarity,
                t.themes.c.label,
                t.themes.c.victims_code_right,
                sa.func.max(rt.c.testimony_count).label("testimonies"),
                sa.func.max(rt.c.victim_count).label("victims"),
                sa.func.max(rt.c.panel_count).label("panels"),
                sa.func.max(rt.c.window_end).label("published_at"),
            )
            .join(t.themes, t.themes.c.code == rt.c.theme_code)
            .where(rt.c.window_end >= since, rt.c.window_end < until)
            .group_by(
                rt.c.theme_code, rt.c.polarity, t.themes.c.label, t.themes.c.victims_code_right
            )
            .order_by(sa.desc("testimonies"), rt.c.theme_code, rt.c.polarity)
            .limit(TOP_THEMES)
        )
    ).all()

    a = t.actions
    raised = await s.scalar(
        sa.select(sa.func.count()).where(a.c.raised_at >= since, a.c.raised_at < until)
    )
    completed = await s.scalar(
        sa.select(sa.func.count()).where(a.c.completed_at >= since, a.c.completed_at < until)
    )
    r = t.recognitions
    recognitions = (
        await s.execute(
            sa.select(r.c.recipient_kind, sa.func.count().label("n"))
            .where(r.c.awarded_at >= since, r.c.awarded_at < until)
            .group_by(r.c.recipient_kind)
            .order_by(r.c.recipient_kind)
        )
    ).all()
    referral_counts = await referrals.per_service_per_month(uow, since, until)
    await record(
        s,
        ctx.audit,
        who,
        "report.board",
        "report:board",
        f"{since.isoformat()}..{until.isoformat()}",
    )
    return {
        "period": {"from": since, "to": until},
        "k_anonymity": k,
        "panels_held": {"count": len(panels), "panels": [dict(p._mapping) for p in panels]},
        "participants": {
            "total": suppressed(total or 0, k),
            "by_mode": suppressed_breakdown({row.mode: row.n for row in by_mode}, k),
            "by_theme": list(themes.values()),
        },
        "survey": {
            "panels": survey_panels,
            "responses": sum(p["responses"] for p in survey_panels),
            "mean_usefulness": overall(USEFULNESS),
            "mean_understanding_before": before,
            "mean_understanding_after": after,
            "understanding_uplift": (
                round(after - before, 2) if before is not None and after is not None else None
            ),
        },
        "recurring_themes": [
            {
                "theme_code": row.theme_code,
                "polarity": row.polarity,
                "label": row.label,
                "victims_code_right": row.victims_code_right,
                "victims_code_right_text": (
                    VICTIMS_CODE_RIGHTS[row.victims_code_right][1]
                    if row.victims_code_right
                    else None
                ),
                "testimony_count": row.testimonies,
                "victim_count": row.victims,
                "panel_count": row.panels,
                "published_at": row.published_at,
            }
            for row in recurring
        ],
        "actions": {"raised": raised or 0, "completed": completed or 0},
        "recognitions": {
            "total": sum(row.n for row in recognitions),
            "by_recipient_kind": {row.recipient_kind: row.n for row in recognitions},
        },
        "referrals": {
            "total": sum(row["count"] for row in referral_counts),
            "per_service_per_month": referral_counts,
        },
    }
