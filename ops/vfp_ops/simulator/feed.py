"""A seeded, believable force feed: what the records system, professional standards, the
commissioned services and staff would publish over a few months. Pure functions: the same seed,
size, clock and run id give the same feed (trace ids included).

Every ref carries the run id (``sim-<run>-...``), so one run's records can be told apart from
another's on a long-lived stack. Victims are known by pseudonymous refs only.

A few *showcase* victims are always present, whatever the seed, so a cycle can be checked: each
has a support worker or officer of their own (so their candidate is found by its supporter).
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from vfp_shared.contracts import (
    CaseClosedV1,
    CaseReopenedV1,
    ClientNominatedV1,
    ComplaintOpenedV1,
    ReferralMadeV1,
    VictimFlaggedV1,
)
from vfp_shared.contracts.base import Contract
from vfp_shared.contracts.vocabulary import AgeBand, JusticeStatus
from vfp_shared.envelope import Envelope

# The panels service's default list (PANELS_COMMISSIONED_SERVICE_REFS).
SERVICES = ("svc-sexual-offences", "svc-domestic-abuse", "svc-victim-support")
COMMAND_AREAS = ("north", "south", "west")
FORCE_SOURCE = "/force/records"
COOLING_OFF_DAYS = 28


@dataclass(frozen=True)
class Offence:
    category: str
    theme: str  # domestic_abuse, sexual_offence, stalking_harassment, hate_crime, other, none
    weight: int
    outcomes: tuple[str, ...]


OFFENCES: tuple[Offence, ...] = (
    Offence("assault_occasioning_abh", "domestic_abuse", 14, ("charged_convicted", "caution")),
    Offence("controlling_coercive_behaviour", "domestic_abuse", 8, ("charged_convicted",)),
    Offence("rape", "sexual_offence", 6, ("charged_convicted", "evidential_difficulties")),
    Offence("sexual_assault", "sexual_offence", 7, ("charged_convicted", "victim_withdrew")),
    Offence("stalking", "stalking_harassment", 7, ("charged_convicted", "community_resolution")),
    Offence("harassment", "stalking_harassment", 6, ("caution", "evidential_difficulties")),
    Offence("racially_aggravated_assault", "hate_crime", 5, ("charged_convicted",)),
    Offence("religiously_aggravated_harassment", "hate_crime", 3, ("community_resolution",)),
    Offence("robbery", "other", 5, ("charged_convicted", "no_suspect")),
    Offence("grievous_bodily_harm", "other", 4, ("charged_convicted",)),
    Offence("theft_from_vehicle", "none", 10, ("no_suspect", "evidential_difficulties")),
    Offence("criminal_damage", "none", 8, ("community_resolution", "no_suspect")),
    Offence("shoplifting", "none", 5, ("caution",)),
)
THEME_SERVICE = {
    "domestic_abuse": "svc-domestic-abuse",
    "sexual_offence": "svc-sexual-offences",
}
PENDING = (
    JusticeStatus.PENDING_CHARGE,
    JusticeStatus.PENDING_COURT,
    JusticeStatus.PENDING_SENTENCE,
    JusticeStatus.PENDING_APPEAL,
)


@dataclass(frozen=True)
class Showcase:
    """Victims present in every feed, with what the cycle does with them."""

    key: str
    expected: str  # identified, excluded:<reason>, deferred
    note: str


SHOWCASES: tuple[Showcase, ...] = (
    Showcase("live", "identified", "domestic abuse, support worker: consents live"),
    Showcase("safeguarded", "identified", "sexual offence, safeguarding: via support worker"),
    Showcase("child", "identified", "child, stalking: needs a guardian's consent"),
    Showcase("praise", "identified", "hate crime, OIC: camera off, praises the officer"),
    Showcase("case_study", "identified", "other high harm: case study to a team; withdraws"),
    Showcase("declines", "identified", "domestic abuse: approached, declines"),
    Showcase("pending_court", "excluded:not_finalised", "still awaiting trial"),
    Showcase("complaint", "identified", "a complaint is opened later: excluded"),
    Showcase("reopened", "identified", "the case is reopened later: excluded"),
    Showcase("vehicle", "excluded:no_focus_theme", "theft from a vehicle: out of scope"),
    Showcase("recent", "deferred:cooling_off", "closed 5 days ago: cooling-off"),
)


@dataclass(frozen=True)
class FeedCase:
    event: CaseClosedV1
    traceparent: str
    showcase: str | None = None

    @property
    def trace_id(self) -> str:
        return self.traceparent.split("-")[1]


@dataclass
class Feed:
    run_id: str
    cases: list[FeedCase]
    nominations: list[ClientNominatedV1]
    flags: list[VictimFlaggedV1]
    referrals: list[ReferralMadeV1]
    complaints: list[ComplaintOpenedV1]
    reopenings: list[CaseReopenedV1]
    people: dict[str, str] = field(default_factory=dict)  # ref -> directory kind
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def showcase(self, key: str) -> FeedCase:
        return next(c for c in self.cases if c.showcase == key)

    def stream(self) -> list[Envelope[Contract]]:
        """What stage 2 publishes, in the order a force's systems would (cases first, then
        the routes that bring victims forward, referrals throughout)."""
        out: list[Envelope[Contract]] = [
            Envelope(c.event, source=FORCE_SOURCE, traceparent=c.traceparent) for c in self.cases
        ]
        out += [Envelope(n, source=f"/support/{n.service_ref}") for n in self.nominations]
        out += [Envelope(f, source="/force/staff") for f in self.flags]
        out += [Envelope(r, source=f"/support/{r.service_ref}") for r in self.referrals]
        return out

    def later(self) -> list[Envelope[Contract]]:
        """Stage 4: complaints and reopenings that arrive after screening."""
        out: list[Envelope[Contract]] = [
            Envelope(c, source="/force/professional-standards") for c in self.complaints
        ]
        out += [Envelope(r, source=FORCE_SOURCE) for r in self.reopenings]
        return out

    def victims(self) -> set[str]:
        found = {c.event.victim_ref for c in self.cases}
        return found | {n.victim_ref for n in self.nominations}

    def mix(self) -> dict[str, int]:
        """The case closures by theme and by what makes them (in)eligible."""
        tally: Counter[str] = Counter()
        for case in self.cases:
            e = case.event
            themes = [
                name
                for name in (
                    "domestic_abuse",
                    "sexual_offence",
                    "stalking_harassment",
                    "hate_crime",
                    "other_high_harm",
                )
                if getattr(e, name)
            ]
            tally.update(themes or ["out_of_scope"])
            tally["in_justice_system"] += e.justice_status in PENDING
            tally["child"] += e.age_band is AgeBand.CHILD
            tally["safeguarding"] += e.safeguarding
            tally["closed_within_28_days"] += e.closed_at > self.built_at - timedelta(
                days=COOLING_OFF_DAYS
            )
        return {k: v for k, v in tally.items() if v}


def traceparent(rng: random.Random) -> str:
    return f"00-{rng.getrandbits(128):032x}-{rng.getrandbits(64):016x}-01"


def _flags(theme: str) -> dict[str, bool]:
    return {
        "domestic_abuse": theme == "domestic_abuse",
        "sexual_offence": theme == "sexual_offence",
        "stalking_harassment": theme == "stalking_harassment",
        "hate_crime": theme == "hate_crime",
        "other_high_harm": theme == "other",
    }


def build_feed(*, seed: int, size: int, now: datetime, run_id: str) -> Feed:
    """About `size` events for stage 2 (≈70% case closures, then nominations, staff flags and
    referrals), plus the complaints and reopenings of stage 4."""
    rng = random.Random(seed)
    # Trace ids are random per run (a trace must never be shared by two runs' events), yet
    # the same for the same seed and run id.
    traces = random.Random(f"{seed}:{run_id}")
    p = f"sim-{run_id}"
    people: dict[str, str] = {}
    oics = [f"{p}-oic-{i:03d}" for i in range(max(8, size // 6))]
    workers = {svc: [f"{p}-{svc}-sw-{i:02d}" for i in range(6)] for svc in SERVICES}
    for ref in oics:
        people[ref] = "staff"
    for svc, refs in workers.items():
        people[svc] = "service"
        for ref in refs:
            people[ref] = "support_worker"
    cases: list[FeedCase] = []
    counter = 0

    def case(
        showcase: str | None,
        offence: Offence,
        *,
        justice: JusticeStatus = JusticeStatus.FINALISED,
        days_ago: int = 60,
        child: bool = False,
        safeguarding: bool = False,
        service: str | None = None,
        worker: str | None = None,
        oic: str | None = None,
    ) -> FeedCase:
        nonlocal counter
        counter += 1
        event = CaseClosedV1(
            case_ref=f"{p}-case-{counter:05d}",
            victim_ref=f"{p}-victim-{counter:05d}",
            oic_ref=oic or rng.choice(oics),
            offence_category=offence.category,
            **_flags(offence.theme),
            outcome=rng.choice(offence.outcomes),
            justice_status=justice,
            closed_at=now - timedelta(days=days_ago, hours=rng.randint(0, 20)),
            age_band=AgeBand.CHILD if child else AgeBand.ADULT,
            support_service_ref=service,
            support_worker_ref=worker,
            safeguarding=safeguarding,
        )
        return FeedCase(event, traceparent(traces), showcase)

    by_name = {o.category: o for o in OFFENCES}

    def own(kind: str, key: str) -> str:
        ref = f"{p}-{kind}-{key}"
        people[ref] = "support_worker" if kind.startswith("sw") else "staff"
        return ref

    da, so = by_name["assault_occasioning_abh"], by_name["rape"]
    cases += [
        case("live", da, service=SERVICES[1], worker=own("sw", "live")),
        case(
            "safeguarded",
            so,
            safeguarding=True,
            service=SERVICES[0],
            worker=own("sw", "safeguarded"),
        ),
        case("child", by_name["stalking"], child=True, oic=own("oic", "child")),
        case("praise", by_name["racially_aggravated_assault"], oic=own("oic", "praise")),
        case(
            "case_study",
            by_name["grievous_bodily_harm"],
            service=SERVICES[2],
            worker=own("sw", "case-study"),
        ),
        case("declines", da, oic=own("oic", "declines")),
        case("pending_court", da, justice=JusticeStatus.PENDING_COURT, oic=own("oic", "court")),
        case("complaint", by_name["harassment"], oic=own("oic", "complaint")),
        case("reopened", by_name["sexual_assault"], oic=own("oic", "reopened")),
        case("vehicle", by_name["theft_from_vehicle"], oic=own("oic", "vehicle")),
        case("recent", da, days_ago=5, oic=own("oic", "recent")),
    ]
    weights = [o.weight for o in OFFENCES]
    n_cases = max(len(cases), int(size * 0.7))
    while len(cases) < n_cases:
        offence = rng.choices(OFFENCES, weights)[0]
        service = THEME_SERVICE.get(offence.theme)
        if offence.theme != "none" and service is None and rng.random() < 0.3:
            service = SERVICES[2]
        worker = rng.choice(workers[service]) if service and rng.random() < 0.8 else None
        cases.append(
            case(
                None,
                offence,
                justice=rng.choice(PENDING) if rng.random() < 0.2 else JusticeStatus.FINALISED,
                days_ago=rng.randint(1, 27) if rng.random() < 0.15 else rng.randint(29, 330),
                child=rng.random() < 0.08,
                # A safeguarding flag here always comes with a support worker (so every
                # candidate of the run is reachable, and so attributable, by its supporter).
                safeguarding=worker is not None and rng.random() < 0.25,
                service=service,
                worker=worker,
            )
        )
    randoms = [c for c in cases if c.showcase is None]
    remaining = max(0, size - len(cases))
    nominations: list[ClientNominatedV1] = []
    for c in rng.sample(randoms, min(len(randoms), max(1, remaining // 4))):
        svc = c.event.support_service_ref or rng.choice(SERVICES)
        nominations.append(
            ClientNominatedV1(
                victim_ref=c.event.victim_ref,
                service_ref=svc,
                support_worker_ref=c.event.support_worker_ref or rng.choice(workers[svc]),
                case_ref=c.event.case_ref,
                age_band=c.event.age_band,
                nominated_at=now - timedelta(days=rng.randint(0, 20)),
            )
        )
    for i in range(2):  # clients whose case the force has not closed yet: pending
        svc = SERVICES[i]
        nominations.append(
            ClientNominatedV1(
                victim_ref=f"{p}-victim-nominated-{i}",
                service_ref=svc,
                support_worker_ref=workers[svc][i],
                nominated_at=now - timedelta(days=2),
            )
        )
    flags: list[VictimFlaggedV1] = []
    for c in rng.sample(randoms, min(len(randoms), max(1, remaining // 4))):
        team = f"{p}-team-{rng.choice(COMMAND_AREAS)}-investigations"
        people[team] = "team"
        flags.append(
            VictimFlaggedV1(
                victim_ref=c.event.victim_ref,
                case_ref=c.event.case_ref,
                flagged_by_ref=c.event.oic_ref,
                team_ref=team,
                flagged_at=now - timedelta(days=rng.randint(0, 20)),
            )
        )
    referrals = [
        ReferralMadeV1(
            referral_ref=f"{p}-referral-{i:04d}",
            service_ref=rng.choices(SERVICES, (3, 4, 5))[0],
            referred_at=now - timedelta(days=rng.randint(0, 180)),
            referred_by=rng.choice(("police", "police", "self", "partner")),
        )
        for i in range(max(3, size - len(cases) - len(nominations) - len(flags)))
    ]
    complaint_case = next(c for c in cases if c.showcase == "complaint").event
    complaints = [
        ComplaintOpenedV1(
            complaint_ref=f"{p}-complaint-1", case_ref=complaint_case.case_ref, opened_at=now
        )
    ]
    reopened_case = next(c for c in cases if c.showcase == "reopened").event
    reopenings = [CaseReopenedV1(case_ref=reopened_case.case_ref, reopened_at=now)]
    return Feed(run_id, cases, nominations, flags, referrals, complaints, reopenings, people, now)
