"""Learning actions: raised from a theme or a testimony, owned, due, and done."""

from enum import StrEnum

from vfp_feedback.domain.errors import IllegalTransition


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


_ALLOWED = {
    ActionStatus.OPEN: {ActionStatus.IN_PROGRESS, ActionStatus.COMPLETED},
    ActionStatus.IN_PROGRESS: {ActionStatus.COMPLETED},
    ActionStatus.COMPLETED: set(),
}


def transition(current: ActionStatus, to: ActionStatus) -> ActionStatus:
    if to not in _ALLOWED[current]:
        raise IllegalTransition(f"an action that is {current} cannot become {to}")
    return to
