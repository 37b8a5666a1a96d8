"""The append-only audit log: who consulted, changed, disclosed or erased a victim's record,
when and why. Lives in each service's schema; a trigger refuses UPDATE and DELETE."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_shared.auth import Principal


def audit_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "audit_log",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_roles", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("subject_ref", sa.Text, nullable=False, index=True),
        sa.Column("reason", sa.Text, nullable=False),
    )


def create_audit_table(op: Operations, table: sa.Table) -> None:
    """For a service's migration: the table and the trigger that keeps it append-only."""
    bind = op.get_bind()
    table.create(bind)
    name = f"{table.schema}.{table.name}"
    op.execute(
        f"CREATE FUNCTION {table.schema}.audit_log_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {name} "
        f"FOR EACH ROW EXECUTE FUNCTION {table.schema}.audit_log_append_only()"
    )


def entry(who: Principal | str, action: str, subject_ref: str, reason: str) -> dict[str, object]:
    """One audit row's values (for `record`, `record_many`, or a unit of work's `stage`)."""
    if isinstance(who, Principal):
        actor, roles, org = who.subject, ",".join(sorted(who.roles)), who.organisation
    else:
        actor, roles, org = who, "system", None
    return {
        "actor": actor,
        "actor_roles": roles,
        "organisation": org,
        "action": action,
        "subject_ref": subject_ref,
        "reason": reason,
    }


async def record(
    session: AsyncSession,
    table: sa.Table,
    who: Principal | str,
    action: str,
    subject_ref: str,
    reason: str,
) -> None:
    """Write one audit entry in the caller's transaction (so it commits with the access)."""
    await session.execute(table.insert().values(entry(who, action, subject_ref, reason)))


async def record_many(
    session: AsyncSession,
    table: sa.Table,
    who: Principal | str,
    action: str,
    subject_refs: Sequence[str],
    reason: str,
) -> None:
    """One audit entry per record (e.g. each row of a list someone read), in one statement."""
    if subject_refs:
        await session.execute(
            table.insert(), [entry(who, action, ref, reason) for ref in subject_refs]
        )
