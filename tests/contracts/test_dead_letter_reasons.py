from pydantic import ValidationError

from vfp_shared.bus.dead_letters import describe
from vfp_shared.contracts import CaseClosedV1


def test_a_dead_letter_reason_never_repeats_the_offending_input() -> None:
    try:
        CaseClosedV1.model_validate({"case_ref": ["Jane Doe, 1 High Street"]})
    except ValidationError as error:
        reason = describe(error)
    assert "case_ref" in reason
    assert "Jane" not in reason
