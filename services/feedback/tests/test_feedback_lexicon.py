"""The tag-suggestion lexicon against a small labelled set: precision and recall.

Each sentence was labelled by hand with the themes a coordinator would tag. The lexicon was
tuned on this set, so it is not a held-out measure. Some are hard on purpose (no keyword, or a
keyword in another sense).
"""

from vfp_feedback.domain.lexicon import LEXICON, suggest_tags
from vfp_feedback.domain.themes import Polarity, ThemeTag

P, N = Polarity.POSITIVE, Polarity.NEGATIVE

# (what worked well, what could have been better, the tags a coordinator gave)
LABELLED: list[tuple[str, str, set[tuple[str, Polarity]]]] = [
    ("The officer kept me updated every week.", "", {("kept_informed", P)}),
    ("", "I never heard back after giving my statement.", {("kept_informed", N)}),
    ("She believed me from the very first call.", "", {("being_believed", P)}),
    (
        "",
        "They treated it as the kind of thing that happens every weekend.",
        {("being_believed", N)},
    ),
    ("Everyone was kind and really listened.", "", {("compassion", P)}),
    ("", "The call handler was rude and dismissive.", {("compassion", N)}),
    ("They came out straight away.", "", {("timeliness", P)}),
    ("", "It took months before anyone looked at my phone.", {("timeliness", N)}),
    ("The officer referred me to an ISVA the same day.", "", {("referral_to_support", P)}),
    ("", "Nobody told me there was a support service I could use.", {("referral_to_support", N)}),
    ("Special measures at court meant I did not have to see him.", "", {("court_experience", P)}),
    (
        "",
        "The trial was adjourned three times and nobody explained why.",
        {("court_experience", N), ("kept_informed", N)},
    ),
    ("They fitted an alarm so I felt safe at home.", "", {("safeguarding", P)}),
    ("", "I felt unsafe when he was released on bail.", {("safeguarding", N)}),
    ("I was helped to write my victim personal statement.", "", {("vcr_07_personal_statement", P)}),
    (
        "",
        "I waited a year to get my phone back.",
        {("vcr_10_expenses_property", N), ("timeliness", N)},
    ),
    (
        "",
        "I had to chase them to find out the verdict.",
        {("kept_informed", N), ("vcr_09_outcome_info", N)},
    ),
    (
        "",
        "Every few weeks there was a different officer and I had to start again.",
        {("continuity_of_contact", N)},
    ),
    ("My officer was honest about what could happen.", "", {("communication", P)}),
    (
        "",
        "My complaint about the delay went nowhere.",
        {("vcr_12_complaint", N), ("timeliness", N)},
    ),
    ("It was kind of her to sit with me while I waited.", "", {("compassion", P)}),
    ("", "It felt kind of pointless reporting it.", set()),
    ("", "Nobody used plain English, it was all jargon.", {("communication", N)}),
    ("The officer explained everything so I could follow it.", "", {("communication", P)}),
    ("", "Nobody mentioned that I could claim compensation.", {("vcr_05_compensation", N)}),
    ("They found me an interpreter for every interview.", "", {("vcr_01_understand", P)}),
    ("", "They never gave me a crime number.", {("vcr_02_recorded", N)}),
    (
        "",
        "I only heard about the Victims' Code from my ISVA.",
        {("vcr_03_information_reporting", N)},
    ),
    (
        "",
        "Nobody told me he had been arrested.",
        {("vcr_06_investigation_info", N), ("kept_informed", N)},
    ),
    ("Witness care rang me a week before the trial date.", "", {("vcr_08_trial_info", P)}),
    (
        "",
        "I was not told when he was let out of prison.",
        {("vcr_11_offender_info", N), ("kept_informed", N)},
    ),
    (
        "The victim contact scheme kept me up to date about his parole.",
        "",
        {("vcr_11_offender_info", P), ("kept_informed", P)},
    ),
]


def test_the_labelled_set_covers_every_theme_the_lexicon_knows() -> None:
    labelled = {code for _, _, labels in LABELLED for code, _ in labels}
    assert len(LABELLED) == 32
    assert set(LEXICON) <= labelled


def test_the_kind_of_thing_is_not_compassion() -> None:
    assert suggest_tags("", "It was the kind of thing they see every day.") == []
    assert suggest_tags("It was kind of them to call.", "") == [ThemeTag("compassion", P)]


def test_the_lexicon_suggests_tags_with_useful_precision_and_recall() -> None:
    true_positives = suggested = expected = 0
    for worked_well, could_be_better, labels in LABELLED:
        found = {(t.theme_code, t.polarity) for t in suggest_tags(worked_well, could_be_better)}
        true_positives += len(found & labels)
        suggested += len(found)
        expected += len(labels)
    precision, recall = true_positives / suggested, true_positives / expected
    print(
        f"lexicon: precision {precision:.2f}, recall {recall:.2f} "
        f"({true_positives} right of {suggested} suggested, {expected} labelled)"
    )
    assert precision >= 0.8
    assert recall >= 0.7


def test_an_investigation_mentioned_in_passing_is_not_investigation_info() -> None:
    assert suggest_tags("During the investigation the officer was kind.", "") == [
        ThemeTag("compassion", P)
    ]
    assert suggest_tags("", "Nobody gave me an update on the investigation.") == [
        ThemeTag("vcr_06_investigation_info", N)
    ]


def test_polarity_follows_where_the_words_were_written() -> None:
    assert suggest_tags("they kept me informed", "they kept me informed") == [
        ThemeTag("kept_informed", P),
        ThemeTag("kept_informed", N),
    ]
