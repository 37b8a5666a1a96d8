"""Stage 8: the panel is held once it has started; the staff survey opens in feedback and
five of the attending staff answer it."""

from datetime import UTC, datetime, timedelta
from typing import Any

from vfp_ops.simulator.outcome import StageFailed
from vfp_ops.simulator.polling import poll
from vfp_ops.simulator.stages.state import CycleState

RESPONDENTS = 5


async def hold_panel_and_survey(cycle: CycleState) -> str:
    result, http, staff = cycle.result, cycle.http, cycle.cast.staff
    ref = result.panel_ref
    assert cycle.panel_starts is not None
    opens = cycle.panel_starts + timedelta(seconds=0.5)

    async def started() -> bool:
        return datetime.now(UTC) >= opens

    await poll(started, "the panel's start", 60, 0.2)
    await http.call(
        "POST",
        "panels",
        f"/panels/{ref}/held",
        cycle.lead_token,
        {
            "recording_ref": cycle.cast.ref("recording-autumn"),
            "attendees": [{"attendee_ref": s} for s in staff],
        },
    )
    held = await cycle.events("panels.panel-held.v1", lambda d: d.panel_ref == ref)
    result.attendees = len(held[0].envelope.data.attendee_refs)

    async def survey_open() -> Any:
        response = await http.call(
            "GET",
            "feedback",
            f"/panels/{ref}/survey",
            cycle.staff_token(staff[0]),
            expect=(200, 404),
        )
        return response.json() if response.status_code == 200 else None

    survey = await poll(survey_open, "the staff survey to open", 30)
    result.survey_opened = True
    for i, respondent in enumerate(staff[:RESPONDENTS]):
        await http.call(
            "POST",
            "feedback",
            f"/panels/{ref}/survey/responses",
            cycle.staff_token(respondent),
            {"answers": answers(survey["questions"], i)},
        )
    results = await http.json(
        "GET", "feedback", f"/panels/{ref}/survey/results", cycle.coordinator_token
    )
    result.survey_responses = int(results["responses"])
    if result.survey_responses != RESPONDENTS:
        raise StageFailed(f"{result.survey_responses} survey responses, expected {RESPONDENTS}")
    return (
        f"held with {result.attendees} attendees ({result.registrations} registered); "
        f"survey opened in feedback; {result.survey_responses} responses, understanding "
        f"uplift {results.get('understanding_uplift')}"
    )


def answers(questions: list[dict[str, Any]], respondent: int) -> dict[str, Any]:
    """One respondent's answers, varied between respondents."""
    given: dict[str, Any] = {}
    for q in questions:
        if q["kind"] == "scale_1_5":
            given[q["key"]] = 3 + (respondent + len(q["key"])) % 3
        elif q["kind"] == "yes_no":
            given[q["key"]] = respondent % 4 != 0
        else:
            given[q["key"]] = "Hearing it first-hand changed how I will update victims."
    return given
