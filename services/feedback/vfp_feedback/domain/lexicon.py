"""Tag suggestions from a testimony's text: a transparent phrase lexicon a coordinator can read.

Polarity comes from where the words were written: "what worked well" suggests positive tags,
"what could have been better" negative ones. A phrase matches on word boundaries, case-blind.
Suggestions are proposals; a coordinator decides the tags.
"""

import re
from collections.abc import Mapping

from vfp_feedback.domain.themes import Polarity, ThemeTag

LEXICON: Mapping[str, tuple[str, ...]] = {
    "kept_informed": (
        "kept me informed",
        "kept informed",
        "kept me updated",
        "updates",
        "updated me",
        "never heard back",
        "heard nothing",
        "no update",
        "no updates",
        "chase",
        "chased",
        "left in the dark",
        "told me what was happening",
        "not told",
    ),
    "being_believed": (
        "believed me",
        "believed",
        "took me seriously",
        "taken seriously",
        "didn't believe",
        "did not believe",
        "doubted",
        "disbelieved",
    ),
    "compassion": (
        "compassion",
        "compassionate",
        "kind",
        "kindness",
        "empathy",
        "caring",
        "cared",
        "listened",
        "dismissive",
        "cold",
        "rude",
        "uncaring",
    ),
    "timeliness": (
        "quickly",
        "straight away",
        "promptly",
        "delay",
        "delays",
        "delayed",
        "took months",
        "waited",
        "waiting",
        "slow",
    ),
    "referral_to_support": (
        "referred me",
        "referral",
        "support service",
        "support worker",
        "put me in touch",
        "signposted",
        "counselling",
        "isva",
        "idva",
    ),
    "court_experience": (
        "court",
        "trial",
        "witness box",
        "special measures",
        "cross-examined",
        "courtroom",
    ),
    "safeguarding": (
        "safe",
        "safety",
        "safeguarding",
        "protection order",
        "alarm",
        "felt unsafe",
        "non-molestation",
    ),
    "communication": (
        "explained everything",
        "explained things",
        "explained it",
        "explained the process",
        "didn't explain",
        "did not explain",
        "never explained",
        "plain english",
        "jargon",
        "honest",
        "straight with me",
        "easy to understand",
        "hard to understand",
        "confusing",
        "talked down to",
    ),
    "vcr_01_understand": ("interpreter", "translator", "sign language", "bsl", "in my language"),
    "vcr_02_recorded": (
        "crime number",
        "crime reference",
        "recorded the crime",
        "not recorded",
        "never recorded",
        "wasn't recorded",
    ),
    "vcr_03_information_reporting": (
        "leaflet",
        "information pack",
        "victims' code",
        "victims code",
        "victim's code",
        "what to expect",
    ),
    "vcr_06_investigation_info": (
        # Not the bare word: almost every testimony is about an investigation.
        "update on the investigation",
        "updates on the investigation",
        "updated on the investigation",
        "how the investigation was going",
        "how the investigation was progressing",
        "progress of the investigation",
        "progress on the investigation",
        "investigation was closed",
        "investigation had been closed",
        "closed the investigation",
        "dropped the investigation",
        "arrested",
        "charged",
        "charging decision",
        "no further action",
    ),
    "vcr_07_personal_statement": ("personal statement", "victim personal statement", "vps"),
    "vcr_08_trial_info": ("trial date", "court date", "hearing date", "witness care"),
    "vcr_11_offender_info": (
        "victim contact scheme",
        "victim liaison",
        "probation",
        "parole",
        "released from prison",
        "licence conditions",
    ),
    "vcr_05_compensation": ("compensation",),
    "vcr_10_expenses_property": ("expenses", "property back", "phone back", "returned my"),
    "vcr_09_outcome_info": ("outcome", "verdict", "result of the case", "sentence", "sentenced"),
    "vcr_12_complaint": ("complaint", "complain"),
    "continuity_of_contact": (
        "same officer",
        "changed officer",
        "different officer",
        "new officer",
        "handed over",
    ),
}

# Words that look like a theme's but are not: masked before matching. "The kind of thing" is
# not compassion; "kind of her" still is.
NOT_THEMES: tuple[str, ...] = (r"\bkind of\b(?! (?:you|him|her|them|us)\b)",)

_NOT_THEMES = re.compile("|".join(NOT_THEMES), re.IGNORECASE)

_PATTERNS: dict[str, re.Pattern[str]] = {
    code: re.compile(
        r"\b(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b",
        re.IGNORECASE,
    )
    for code, phrases in LEXICON.items()
}


def themes_in(text: str) -> list[str]:
    """The theme codes whose phrases occur in `text`, in lexicon order."""
    text = _NOT_THEMES.sub(" ", text)
    return [code for code, pattern in _PATTERNS.items() if pattern.search(text)]


def suggest_tags(worked_well: str | None, could_be_better: str | None) -> list[ThemeTag]:
    """Positive tags from what worked well, negative ones from what could have been better."""
    tags = [ThemeTag(code, Polarity.POSITIVE) for code in themes_in(worked_well or "")]
    tags += [ThemeTag(code, Polarity.NEGATIVE) for code in themes_in(could_be_better or "")]
    return tags
