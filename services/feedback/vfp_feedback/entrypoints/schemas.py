"""The HTTP API's request bodies (pydantic validates them and names a bad field in its 422)."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from vfp_feedback.domain.actions import ActionStatus
from vfp_feedback.domain.consent import RecipientKind
from vfp_feedback.domain.endorsements import EndorsementOutcome
from vfp_feedback.domain.survey import QuestionKind
from vfp_feedback.domain.testimonies import TestimonyRoute
from vfp_feedback.domain.themes import Polarity, ThemeTag

# A coordinator's short label that goes on the bus (an action's title, an endorsement's
# subject): one line, never a victim's words or a name. The contracts set no length; this does.
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


class Tag(BaseModel):
    theme_code: str
    polarity: Polarity

    def domain(self) -> ThemeTag:
        return ThemeTag(self.theme_code, self.polarity)


class NewTheme(BaseModel):
    code: str = Field(min_length=2, max_length=63)
    label: str = Field(min_length=1, max_length=200)
    victims_code_right: int | None = Field(default=None, ge=1, le=12)


class NewTestimony(BaseModel):
    participant_ref: str = Field(min_length=1)
    panel_ref: str = Field(min_length=1)
    route: TestimonyRoute
    worked_well: str | None = Field(default=None, max_length=20000)
    could_be_better: str | None = Field(default=None, max_length=20000)
    tags: list[Tag] = []
    given_at: datetime | None = None


class SupportFeedback(BaseModel):
    participant_ref: str = Field(min_length=1)
    panel_ref: str = Field(min_length=1)
    worked_well: str | None = Field(default=None, max_length=20000)
    could_be_better: str | None = Field(default=None, max_length=20000)
    informal: bool = False
    given_at: datetime | None = None


class Tags(BaseModel):
    tags: list[Tag]


class SurveyQuestion(BaseModel):
    key: str = Field(min_length=1, max_length=63)
    text: str = Field(min_length=1, max_length=500)
    kind: QuestionKind


class SurveyQuestions(BaseModel):
    questions: list[SurveyQuestion] = Field(min_length=1)


class SurveyResponse(BaseModel):
    answers: dict[str, int | bool | str] = Field(min_length=1)


class NewCaseStudy(BaseModel):
    participant_ref: str = Field(min_length=1)
    panel_ref: str | None = None
    team_refs: list[str] = Field(min_length=1)
    write_up: str = Field(min_length=1, max_length=50000)


class NewRecognition(BaseModel):
    participant_ref: str = Field(min_length=1)
    recipient_kind: RecipientKind
    recipient_ref: str = Field(min_length=1)
    line_manager_ref: str | None = None
    panel_ref: str | None = None
    message: str | None = Field(default=None, max_length=5000)


class EndorsementRequest(BaseModel):
    participant_refs: list[str] = Field(min_length=1)
    subject: Label


class EndorsementAnswer(BaseModel):
    outcome: EndorsementOutcome
    comments: str | None = Field(default=None, max_length=20000)


class NewAction(BaseModel):
    title: Label
    owner_ref: str = Field(min_length=1)
    due_on: date
    theme_code: str | None = None
    # Raised from a theme: the victims who said it with this polarity are linked.
    polarity: Polarity = Polarity.NEGATIVE
    testimony_refs: list[str] = []


class ActionStatusChange(BaseModel):
    status: ActionStatus
