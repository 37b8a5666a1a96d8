"""Referrals to the commissioned services: the force judges the panel by their rise."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from vfp_feedback.adapters import tables as t
from vfp_shared.contracts import ReferralMadeV1
from vfp_shared.storage.unit_of_work import UnitOfWork


async def referral_made(uow: UnitOfWork, event: ReferralMadeV1) -> None:
    await uow.session.execute(
        insert(t.referrals)
        .values(
            referral_ref=event.referral_ref,
            service_ref=event.service_ref,
            referred_by=event.referred_by,
            referred_at=event.referred_at,
        )
        .on_conflict_do_nothing()
    )


async def per_service_per_month(
    uow: UnitOfWork, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Counts by service and calendar month (UTC) of referrals made in [since, until)."""
    r = t.referrals
    month = sa.func.to_char(sa.func.timezone("UTC", r.c.referred_at), "YYYY-MM").label("month")
    rows = (
        await uow.session.execute(
            sa.select(r.c.service_ref, month, sa.func.count().label("count"))
            .where(r.c.referred_at >= since, r.c.referred_at < until)
            .group_by(r.c.service_ref, month)
            .order_by(month, r.c.service_ref)
        )
    ).all()
    return [
        {"service_ref": row.service_ref, "month": row.month, "count": row.count} for row in rows
    ]
