"""Candidates and the facts screening needs, on the participants schema."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_participants.adapters.do_not_contact import DoNotContactList
from vfp_participants.adapters.tables import candidates, cases, do_not_contact, history
from vfp_participants.domain.model import Approach, Candidate, Consent, HistoryEntry, Status
from vfp_participants.domain.screening import CaseFacts, VictimFacts
from vfp_shared.contracts.vocabulary import (
    CandidateSource,
    ConsentScope,
    ContactRoute,
    FocusTheme,
    JusticeStatus,
    ParticipationMode,
)

# One statement object, so staged history lines of a whole batch go in one executemany.
HISTORY_INSERT = history.insert()


@dataclass
class Sourcing:
    """How the victim reached us: the refs screening needs, kept beside the candidate."""

    victim_ref: str | None = None
    claimed_case_ref: str | None = None
    nominated_service_ref: str | None = None
    nominated_worker_ref: str | None = None
    declared_themes: frozenset[FocusTheme] = frozenset()
    declared_child: bool = False


@dataclass
class CandidateRecord:
    candidate: Candidate
    sourcing: Sourcing = field(default_factory=Sourcing)
    updated_at: datetime | None = None
    # The journey's traceparent as read with the row (None: not started); `journey_known` is
    # False for a record not read from its row, whose journey must be looked up.
    journey: str | None = None
    journey_known: bool = False
    # A self-referrer kept as `merged_duplicate`: the victim's candidate it went into.
    merged_into: str | None = None


class ClosureRecorded(NamedTuple):
    listed: bool  # the victim is on the do-not-contact list
    has_candidate: bool
    new_case: bool  # the victim's case was not known closed before


@dataclass(frozen=True)
class CandidateFilter:
    theme: FocusTheme | None = None
    status: Status | None = None
    source: CandidateSource | None = None
    route: ContactRoute | None = None
    support_service_ref: str | None = None
    limit: int = 100
    offset: int = 0


class CandidateRepository:
    def __init__(self, session: AsyncSession, do_not_contact: DoNotContactList):
        self.session = session
        self.do_not_contact = do_not_contact

    # --- candidates --------------------------------------------------------------------------

    async def get(self, participant_ref: str, *, lock: bool = True) -> CandidateRecord | None:
        query = sa.select(candidates).where(candidates.c.participant_ref == participant_ref)
        row = (await self.session.execute(query.with_for_update() if lock else query)).first()
        return _record(row) if row else None

    async def for_victim_or_case(
        self, victim_ref: str | None, case_ref: str | None
    ) -> list[CandidateRecord]:
        """The candidates a case's news concerns, locked, in a stable order."""
        conditions = []
        if victim_ref is not None:
            conditions.append(candidates.c.victim_ref == victim_ref)
        if case_ref is not None:
            conditions.append(candidates.c.claimed_case_ref == case_ref)
        if not conditions:
            return []
        rows = await self.session.execute(
            sa.select(candidates)
            .where(sa.or_(*conditions))
            .order_by(candidates.c.participant_ref)
            .with_for_update()
        )
        return [_record(row) for row in rows]

    async def ensure_for_victim(self, victim_ref: str, source: CandidateSource) -> bool:
        """The victim's one candidate, created on first sight; records the new route. Returns
        whether the route is new for the victim."""
        row = (await self.session.execute(_ENSURED, _ensure_params(victim_ref, source))).one()
        return bool(row.new_route)

    async def ensure_for_victim_or_case(
        self, victim_ref: str, source: CandidateSource, case_ref: str | None
    ) -> list[tuple[CandidateRecord, bool]]:
        """`ensure_for_victim` then `for_victim_or_case`, in one statement: the upsert returns
        the victim's candidate (locked by the upsert), a CTE locks those claiming the case.
        Each with whether this brought it a new route (only ever the victim's own candidate).
        A victim without a candidate gets none when a self-referrer claims the case: the
        caller attaches that self-referrer to the victim instead (see `attach`)."""
        params = _ensure_params(victim_ref, source)
        rows: sa.Result[Any]
        if case_ref is None:
            rows = await self.session.execute(_ENSURED, params)
        else:
            rows = await self.session.execute(_ENSURED_OR_CLAIMED, {**params, "p_case": case_ref})
        return [(_record(row), bool(row.new_route)) for row in rows]

    async def record_closure_unless_listed(
        self, values: dict[str, Any], victim_digest: str
    ) -> ClosureRecorded:
        """Upsert a case's closure (an older closure never overwrites a newer one) unless the
        victim (`victim_digest`) is on the do-not-contact list and has no candidate; one
        statement. `values`: all of `CLOSURE_COLUMNS`."""
        assert set(values) == set(CLOSURE_COLUMNS)
        params = {f"p_{k}": v for k, v in values.items()}
        row = (
            await self.session.execute(
                _CLOSURE_UNLESS_LISTED, {**params, "p_digest": victim_digest}
            )
        ).one()
        return ClosureRecorded(bool(row.listed), bool(row.has_candidate), bool(row.new_case))

    async def attach(
        self, record: CandidateRecord, victim_ref: str, source: CandidateSource
    ) -> None:
        """A self-referrer turns out to be this force victim: their candidate becomes the
        victim's (the one victim = one candidate), with the force's route added."""
        if source not in record.candidate.sources:
            record.candidate.sources += (source,)
        await self.session.execute(
            candidates.update()
            .where(candidates.c.participant_ref == record.candidate.participant_ref)
            .values(victim_ref=victim_ref, sources=[s.value for s in record.candidate.sources])
        )
        record.sourcing.victim_ref = victim_ref

    async def take_declarations(self, into: CandidateRecord, other: CandidateRecord) -> None:
        """What a merged self-referrer declared (themes, a child) goes on the victim's candidate:
        added only, so a claim never takes away a theme or the child flag (nor safeguarding,
        which only the force's cases carry)."""
        s = into.sourcing
        s.declared_themes |= other.sourcing.declared_themes
        s.declared_child |= other.sourcing.declared_child
        await self.session.execute(
            candidates.update()
            .where(candidates.c.participant_ref == into.candidate.participant_ref)
            .values(declared_themes=sorted(s.declared_themes), declared_child=s.declared_child)
        )

    async def delete(self, participant_ref: str) -> None:
        """The candidate and its history, gone (a merged self-referral nobody else heard of)."""
        await self.session.execute(
            sa.delete(history).where(history.c.participant_ref == participant_ref)
        )
        await self.session.execute(
            sa.delete(candidates).where(candidates.c.participant_ref == participant_ref)
        )

    async def record_merge(self, gone: str, into: str, *, kept: bool) -> None:
        """`gone` was merged into `into`: those merged into `gone` before now go with `into`
        (so one hop always reaches the live candidate), and `gone` too when it is `kept`."""
        where = candidates.c.merged_into == gone
        if kept:
            where = sa.or_(where, candidates.c.participant_ref == gone)
        await self.session.execute(candidates.update().where(where).values(merged_into=into))

    async def merged_into(self, participant_ref: str) -> list[tuple[str, Status]]:
        """The kept claimers merged into this candidate (ref, status), locked, in ref order."""
        rows = await self.session.execute(
            sa.select(candidates.c.participant_ref, candidates.c.status)
            .where(candidates.c.merged_into == participant_ref)
            .order_by(candidates.c.participant_ref)
            .with_for_update()
        )
        return [(row.participant_ref, Status(row.status)) for row in rows]

    async def add_self_referred(
        self,
        *,
        claimed_case_ref: str,
        declared_themes: frozenset[FocusTheme],
        declared_child: bool,
    ) -> str:
        participant_ref = str(uuid4())
        await self.session.execute(
            candidates.insert().values(
                participant_ref=participant_ref,
                claimed_case_ref=claimed_case_ref,
                status=Status.PENDING.value,
                sources=[CandidateSource.SELF_REFERRAL.value],
                declared_themes=sorted(declared_themes),
                declared_child=declared_child,
            )
        )
        return participant_ref

    async def record_nomination(
        self, victim_ref: str, service_ref: str, worker_ref: str, child: bool
    ) -> None:
        """The nominating service and worker; never replaces another service's nomination."""
        await self.session.execute(
            candidates.update()
            .where(
                candidates.c.victim_ref == victim_ref,
                sa.or_(
                    candidates.c.nominated_service_ref.is_(None),
                    candidates.c.nominated_service_ref == service_ref,
                ),
            )
            .values(
                nominated_service_ref=service_ref,
                nominated_worker_ref=worker_ref,
                declared_child=candidates.c.declared_child | child,
            )
        )

    async def due_for_rescreening(self, now: datetime, limit: int) -> list[CandidateRecord]:
        rows = await self.session.execute(
            sa.select(candidates)
            .where(
                candidates.c.status == Status.DEFERRED.value,
                candidates.c.deferred_until <= now,
            )
            .order_by(candidates.c.deferred_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_record(row) for row in rows]

    async def save(
        self,
        record: CandidateRecord,
        trigger: str,
        *,
        journey: str | None = None,
        stage: Callable[[Any, dict[str, Any]], None] | None = None,
    ) -> list[HistoryEntry]:
        """Write the candidate and its new history lines; returns those lines. `journey`: also
        start the candidate's journey trace. `stage`: queue the history lines to be written at
        commit (when nothing reads them back before)."""
        c = record.candidate
        values: dict[str, Any] = {
            "p_ref": c.participant_ref,
            "status": c.status.value,
            "sources": [s.value for s in c.sources],
            "themes": sorted(c.themes),
            "contact_route": c.contact_route.value if c.contact_route else None,
            "supporter_ref": c.supporter_ref,
            "support_service_ref": c.support_service_ref,
            "child": c.child,
            "safeguarding": c.safeguarding,
            "reason_codes": list(c.reason_codes),
            "excluded_by_screening": c.excluded_by_screening,
            "deferred_until": c.deferred_until,
            "policy_version": c.policy_version,
            "approach": _approach_json(c.approach),
            "last_approached_at": c.last_approached_at,
            "consent": _consent_json(c.consent),
            "withdrawn_at": c.withdrawn_at,
        }
        if journey is not None:
            values["journey_traceparent"] = journey
        await self.session.execute(_SAVE, values)
        if journey is not None:
            record.journey, record.journey_known = journey, True
        written = list(c.history)
        lines = [
            {
                "participant_ref": c.participant_ref,
                "at": entry.at,
                "kind": entry.kind,
                "from_status": entry.from_status.value,
                "to_status": entry.to_status.value,
                "reason_codes": list(entry.reason_codes),
                "policy_version": entry.policy_version,
                "detail": entry.detail,
                "trigger": trigger,
            }
            for entry in written
        ]
        if stage is not None:
            for line in lines:
                stage(HISTORY_INSERT, line)
        elif lines:
            await self.session.execute(history.insert(), lines)
        c.history.clear()
        return written

    async def forget_victim(self, record: CandidateRecord) -> None:
        """Erasure: drop the victim's refs and the cases that were theirs."""
        victim_ref = record.sourcing.victim_ref
        if victim_ref is not None:
            await self.session.execute(sa.delete(cases).where(cases.c.victim_ref == victim_ref))
        await self.session.execute(
            candidates.update()
            .where(candidates.c.participant_ref == record.candidate.participant_ref)
            .values(
                victim_ref=None,
                claimed_case_ref=None,
                nominated_service_ref=None,
                nominated_worker_ref=None,
                declared_themes=[],
                declared_child=False,
                reason_codes=[],
            )
        )
        record.sourcing = Sourcing()

    async def search(self, where: CandidateFilter) -> list[CandidateRecord]:
        query = sa.select(candidates)
        if where.theme is not None:
            query = query.where(sa.literal(where.theme.value) == sa.any_(candidates.c.themes))
        if where.status is not None:
            query = query.where(candidates.c.status == where.status.value)
        if where.source is not None:
            query = query.where(sa.literal(where.source.value) == sa.any_(candidates.c.sources))
        if where.route is not None:
            query = query.where(candidates.c.contact_route == where.route.value)
        if where.support_service_ref is not None:
            query = query.where(candidates.c.support_service_ref == where.support_service_ref)
        query = (
            query.order_by(candidates.c.updated_at.desc(), candidates.c.participant_ref)
            .limit(where.limit)
            .offset(where.offset)
        )
        return [_record(row) for row in await self.session.execute(query)]

    async def history_of(self, participant_ref: str) -> Sequence[sa.Row[Any, Any, Any, Any]]:
        return (
            await self.session.execute(
                sa.select(history)
                .where(history.c.participant_ref == participant_ref)
                .order_by(history.c.id)
            )
        ).all()

    # --- the facts screening needs ------------------------------------------------------------

    async def facts(
        self, record: CandidateRecord, *, listed: dict[str, bool] | None = None
    ) -> VictimFacts:
        """`listed`: do-not-contact answers already known in this transaction, by digest."""
        s = record.sourcing
        conditions = []
        if s.victim_ref is not None:
            conditions.append(cases.c.victim_ref == s.victim_ref)
        if s.claimed_case_ref is not None:
            conditions.append(cases.c.case_ref == s.claimed_case_ref)
        found: list[CaseFacts] = []
        if s.victim_ref is not None and s.claimed_case_ref is None:
            rows = await self.session.execute(_CASES_OF_VICTIM, {"p_victim": s.victim_ref})
            found = [_case(row) for row in rows]
        elif conditions:
            rows = await self.session.execute(
                sa.select(cases).where(sa.or_(*conditions)).order_by(cases.c.case_ref)
            )
            found = [_case(row) for row in rows]
        if s.claimed_case_ref is not None and not any(
            c.case_ref == s.claimed_case_ref for c in found
        ):
            found.append(CaseFacts(case_ref=s.claimed_case_ref))  # claimed, not yet known
        return VictimFacts(
            cases=tuple(found),
            on_do_not_contact=await self._listed(
                self.do_not_contact.key_of(record.candidate.participant_ref, s.victim_ref), listed
            ),
            last_approached_at=record.candidate.last_approached_at,
            self_referred=record.candidate.self_referred,
            known_to_force=record.candidate.known_to_force,
            declared_themes=s.declared_themes,
            declared_child=s.declared_child,
            nominated_service_ref=s.nominated_service_ref,
            nominated_worker_ref=s.nominated_worker_ref,
        )

    async def _listed(self, entry_id: str, known: dict[str, bool] | None) -> bool:
        if known is not None and entry_id in known:
            return known[entry_id]
        return await self.do_not_contact.contains(entry_id)

    # --- cases -------------------------------------------------------------------------------

    async def record_reopening(self, case_ref: str, at: datetime) -> None:
        statement = insert(cases).values(case_ref=case_ref, reopened_at=at)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[cases.c.case_ref],
                set_={
                    "reopened_at": sa.func.greatest(
                        cases.c.reopened_at, statement.excluded.reopened_at
                    )
                },
            )
        )

    async def record_complaint(self, case_ref: str, complaint_ref: str, *, resolved: bool) -> None:
        state = "resolved" if resolved else "open"
        entry = sa.func.jsonb_build_object(complaint_ref, state)
        statement = insert(cases).values(case_ref=case_ref, complaints=entry)
        merged: sa.ColumnElement[Any] = cases.c.complaints.op("||")(entry)
        if not resolved:
            # An opening that arrives after its resolution must not reopen it.
            merged = sa.case(
                (cases.c.complaints.has_key(complaint_ref), cases.c.complaints), else_=merged
            )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[cases.c.case_ref], set_={"complaints": merged}
            )
        )

    async def link_case(self, case_ref: str, victim_ref: str) -> bool:
        """A flag or nomination names the victim's case: like a self-referrer's claimed case, it
        must be known closed before the victim is screened. A case already known as another
        victim's stays theirs; the force's closure has the last word on whose case it is.
        Returns whether the case is newly the victim's."""
        statement = insert(cases).values(case_ref=case_ref, victim_ref=victim_ref)
        result = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[cases.c.case_ref],
                set_={"victim_ref": statement.excluded.victim_ref},
                where=cases.c.victim_ref.is_(None),
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def closed_case_victim(self, case_ref: str) -> str | None:
        """Whose case this is, once the force closed it (a flag's link does not decide it)."""
        found: str | None = await self.session.scalar(
            sa.select(cases.c.victim_ref).where(
                cases.c.case_ref == case_ref, cases.c.closed_at.is_not(None)
            )
        )
        return found

    async def victim_of(self, case_ref: str) -> str | None:
        found: str | None = await self.session.scalar(
            sa.select(cases.c.victim_ref).where(cases.c.case_ref == case_ref)
        )
        return found


# The hot path's statements, built once (with bind parameters) rather than per event.


def _ensure_params(victim_ref: str, source: CandidateSource) -> dict[str, Any]:
    return {
        "p_ref": str(uuid4()),
        "p_victim": victim_ref,
        "p_sources": [source.value],
        "p_source": source.value,
    }


# An unattached claimer: a self-referrer (not withdrawn) claims the case and is not yet any
# victim's candidate. Said twice, in SQL (to create no candidate for the victim) and in Python
# (to merge the claimer instead): the two must agree, or a victim gets two candidates or none.


def _unattached_claimer() -> Any:
    return sa.exists().where(
        candidates.c.claimed_case_ref == sa.bindparam("p_case", type_=sa.Text),
        candidates.c.victim_ref.is_(None),
        candidates.c.status != Status.WITHDRAWN.value,
    )


def is_unattached_claimer(record: CandidateRecord) -> bool:
    """Of the candidates found for a case (so `claimed_case_ref` is that case's)."""
    return (
        record.sourcing.claimed_case_ref is not None
        and record.sourcing.victim_ref is None
        and record.candidate.status is not Status.WITHDRAWN
    )


def _ensure(*, unless_claimed: bool = False) -> Any:
    """`unless_claimed`: a victim without a candidate gets none when a self-referrer claims the
    case (that self-referrer becomes the victim's candidate instead; see `attach`)."""
    source = sa.bindparam("p_source", type_=sa.Text)
    victim_ref = sa.bindparam("p_victim", type_=candidates.c.victim_ref.type)
    row = sa.select(
        sa.bindparam("p_ref", type_=candidates.c.participant_ref.type),
        victim_ref,
        sa.literal(Status.PENDING.value),
        sa.bindparam("p_sources", type_=candidates.c.sources.type),
    )
    if unless_claimed:
        has_candidate = sa.exists().where(candidates.c.victim_ref == victim_ref)
        row = row.where(sa.or_(~_unattached_claimer(), has_candidate))
    return (
        insert(candidates)
        .from_select(["participant_ref", "victim_ref", "status", "sources"], row)
        .on_conflict_do_update(
            index_elements=[candidates.c.victim_ref],
            set_={
                "sources": sa.case(
                    (source == sa.any_(candidates.c.sources), candidates.c.sources),
                    else_=sa.func.array_append(candidates.c.sources, source),
                )
            },
        )
    )


def _new_route() -> Any:
    """The route was not yet the victim's: every part of one statement sees the rows as they
    were before it, so this reads the candidate before the upsert."""
    had_it = sa.exists().where(
        candidates.c.victim_ref == sa.bindparam("p_victim", type_=sa.Text),
        sa.bindparam("p_source", type_=sa.Text) == sa.any_(candidates.c.sources),
    )
    return sa.not_(had_it).label("new_route")


_ensured_cte = _ensure().returning(*candidates.c).cte("ensured")
_ENSURED = sa.select(*_ensured_cte.c, _new_route())
_ensured_unless_claimed_cte = _ensure(unless_claimed=True).returning(*candidates.c).cte("ensured")
_claimed_cte = (
    sa.select(candidates)
    .where(
        candidates.c.claimed_case_ref == sa.bindparam("p_case", type_=sa.Text),
        candidates.c.victim_ref.is_distinct_from(sa.bindparam("p_victim", type_=sa.Text)),
    )
    .with_for_update()
    .cte("claimed")
)
_ensured_or_claimed = sa.union_all(
    sa.select(*_ensured_unless_claimed_cte.c, _new_route()),
    sa.select(*_claimed_cte.c, sa.false().label("new_route")),
).subquery()
_ENSURED_OR_CLAIMED = sa.select(*_ensured_or_claimed.c).order_by(
    _ensured_or_claimed.c.participant_ref
)

CLOSURE_COLUMNS = (
    "case_ref",
    "victim_ref",
    "oic_ref",
    "themes",
    "justice_status",
    "closed_at",
    "child",
    "support_service_ref",
    "support_worker_ref",
    "safeguarding",
)


def _closure_unless_listed() -> Any:
    listed = sa.exists().where(
        do_not_contact.c.digest == sa.bindparam("p_digest", type_=do_not_contact.c.digest.type)
    )
    victim_ref = sa.bindparam("p_victim_ref", type_=cases.c.victim_ref.type)
    has_candidate = sa.exists().where(candidates.c.victim_ref == victim_ref)
    # As the rows were before the statement (see `_new_route`).
    known_closed = sa.exists().where(
        cases.c.case_ref == sa.bindparam("p_case_ref", type_=cases.c.case_ref.type),
        cases.c.victim_ref == victim_ref,
        cases.c.closed_at.is_not(None),
    )
    source = sa.select(
        *(sa.bindparam(f"p_{k}", type_=cases.c[k].type).label(k) for k in CLOSURE_COLUMNS)
    ).where(sa.or_(~listed, has_candidate))
    statement = insert(cases).from_select(list(CLOSURE_COLUMNS), source)
    closure = {k: statement.excluded[k] for k in CLOSURE_COLUMNS if k != "case_ref"}
    upsert = statement.on_conflict_do_update(
        index_elements=[cases.c.case_ref],
        set_=closure,
        where=sa.or_(
            cases.c.closed_at.is_(None), cases.c.closed_at <= statement.excluded.closed_at
        ),
    ).cte("closure")
    return sa.select(
        listed.label("listed"),
        has_candidate.label("has_candidate"),
        sa.not_(known_closed).label("new_case"),
    ).add_cte(upsert)


_CLOSURE_UNLESS_LISTED = _closure_unless_listed()
# The candidate's columns come from the parameters' keys (see `save`).
_SAVE = (
    candidates.update()
    .where(candidates.c.participant_ref == sa.bindparam("p_ref", type_=sa.Text))
    .values(updated_at=sa.func.now())
)
_CASES_OF_VICTIM = (
    sa.select(cases)
    .where(cases.c.victim_ref == sa.bindparam("p_victim", type_=sa.Text))
    .order_by(cases.c.case_ref)
)


def _record(row: sa.Row[Any]) -> CandidateRecord:
    m = row._mapping
    candidate = Candidate(
        participant_ref=m["participant_ref"],
        status=Status(m["status"]),
        sources=tuple(CandidateSource(s) for s in m["sources"]),
        themes=frozenset(FocusTheme(t) for t in m["themes"]),
        contact_route=ContactRoute(m["contact_route"]) if m["contact_route"] else None,
        supporter_ref=m["supporter_ref"],
        support_service_ref=m["support_service_ref"],
        child=m["child"],
        safeguarding=m["safeguarding"],
        reason_codes=tuple(m["reason_codes"]),
        excluded_by_screening=m["excluded_by_screening"],
        deferred_until=m["deferred_until"],
        policy_version=m["policy_version"],
        approach=_approach(m["approach"]),
        last_approached_at=m["last_approached_at"],
        consent=_consent(m["consent"]),
        withdrawn_at=m["withdrawn_at"],
    )
    sourcing = Sourcing(
        victim_ref=m["victim_ref"],
        claimed_case_ref=m["claimed_case_ref"],
        nominated_service_ref=m["nominated_service_ref"],
        nominated_worker_ref=m["nominated_worker_ref"],
        declared_themes=frozenset(FocusTheme(t) for t in m["declared_themes"]),
        declared_child=m["declared_child"],
    )
    return CandidateRecord(
        candidate,
        sourcing,
        m["updated_at"],
        m["journey_traceparent"],
        journey_known=True,
        merged_into=m["merged_into"],
    )


def _case(row: sa.Row[Any]) -> CaseFacts:
    m = row._mapping
    return CaseFacts(
        case_ref=m["case_ref"],
        justice_status=JusticeStatus(m["justice_status"]) if m["justice_status"] else None,
        closed_at=m["closed_at"],
        reopened_at=m["reopened_at"],
        open_complaints=sum(1 for state in m["complaints"].values() if state == "open"),
        themes=frozenset(FocusTheme(t) for t in m["themes"]),
        child=m["child"],
        safeguarding=m["safeguarding"],
        oic_ref=m["oic_ref"],
        support_service_ref=m["support_service_ref"],
        support_worker_ref=m["support_worker_ref"],
    )


def _approach_json(approach: Approach | None) -> dict[str, str] | None:
    if approach is None:
        return None
    return {"via": approach.via.value, "by_ref": approach.by_ref, "at": approach.at.isoformat()}


def _approach(raw: dict[str, str] | None) -> Approach | None:
    if raw is None:
        return None
    return Approach(ContactRoute(raw["via"]), raw["by_ref"], datetime.fromisoformat(raw["at"]))


def _consent_json(consent: Consent | None) -> dict[str, Any] | None:
    if consent is None:
        return None
    return {
        "mode": consent.mode.value,
        "scopes": sorted(consent.scopes),
        "case_study_team_refs": list(consent.case_study_team_refs),
        "praise_officer_refs": list(consent.praise_officer_refs),
        "guardian_consent": consent.guardian_consent,
        "given_at": consent.given_at.isoformat(),
    }


def _consent(raw: dict[str, Any] | None) -> Consent | None:
    if raw is None:
        return None
    return Consent(
        mode=ParticipationMode(raw["mode"]),
        scopes=frozenset(ConsentScope(s) for s in raw["scopes"]),
        case_study_team_refs=tuple(raw["case_study_team_refs"]),
        praise_officer_refs=tuple(raw["praise_officer_refs"]),
        guardian_consent=raw["guardian_consent"],
        given_at=datetime.fromisoformat(raw["given_at"]),
    )
