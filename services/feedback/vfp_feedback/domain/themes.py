"""The theme taxonomy: the 12 Victims' Code rights plus service themes. Coordinators may add
themes; a theme may map to a Victims' Code right so learning speaks the force's language."""

import re
from dataclasses import dataclass
from enum import StrEnum

from vfp_feedback.domain.errors import InvalidFeedback


class Polarity(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class ThemeKind(StrEnum):
    VICTIMS_CODE_RIGHT = "victims_code_right"
    SERVICE = "service"


@dataclass(frozen=True)
class Theme:
    code: str
    label: str
    kind: ThemeKind
    victims_code_right: int | None = None


@dataclass(frozen=True)
class ThemeTag:
    """A theme raised in a testimony, as something that worked well or could have been better."""

    theme_code: str
    polarity: Polarity


VICTIMS_CODE_RIGHTS: dict[int, tuple[str, str]] = {
    1: ("vcr_01_understand", "To be able to understand and to be understood"),
    2: ("vcr_02_recorded", "To have the details of the crime recorded without unjustified delay"),
    3: ("vcr_03_information_reporting", "To be provided with information when reporting the crime"),
    4: ("vcr_04_referral_support", "To be referred to services that support victims"),
    5: ("vcr_05_compensation", "To be provided with information about compensation"),
    6: ("vcr_06_investigation_info", "To be provided with information about the investigation"),
    7: ("vcr_07_personal_statement", "To make a Victim Personal Statement"),
    8: ("vcr_08_trial_info", "To be given information about the trial and your role as a witness"),
    9: ("vcr_09_outcome_info", "To be given information about the outcome of the case and appeals"),
    10: ("vcr_10_expenses_property", "To be paid expenses and have property returned"),
    11: ("vcr_11_offender_info", "To be given information about the offender after conviction"),
    12: ("vcr_12_complaint", "To make a complaint about your rights not being met"),
}

DEFAULT_THEMES: tuple[Theme, ...] = (
    *(
        Theme(code, label, ThemeKind.VICTIMS_CODE_RIGHT, right)
        for right, (code, label) in VICTIMS_CODE_RIGHTS.items()
    ),
    Theme("kept_informed", "Being kept informed", ThemeKind.SERVICE, 6),
    Theme("being_believed", "Being believed", ThemeKind.SERVICE),
    Theme("compassion", "Compassion and empathy", ThemeKind.SERVICE),
    Theme("timeliness", "Timeliness", ThemeKind.SERVICE, 2),
    Theme("referral_to_support", "Referral to support", ThemeKind.SERVICE, 4),
    Theme("court_experience", "Court experience", ThemeKind.SERVICE, 8),
    Theme("safeguarding", "Safeguarding", ThemeKind.SERVICE),
    Theme("communication", "Clear communication", ThemeKind.SERVICE, 1),
    Theme("continuity_of_contact", "Continuity of contact", ThemeKind.SERVICE),
)

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


def new_theme(code: str, label: str, victims_code_right: int | None) -> Theme:
    """A coordinator's new service theme, checked."""
    if not _CODE.match(code):
        raise InvalidFeedback(
            "a theme code is lower-case letters, digits and underscores", ("code",)
        )
    if victims_code_right is not None and victims_code_right not in VICTIMS_CODE_RIGHTS:
        raise InvalidFeedback("the Victims' Code has rights 1 to 12", ("victims_code_right",))
    if not label.strip():
        raise InvalidFeedback("a theme needs a label", ("label",))
    return Theme(code, label.strip(), ThemeKind.SERVICE, victims_code_right)
