"""Publish recurring themes when a testimony's tags change (decision in domain.recurrence)."""

import zlib
from collections.abc import Collection

import sqlalchemy as sa

from vfp_feedback.adapters import repository
from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.recurrence import Recurrence, recurrences
from vfp_feedback.domain.themes import Polarity
from vfp_feedback.service_layer.context import Context
from vfp_shared.contracts import ThemeRecurringV1
from vfp_shared.storage.unit_of_work import UnitOfWork


async def publish_recurring(
    uow: UnitOfWork, ctx: Context, pairs: Collection[tuple[str, Polarity]]
) -> list[Recurrence]:
    """Evaluate these theme/polarity pairs now; record and emit each that newly recurs."""
    if not pairs:
        return []
    ordered = sorted(set(pairs))
    for code, polarity in ordered:
        # Serialise evaluations of one pair, so two commands cannot both publish it.
        key = zlib.crc32(f"feedback:recurring:{code}:{polarity}".encode())
        await uow.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    now = ctx.clock()
    found = recurrences(
        await repository.occurrences(uow.session, ordered, now - ctx.rules.window),
        ctx.rules,
        now,
        await repository.last_published(uow.session, ordered),
    )
    if not found:
        return []
    rights = await repository.theme_rights(uow.session, [r.theme_code for r in found])
    for recurrence in found:
        await uow.session.execute(
            t.recurring_themes.insert().values(
                theme_code=recurrence.theme_code,
                polarity=recurrence.polarity.value,
                testimony_count=recurrence.testimony_count,
                victim_count=recurrence.victim_count,
                panel_count=recurrence.panel_count,
                window_start=recurrence.window_start,
                window_end=recurrence.window_end,
            )
        )
        uow.emit(
            ThemeRecurringV1(
                theme_code=recurrence.theme_code,
                polarity=recurrence.polarity.value,
                victims_code_right=rights[recurrence.theme_code],
                testimony_count=recurrence.testimony_count,
                victim_count=recurrence.victim_count,
                panel_count=recurrence.panel_count,
                window_start=recurrence.window_start,
                window_end=recurrence.window_end,
            )
        )
    return found
