"""Queries the service layer shares: consents, the theme taxonomy, theme occurrences."""

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.consent import Consent
from vfp_feedback.domain.errors import InvalidFeedback
from vfp_feedback.domain.recurrence import Occurrence
from vfp_feedback.domain.themes import Polarity, ThemeTag


def _consent(row: Any) -> Consent:
    return Consent(
        participant_ref=row.participant_ref,
        mode=row.mode,
        scopes=frozenset(row.scopes),
        contact_route=row.contact_route,
        supporter_ref=row.supporter_ref,
        support_service_ref=row.support_service_ref,
        case_study_team_refs=frozenset(row.case_study_team_refs),
        praise_officer_refs=frozenset(row.praise_officer_refs),
        given_at=row.given_at,
    )


async def load_consent(session: AsyncSession, participant_ref: str) -> Consent | None:
    row = (
        await session.execute(
            sa.select(t.consents).where(t.consents.c.participant_ref == participant_ref)
        )
    ).first()
    return _consent(row) if row else None


async def save_consent(session: AsyncSession, consent: Consent) -> None:
    """The latest consent replaces the one before (events of one victim arrive in order)."""
    values = {
        "participant_ref": consent.participant_ref,
        "mode": consent.mode,
        "scopes": sorted(consent.scopes),
        "contact_route": consent.contact_route,
        "supporter_ref": consent.supporter_ref,
        "support_service_ref": consent.support_service_ref,
        "case_study_team_refs": sorted(consent.case_study_team_refs),
        "praise_officer_refs": sorted(consent.praise_officer_refs),
        "given_at": consent.given_at,
    }
    statement = insert(t.consents).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["participant_ref"],
            set_={k: statement.excluded[k] for k in values if k != "participant_ref"},
        )
    )


def tag_field(index: int) -> tuple[str | int, ...]:
    """Where the `index`th code sits in a request's tags."""
    return ("tags", index, "theme_code")


async def theme_rights(
    session: AsyncSession,
    codes: Sequence[str],
    field: Callable[[int], tuple[str | int, ...]] = tag_field,
) -> dict[str, int | None]:
    """The Victims' Code right of each theme; unknown theme codes are refused, the error
    naming the field (`field(index)`) of the first unknown one."""
    rows = (
        await session.execute(
            sa.select(t.themes.c.code, t.themes.c.victims_code_right).where(
                t.themes.c.code.in_(set(codes))
            )
        )
    ).all()
    found = {row.code: row.victims_code_right for row in rows}
    unknown = [index for index, code in enumerate(codes) if code not in found]
    if unknown:
        names = ", ".join(sorted({codes[i] for i in unknown}))
        raise InvalidFeedback(f"unknown theme codes: {names}", field(unknown[0]))
    return found


async def replace_tags(session: AsyncSession, testimony_ref: str, tags: Iterable[ThemeTag]) -> None:
    await session.execute(
        sa.delete(t.testimony_tags).where(t.testimony_tags.c.testimony_ref == testimony_ref)
    )
    rows = [
        {
            "testimony_ref": testimony_ref,
            "theme_code": tag.theme_code,
            "polarity": tag.polarity.value,
        }
        for tag in set(tags)
    ]
    if rows:
        await session.execute(t.testimony_tags.insert(), rows)


async def tags_of(session: AsyncSession, testimony_ref: str) -> list[ThemeTag]:
    rows = (
        await session.execute(
            sa.select(t.testimony_tags.c.theme_code, t.testimony_tags.c.polarity)
            .where(t.testimony_tags.c.testimony_ref == testimony_ref)
            .order_by(t.testimony_tags.c.theme_code, t.testimony_tags.c.polarity)
        )
    ).all()
    return [ThemeTag(row.theme_code, Polarity(row.polarity)) for row in rows]


async def occurrences(
    session: AsyncSession, pairs: Collection[tuple[str, Polarity]], since: datetime
) -> list[Occurrence]:
    """Every tag of these theme/polarity pairs on a testimony given since `since`."""
    tt, ts = t.testimony_tags, t.testimonies
    wanted = sa.tuple_(tt.c.theme_code, tt.c.polarity).in_([(c, p.value) for c, p in pairs])
    rows = (
        await session.execute(
            sa.select(
                ts.c.testimony_ref,
                ts.c.participant_ref,
                ts.c.panel_ref,
                ts.c.given_at,
                tt.c.theme_code,
                tt.c.polarity,
            )
            .join(tt, tt.c.testimony_ref == ts.c.testimony_ref)
            .where(wanted, ts.c.given_at >= since)
        )
    ).all()
    return [
        Occurrence(
            r.testimony_ref,
            r.participant_ref,
            r.panel_ref,
            r.theme_code,
            Polarity(r.polarity),
            r.given_at,
        )
        for r in rows
    ]


async def last_published(
    session: AsyncSession, pairs: Collection[tuple[str, Polarity]]
) -> dict[tuple[str, Polarity], datetime]:
    rt = t.recurring_themes
    rows = (
        await session.execute(
            sa.select(rt.c.theme_code, rt.c.polarity, sa.func.max(rt.c.window_end).label("end"))
            .where(sa.tuple_(rt.c.theme_code, rt.c.polarity).in_([(c, p.value) for c, p in pairs]))
            .group_by(rt.c.theme_code, rt.c.polarity)
        )
    ).all()
    return {(r.theme_code, Polarity(r.polarity)): r.end for r in rows}
