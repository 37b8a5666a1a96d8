"""The staff survey after a panel: questions the coordinators define, one response per attendee."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from vfp_feedback.domain.errors import InvalidFeedback


class QuestionKind(StrEnum):
    SCALE = "scale_1_5"
    YES_NO = "yes_no"
    FREE_TEXT = "free_text"


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    kind: QuestionKind


USEFULNESS = "usefulness"
UNDERSTANDING_BEFORE = "understanding_before"
UNDERSTANDING_AFTER = "understanding_after"
WILL_CHANGE_PRACTICE = "will_change_practice"

DEFAULT_QUESTIONS: tuple[Question, ...] = (
    Question(USEFULNESS, "How useful was the panel to you? (1-5)", QuestionKind.SCALE),
    Question(
        UNDERSTANDING_BEFORE,
        "Your understanding of the victim's journey before the panel (1-5)",
        QuestionKind.SCALE,
    ),
    Question(
        UNDERSTANDING_AFTER,
        "Your understanding of the victim's journey after the panel (1-5)",
        QuestionKind.SCALE,
    ),
    Question(WILL_CHANGE_PRACTICE, "Will you change your practice?", QuestionKind.YES_NO),
    Question("comments", "Anything else you want to tell us", QuestionKind.FREE_TEXT),
)

Answer = int | bool | str


def check_questions(questions: Sequence[Question]) -> None:
    keys = [q.key for q in questions]
    if not questions:
        raise InvalidFeedback("a survey has at least one question", ("questions",))
    for index, key in enumerate(keys):
        if key in keys[:index]:
            raise InvalidFeedback("question keys must be unique", ("questions", index, "key"))


def split_answers(
    questions: Sequence[Question], answers: Mapping[str, Answer]
) -> tuple[dict[str, int | bool], dict[str, str]]:
    """Check the answers against the questions: (scores and yes/no answers, free-text answers)."""
    by_key = {q.key: q for q in questions}
    scores: dict[str, int | bool] = {}
    free: dict[str, str] = {}
    if not answers:
        raise InvalidFeedback("a response answers at least one question", ("answers",))
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            raise InvalidFeedback("no such question", ("answers", key))
        if question.kind is QuestionKind.SCALE:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise InvalidFeedback("a whole number from 1 to 5", ("answers", key))
            scores[key] = value
        elif question.kind is QuestionKind.YES_NO:
            if not isinstance(value, bool):
                raise InvalidFeedback("true or false", ("answers", key))
            scores[key] = value
        else:
            if not isinstance(value, str):
                raise InvalidFeedback("text", ("answers", key))
            free[key] = value
    return scores, free


@dataclass(frozen=True)
class QuestionResult:
    key: str
    kind: QuestionKind
    answered: int
    mean: float | None = None
    yes: int | None = None


def summarise(
    questions: Sequence[Question], responses: Sequence[Mapping[str, int | bool]]
) -> list[QuestionResult]:
    """Per scored question: how many answered and the mean (scale) or the yes count."""
    results = []
    for question in questions:
        if question.kind is QuestionKind.FREE_TEXT:
            continue
        values = [r[question.key] for r in responses if question.key in r]
        if question.kind is QuestionKind.SCALE:
            mean = round(sum(int(v) for v in values) / len(values), 2) if values else None
            results.append(QuestionResult(question.key, question.kind, len(values), mean=mean))
        else:
            yes = sum(1 for v in values if v is True)
            results.append(QuestionResult(question.key, question.kind, len(values), yes=yes))
    return results
