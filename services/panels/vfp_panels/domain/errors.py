"""What can go wrong in the panels domain. The HTTP entry point maps these in one place:
NotFound → 404, Conflict → 409, Invalid / AgendaRulesBroken → 422."""

from collections.abc import Sequence
from dataclasses import dataclass


class PanelsError(Exception):
    """Base of every panels domain error."""


class NotFound(PanelsError):
    """No such record here (or it belongs to another organisation: existence must not leak)."""


class PanelNotFound(NotFound):
    pass


class InvitationNotFound(NotFound):
    pass


class AlertNotFound(NotFound):
    pass


class Conflict(PanelsError):
    """The request clashes with the current state."""


class IllegalTransition(Conflict):
    def __init__(self, current: str, action: str):
        super().__init__(f"cannot {action} a panel that is {current}")
        self.current = current
        self.action = action


class PanelClash(Conflict):
    def __init__(self, other_refs: Sequence[str]):
        super().__init__(f"the panel's time overlaps another panel: {', '.join(other_refs)}")
        self.other_refs = list(other_refs)


class NotYetStarted(Conflict):
    def __init__(self) -> None:
        super().__init__("the panel has not started yet")


class AttendanceClosed(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "the panel is held: attendance is recorded before or with marking it held, "
            "so that it reaches the staff survey"
        )


class AgendaDoesNotFit(Conflict):
    def __init__(self, agenda_minutes: int, event_minutes: int):
        super().__init__(
            f"the published agenda lasts {agenda_minutes} minutes; the new times give "
            f"{event_minutes} (shorten the agenda first)"
        )


class AgendaChangedMeanwhile(Conflict):
    def __init__(self) -> None:
        super().__init__("the agenda changed while it was being published: publish it again")


class RegistrationClosed(Conflict):
    def __init__(self) -> None:
        super().__init__("registration closes when the panel starts")


class Invalid(PanelsError):
    """Input that breaks a domain rule about one field (reported like a validation error)."""

    def __init__(self, loc: Sequence[str | int], message: str):
        super().__init__(message)
        self.loc = tuple(loc)
        self.message = message


@dataclass(frozen=True)
class BrokenRule:
    rule: str
    message: str


class AgendaRulesBroken(PanelsError):
    """The agenda may not be published: each broken check is named."""

    def __init__(self, broken: Sequence[BrokenRule]):
        super().__init__("; ".join(f"{b.rule}: {b.message}" for b in broken))
        self.broken = list(broken)
