"""Builders of test events."""

from datetime import UTC, datetime
from uuid import uuid4

from vfp_bench.contracts import BenchCaseClosedV1
from vfp_shared.contracts.vocabulary import AgeBand, JusticeStatus


def run_id() -> str:
    return uuid4().hex[:10]


def case_closed(
    case_ref: str, *, victim_ref: str | None = None, note: str = ""
) -> BenchCaseClosedV1:
    return BenchCaseClosedV1(
        case_ref=case_ref,
        victim_ref=victim_ref or f"victim-{case_ref}",
        oic_ref="oic-1",
        offence_category=note or "assault",
        domestic_abuse=True,
        outcome="convicted",
        justice_status=JusticeStatus.FINALISED,
        closed_at=datetime(2026, 5, 1, tzinfo=UTC),
        age_band=AgeBand.ADULT,
    )
