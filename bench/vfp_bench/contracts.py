"""The probe's own topics: measuring and testing the bus must never feed fake cases to the
real services, so the probe reads and writes copies of the real contracts under bench names."""

from vfp_shared.contracts import CandidateIdentifiedV1, CaseClosedV1
from vfp_shared.contracts.base import event


@event("bench.case-closed", version=1, key="case_ref")
class BenchCaseClosedV1(CaseClosedV1):
    """A case-closed event, on the benchmark's topic."""


@event("bench.candidate-identified", version=1, key="participant_ref")
class BenchCandidateIdentifiedV1(CandidateIdentifiedV1):
    """A candidate-identified event, on the benchmark's topic."""
