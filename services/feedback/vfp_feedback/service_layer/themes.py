"""The theme taxonomy coordinators extend."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.errors import Conflict
from vfp_feedback.domain.themes import new_theme
from vfp_feedback.service_layer.context import Context
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.storage.unit_of_work import UnitOfWork


async def list_themes(uow: UnitOfWork) -> list[dict[str, Any]]:
    rows = (
        await uow.session.execute(
            sa.select(
                t.themes.c.code, t.themes.c.label, t.themes.c.kind, t.themes.c.victims_code_right
            ).order_by(t.themes.c.code)
        )
    ).all()
    return [dict(row._mapping) for row in rows]


async def add_theme(
    uow: UnitOfWork,
    ctx: Context,
    code: str,
    label: str,
    victims_code_right: int | None,
    who: Principal,
) -> dict[str, Any]:
    theme = new_theme(code, label, victims_code_right)
    inserted = await uow.session.execute(
        insert(t.themes)
        .values(
            code=theme.code,
            label=theme.label,
            kind=theme.kind.value,
            victims_code_right=theme.victims_code_right,
        )
        .on_conflict_do_nothing()
        .returning(t.themes.c.code)
    )
    if inserted.first() is None:
        raise Conflict(f"theme {theme.code} exists")
    await record(uow.session, ctx.audit, who, "theme.added", f"theme:{theme.code}", "taxonomy")
    return {
        "code": theme.code,
        "label": theme.label,
        "kind": theme.kind.value,
        "victims_code_right": theme.victims_code_right,
    }
