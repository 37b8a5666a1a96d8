"""A minimal service on the shared bus: each case-closed event writes a row and emits a
candidate-identified event. Small enough to measure the plumbing, real enough to test it."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from vfp_bench.contracts import BenchCandidateIdentifiedV1, BenchCaseClosedV1
from vfp_shared.contracts.vocabulary import CandidateSource, ContactRoute
from vfp_shared.envelope import Envelope
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.bus_tables import BusTables, bus_tables, bus_tables_ddl
from vfp_shared.storage.unit_of_work import UnitOfWork


class ProbeFailure(RuntimeError):
    """Raised for a case whose ref asks for it: the poison message of the tests."""


def probe_tables(schema: str) -> tuple[sa.Table, BusTables]:
    metadata = sa.MetaData(schema=schema)
    closed_cases = sa.Table(
        "closed_cases",
        metadata,
        sa.Column("case_ref", sa.Text, primary_key=True),
        sa.Column("victim_ref", sa.Text, nullable=False),
        sa.Column("times_applied", sa.Integer, nullable=False, server_default="1"),
    )
    return closed_cases, bus_tables(metadata)


async def create_schema(runtime: ServiceRuntime) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{runtime.tables.schema}" CASCADE'))
        await conn.execute(sa.text(f'CREATE SCHEMA "{runtime.tables.schema}"'))
        metadata = runtime.tables.outbox.metadata
        await conn.run_sync(metadata.create_all)
        for statement in bus_tables_ddl(runtime.tables):
            await conn.execute(sa.text(statement))


def build_probe(settings: PlatformSettings, *, schema: str, group: str) -> ServiceRuntime:
    closed_cases, tables = probe_tables(schema)
    upsert = insert(closed_cases).on_conflict_do_update(
        index_elements=["case_ref"], set_={"times_applied": closed_cases.c.times_applied + 1}
    )

    async def on_case_closed(uow: UnitOfWork, event: Envelope[Any]) -> None:
        case: BenchCaseClosedV1 = event.data
        if "poison" in case.case_ref:
            raise ProbeFailure(f"case {case.case_ref} always fails")
        # An upsert that counts: a doubled effect would show as times_applied > 1.
        uow.stage(upsert, {"case_ref": case.case_ref, "victim_ref": case.victim_ref})
        uow.emit(
            BenchCandidateIdentifiedV1(
                participant_ref=case.victim_ref,
                themes=[],
                source=CandidateSource.FORCE_CASE,
                contact_route=ContactRoute.OFFICER_IN_CASE,
                supporter_ref=case.oic_ref,
                policy_version="probe",
                identified_at=datetime.now(UTC),
            )
        )

    runtime = ServiceRuntime(
        name=schema,
        description="Probe of the shared bus",
        settings=settings,
        tables=tables,
        migrations_dir=Path("/nonexistent"),
        handlers={BenchCaseClosedV1.TOPIC: on_case_closed},
        outgoing=[BenchCandidateIdentifiedV1],
        group=group,
    )
    return runtime
