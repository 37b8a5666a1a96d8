"""The panels use cases: each takes a unit of work, calls the domain, stores the result and
queues the outgoing events. Callers commit (one transaction per command or event batch)."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import uuid4

from vfp_panels.adapters import tables
from vfp_panels.adapters.outgoing import to_contract
from vfp_panels.adapters.repository import (
    AttendanceRepository,
    IdempotencyKeys,
    InvitationRepository,
    PanelRepository,
    PoolRepository,
)
from vfp_panels.domain import commands, dates
from vfp_panels.domain.agenda_rules import AgendaFacts, broken_rules
from vfp_panels.domain.attendance import AttendanceSummary, Attendee, summarise
from vfp_panels.domain.consent import Consent, counts
from vfp_panels.domain.errors import (
    AgendaChangedMeanwhile,
    AlertNotFound,
    BrokenRule,
    Invalid,
    InvitationNotFound,
    PanelClash,
    PanelNotFound,
)
from vfp_panels.domain.invitations import (
    Invitation,
    invite_organisation,
    invite_staff_audience,
    invite_victim,
)
from vfp_panels.domain.model import REMOVED_CONSENT_WITHDRAWN, UPCOMING, Panel, PanelStatus
from vfp_panels.domain.policy import PanelPolicy
from vfp_shared.audit import record, record_many
from vfp_shared.auth import Principal, Role
from vfp_shared.contracts.panels.vocabulary import InviteeKind
from vfp_shared.contracts.vocabulary import FocusTheme, ParticipationMode
from vfp_shared.storage.unit_of_work import UnitOfWork

SYSTEM = "system"
PLANNING = "panel planning"
STAFF_SEES = frozenset(PanelStatus) - {PanelStatus.DRAFT}


def new_ref(prefix: str) -> str:
    return f"{prefix}-{uuid4()}"


def organisers(principal: Principal) -> bool:
    return bool(principal.has(Role.PANEL_LEAD, Role.COORDINATOR))


def _publish(uow: UnitOfWork, panel: Panel) -> None:
    for event in panel.events:
        uow.emit(to_contract(event))
    panel.events.clear()


async def _audit(
    uow: UnitOfWork, who: Principal | str, action: str, subject_ref: str, reason: str = PLANNING
) -> None:
    await record(uow.session, tables.audit, who, action, subject_ref, reason)


async def _audit_each(
    uow: UnitOfWork,
    who: Principal | str,
    action: str,
    subject_refs: Sequence[str],
    reason: str = PLANNING,
) -> None:
    """One audit row per subject, written in one statement."""
    await record_many(uow.session, tables.audit, who, action, subject_refs, reason)


async def _panel(uow: UnitOfWork, panel_ref: str, actor: Principal) -> Panel:
    """The panel as this person may see it: their organisation's, and no drafts for staff."""
    panel = await PanelRepository(uow.session).get(panel_ref, actor.organisation)
    if not organisers(actor) and panel.status not in STAFF_SEES:
        raise PanelNotFound(panel_ref)
    return panel


# Panels and their dates


async def create_panel(
    uow: UnitOfWork, command: commands.CreatePanel, actor: Principal
) -> tuple[Panel, bool]:
    """A draft panel, refused when it clashes with another; (panel, created?). A repeated
    Idempotency-Key returns the panel the first request made, if it asks the same."""
    panels = PanelRepository(uow.session)
    await panels.lock_diary(actor.organisation)
    keys = IdempotencyKeys(uow.session)
    if command.idempotency_key:
        earlier = await keys.earlier(actor.subject, command.idempotency_key)
        if earlier is not None:
            panel_ref, fingerprint = earlier
            if fingerprint not in (None, command.fingerprint()):
                raise Invalid(
                    ("header", "idempotency-key"),
                    "this Idempotency-Key was used for a different request; use a new key",
                )
            return await panels.get(panel_ref, actor.organisation), False
    panel = Panel(
        ref=new_ref("panel"),
        organisation=actor.organisation,
        title=command.title,
        starts_at=command.starts_at,
        ends_at=command.ends_at,
        format=command.format,
        themes=list(dict.fromkeys(command.themes)),
        lead_ref=command.lead_ref,
        case_study_capacity=command.case_study_capacity,
        meeting_link=command.meeting_link,
        venue=command.venue,
        coordinator_refs=list(command.coordinator_refs),
        command_area_refs=list(command.command_area_refs),
        organisation_refs=list(command.organisation_refs),
    )
    others = await panels.windows(actor.organisation)
    clashing = dates.clashes(dates.Window(panel.starts_at, panel.ends_at), others)
    if clashing:
        raise PanelClash(clashing)
    await panels.add(panel)
    if command.idempotency_key:
        await keys.remember(
            actor.subject, command.idempotency_key, panel.ref, command.fingerprint()
        )
    await _audit(uow, actor, "panel.created", panel.ref)
    return panel, True


async def propose_dates(
    uow: UnitOfWork, policy: PanelPolicy, actor: Principal, now: datetime, count: int
) -> list[dates.Window]:
    taken = await PanelRepository(uow.session).windows(actor.organisation)
    return dates.propose_dates(policy.cadence, [window for _, window in taken], now, count)


async def view_panel(uow: UnitOfWork, panel_ref: str, actor: Principal) -> Panel:
    panel = await _panel(uow, panel_ref, actor)
    if organisers(actor):
        await _audit_case_study_reads(uow, actor, panel)
    return panel


async def list_panels(
    uow: UnitOfWork,
    actor: Principal,
    now: datetime,
    *,
    upcoming: bool,
    status: PanelStatus | None,
) -> list[Panel]:
    """Organisers see every panel; staff see all but drafts. `upcoming`: not started yet."""
    visible = set(PanelStatus) if organisers(actor) else set(STAFF_SEES)
    if upcoming:
        visible &= {PanelStatus.DRAFT, PanelStatus.SCHEDULED}
    if status is not None:
        visible &= {status}
    found = await PanelRepository(uow.session).find(
        actor.organisation, visible, now if upcoming else None
    )
    if organisers(actor):
        await _audit_case_study_reads(uow, actor, *found)
    return found


async def _audit_case_study_reads(uow: UnitOfWork, actor: Principal, *panels: Panel) -> None:
    read = [item.participant_ref for panel in panels for item in panel.agenda]
    await _audit_each(uow, actor, "agenda.read", [ref for ref in read if ref])


async def schedule(uow: UnitOfWork, panel_ref: str, actor: Principal) -> Panel:
    panels = PanelRepository(uow.session)
    panel = await panels.get(panel_ref, actor.organisation)
    panel.schedule()
    await panels.save(panel)
    await _audit(uow, actor, "panel.scheduled", panel.ref)
    _publish(uow, panel)
    return panel


async def move(uow: UnitOfWork, panel_ref: str, window: dates.Window, actor: Principal) -> Panel:
    """New times for a draft or scheduled panel, refused when they clash with another."""
    panels = PanelRepository(uow.session)
    await panels.lock_diary(actor.organisation)
    panel = await panels.get(panel_ref, actor.organisation)
    others = [(ref, w) for ref, w in await panels.windows(actor.organisation) if ref != panel.ref]
    panel.move_to(window.starts_at, window.ends_at)
    clashing = dates.clashes(window, others)
    if clashing:
        raise PanelClash(clashing)
    await panels.save(panel)
    await _audit(uow, actor, "panel.moved", panel.ref)
    _publish(uow, panel)
    return panel


async def cancel(
    uow: UnitOfWork, command: commands.CancelPanel, actor: Principal, now: datetime
) -> Panel:
    panels = PanelRepository(uow.session)
    panel = await panels.get(command.panel_ref, actor.organisation)
    panel.cancel(command.reason_code, now)
    await panels.save(panel)
    await _audit(uow, actor, "panel.cancelled", panel.ref, command.reason_code)
    _publish(uow, panel)
    return panel


async def close(uow: UnitOfWork, panel_ref: str, actor: Principal) -> Panel:
    panels = PanelRepository(uow.session)
    panel = await panels.get(panel_ref, actor.organisation)
    panel.close()
    await panels.save(panel)
    await _audit(uow, actor, "panel.closed", panel.ref)
    return panel


async def acknowledge_alert(
    uow: UnitOfWork, panel_ref: str, alert_ref: str, actor: Principal, now: datetime
) -> Panel:
    panels = PanelRepository(uow.session)
    panel = await panels.get(panel_ref, actor.organisation)
    if panel.acknowledge(alert_ref, actor.subject, now) is None:
        raise AlertNotFound(alert_ref)
    await panels.save(panel)
    await _audit(uow, actor, "alert.acknowledged", panel.ref)
    return panel


# The agenda


async def replace_agenda(
    uow: UnitOfWork, command: commands.ReplaceAgenda, actor: Principal
) -> Panel:
    """A new draft agenda; its case studies' victims must be in the pool now."""
    participants = [item.participant_ref for item in command.items if item.participant_ref]
    await uow.lock_participants(participants)
    panels = PanelRepository(uow.session)
    panel = await panels.get(command.panel_ref, actor.organisation)
    consented = await PoolRepository(uow.session).get_many(participants)
    panel.replace_agenda(list(command.items), consented.keys())
    await panels.save(panel)
    await _audit(uow, actor, "agenda.replaced", panel.ref)
    await _audit_each(uow, actor, "agenda.case-study-set", participants)
    return panel


async def _agenda_facts(uow: UnitOfWork, policy: PanelPolicy, panel: Panel) -> AgendaFacts:
    participants = [i.participant_ref for i in panel.agenda if i.participant_ref]
    return AgendaFacts(
        items=panel.agenda,
        event_minutes=panel.minutes,
        themes=panel.themes,
        case_study_capacity=panel.case_study_capacity,
        commissioned_service_refs=policy.commissioned_service_refs,
        consents=await PoolRepository(uow.session).get_many(participants),
        invited_participant_refs=await InvitationRepository(uow.session).invited_participants(
            panel.ref
        ),
    )


async def check_agenda(
    uow: UnitOfWork, policy: PanelPolicy, panel_ref: str, actor: Principal
) -> list[BrokenRule]:
    """The checks publishing would run, without publishing."""
    panel = await PanelRepository(uow.session).get(panel_ref, actor.organisation)
    return broken_rules(await _agenda_facts(uow, policy, panel))


async def publish_agenda(
    uow: UnitOfWork, policy: PanelPolicy, panel_ref: str, actor: Principal, now: datetime
) -> Panel:
    panels = PanelRepository(uow.session)
    # Its victims' locks before the panel's (the order every writer keeps), so the pool it is
    # checked against cannot change under it; an agenda replaced meanwhile is refused.
    named = await panels.agenda_participants(panel_ref)
    await uow.lock_participants(named)
    panel = await panels.get(panel_ref, actor.organisation)
    if {item.participant_ref for item in panel.agenda if item.participant_ref} - named:
        raise AgendaChangedMeanwhile()
    panel.publish_agenda(await _agenda_facts(uow, policy, panel), now)
    await panels.save(panel)
    await _audit(uow, actor, "agenda.published", panel.ref)
    _publish(uow, panel)
    return panel


@dataclass(frozen=True)
class ServiceSlot:
    panel: Panel
    position: int
    starts_at: datetime
    minutes: int


async def service_slots(uow: UnitOfWork, actor: Principal, now: datetime) -> list[ServiceSlot]:
    """A commissioned service's own coming timeslots (its organisation is its service ref)."""
    if not actor.organisation:
        return []
    found = await PanelRepository(uow.session).service_slots(actor.organisation, now)
    slots = []
    for panel, position, item in found:
        offset = sum(i.minutes for i in panel.agenda[:position])
        slots.append(
            ServiceSlot(panel, position, panel.starts_at + timedelta(minutes=offset), item.minutes)
        )
    return slots


# The pool of consented victims


async def pool(
    uow: UnitOfWork,
    actor: Principal,
    theme: FocusTheme | None,
    mode: ParticipationMode | None,
    limit: int,
) -> list[Consent]:
    found = await PoolRepository(uow.session).find(theme, mode, limit)
    await _audit_each(uow, actor, "pool.read", [consent.participant_ref for consent in found])
    return found


async def on_consent_given(uow: UnitOfWork, consent: Consent) -> None:
    """Into the pool, unless the victim withdrew or was excluded at or after giving this
    consent (the events travel on different topics, so an older consent may arrive late)."""
    # Consent, withdrawal and exclusion travel on different topics: one victim at a time.
    await uow.lock_participants([consent.participant_ref])
    repository = PoolRepository(uow.session)
    if not counts(consent, await repository.barred_since(consent.participant_ref)):
        await _audit(
            uow, SYSTEM, "pool.consent-ignored", consent.participant_ref, "consent superseded"
        )
        return
    await repository.upsert(consent)
    await _audit(uow, SYSTEM, "pool.consent-given", consent.participant_ref, "consent given")


async def on_candidate_excluded(
    uow: UnitOfWork,
    policy: PanelPolicy,
    participant_ref: str,
    excluded_at: datetime,
    now: datetime,
) -> None:
    """The participants service excluded the victim: out of the pool, off the agendas and
    invitations of panels not yet held (each announces it; a near one raises an alert). Not an
    erasure: held, closed and cancelled panels keep their record. An exclusion older than the
    consent in the pool (delivered late) changes nothing; a consent given after it counts
    again."""
    await uow.lock_participants([participant_ref])
    pool_repository = PoolRepository(uow.session)
    await pool_repository.remember_exclusion(participant_ref, excluded_at)
    given_at = await pool_repository.given_at(participant_ref)
    if given_at is not None and given_at > excluded_at:
        return
    panels = PanelRepository(uow.session)
    upcoming = await panels.with_participant(participant_ref, UPCOMING)
    for panel in upcoming:
        panel.exclude_participant(participant_ref, now, policy.near, new_ref("alert"))
        await panels.save(panel)
        _publish(uow, panel)
    await _audit_each(
        uow, SYSTEM, "participant.removed", [p.ref for p in upcoming], "candidate excluded"
    )
    if upcoming:
        await InvitationRepository(uow.session).remove_participant(
            participant_ref, [p.ref for p in upcoming]
        )
    await pool_repository.remove(participant_ref)
    await _audit(uow, SYSTEM, "pool.excluded", participant_ref, "candidate excluded")


async def on_consent_withdrawn(
    uow: UnitOfWork,
    policy: PanelPolicy,
    participant_ref: str,
    withdrawn_at: datetime,
    now: datetime,
) -> None:
    """Erase the victim from the pool, every agenda and every invitation at once; each
    upcoming panel announces the removal, and a near one raises an alert on itself. The
    withdrawal is remembered, so an older consent arriving later does not bring them back."""
    await uow.lock_participants([participant_ref])
    panels = PanelRepository(uow.session)
    named = await panels.with_participant(participant_ref)
    for panel in named:
        panel.remove_participant(
            participant_ref, REMOVED_CONSENT_WITHDRAWN, now, policy.near, new_ref("alert")
        )
        await panels.save(panel)
        _publish(uow, panel)
    await _audit_each(
        uow, SYSTEM, "participant.removed", [p.ref for p in named], "consent withdrawn"
    )
    await InvitationRepository(uow.session).remove_participant(participant_ref)
    pool_repository = PoolRepository(uow.session)
    await pool_repository.remove(participant_ref)
    await pool_repository.remember_withdrawal(participant_ref, withdrawn_at)
    await _audit(uow, SYSTEM, "participant.erased", participant_ref, "consent withdrawn")


# Invitations


async def invite(
    uow: UnitOfWork, command: commands.Invite, actor: Principal, now: datetime
) -> tuple[Invitation, bool]:
    """One invitation per (panel, invitee): asking again returns the first one, unsent again."""
    if command.kind == InviteeKind.VICTIM and command.participant_ref:
        await uow.lock_participants([command.participant_ref])
    panels = PanelRepository(uow.session)
    panel = await panels.get(command.panel_ref, actor.organisation)
    ref = new_ref("invitation")
    if command.kind == InviteeKind.VICTIM:
        if not command.participant_ref:
            raise Invalid(("body", "participant_ref"), "a victim is invited by participant_ref")
        consents = await PoolRepository(uow.session).get_many([command.participant_ref])
        invitation = invite_victim(ref, panel.ref, consents.get(command.participant_ref), now)
    elif command.kind == InviteeKind.STAFF_AUDIENCE:
        if not command.command_area_ref:
            raise Invalid(("body", "command_area_ref"), "a staff audience is a command area")
        invitation = invite_staff_audience(
            ref, panel.ref, command.command_area_ref, command.role, now
        )
    else:
        if not command.recipient_ref:
            raise Invalid(("body", "recipient_ref"), f"a {command.kind} invitee is a recipient_ref")
        invitation = invite_organisation(ref, panel.ref, command.kind, command.recipient_ref, now)
    stored, created = await InvitationRepository(uow.session).add(invitation)
    if created:
        panel.invite(stored)
        subject = stored.participant_ref or panel.ref
        await _audit(uow, actor, "invitation.sent", subject)
        _publish(uow, panel)
    return stored, created


async def invitations(uow: UnitOfWork, panel_ref: str, actor: Principal) -> list[Invitation]:
    await PanelRepository(uow.session).get(panel_ref, actor.organisation)
    found = await InvitationRepository(uow.session).for_panel(panel_ref)
    victims = [invitation.participant_ref for invitation in found if invitation.participant_ref]
    await _audit_each(uow, actor, "invitation.read", victims)
    return found


async def invitation_with_panel(
    uow: UnitOfWork, panel_ref: str, invitation_ref: str, actor: Principal
) -> tuple[Invitation, Panel]:
    panel = await _panel(uow, panel_ref, actor)
    invitation = await InvitationRepository(uow.session).get(panel.ref, invitation_ref)
    # Staff may fetch the calendar entry of an audience invitation, not a victim's.
    if invitation is None or (invitation.participant_ref and not organisers(actor)):
        raise InvitationNotFound(invitation_ref)
    if invitation.participant_ref:
        await _audit(uow, actor, "invitation.read", invitation.participant_ref)
    return invitation, panel


# Registrations and attendance


async def register(
    uow: UnitOfWork, command: commands.Register, actor: Principal, now: datetime
) -> bool:
    """True for a new registration; registering again books nothing more."""
    panel = await _panel(uow, command.panel_ref, actor)
    panel.check_open_for_registration(now)
    created = await AttendanceRepository(uow.session).register(panel.ref, command.attendee, now)
    if created:
        await _audit(uow, actor, "registration.made", panel.ref)
    return created


async def registrations(uow: UnitOfWork, panel_ref: str, actor: Principal) -> list[Attendee]:
    await PanelRepository(uow.session).get(panel_ref, actor.organisation)
    return await AttendanceRepository(uow.session).registrations(panel_ref)


async def _record_attendance(
    uow: UnitOfWork, panel: Panel, attendees: Sequence[Attendee], now: datetime
) -> None:
    repository = AttendanceRepository(uow.session)
    registered = {a.attendee_ref: a for a in await repository.registrations(panel.ref)}
    # What the attendee gave when registering fills what the coordinator left out.
    completed = []
    for attendee in attendees:
        known = registered.get(attendee.attendee_ref)
        if known is not None:
            attendee = replace(
                attendee,
                command_area_ref=attendee.command_area_ref or known.command_area_ref,
                role=attendee.role or known.role,
                organisation_ref=attendee.organisation_ref or known.organisation_ref,
            )
        completed.append(attendee)
    await repository.record(panel.ref, completed, now)


async def record_attendance(
    uow: UnitOfWork, command: commands.RecordAttendance, actor: Principal, now: datetime
) -> AttendanceSummary:
    panel = await PanelRepository(uow.session).get(command.panel_ref, actor.organisation)
    panel.check_attendance_recordable(now)
    await _record_attendance(uow, panel, command.attendees, now)
    await _audit(uow, actor, "attendance.recorded", panel.ref)
    return summarise(await AttendanceRepository(uow.session).attendees(panel.ref))


async def attendance(uow: UnitOfWork, panel_ref: str, actor: Principal) -> AttendanceSummary:
    await PanelRepository(uow.session).get(panel_ref, actor.organisation)
    return summarise(await AttendanceRepository(uow.session).attendees(panel_ref))


async def mark_held(
    uow: UnitOfWork, command: commands.MarkHeld, actor: Principal, now: datetime
) -> Panel:
    """Held, with its recording (for staff) and who attended (for the staff survey). With no
    attendance recorded, those who registered stand in for the attendees."""
    panels = PanelRepository(uow.session)
    panel = await panels.get(command.panel_ref, actor.organisation)
    panel.check_can_be_held(now)
    await _record_attendance(uow, panel, command.attendees, now)
    people = AttendanceRepository(uow.session)
    summary = summarise(await people.attendees(panel.ref) or await people.registrations(panel.ref))
    panel.mark_held(command.recording_ref, summary, now)
    await panels.save(panel)
    await _audit(uow, actor, "panel.held", panel.ref)
    _publish(uow, panel)
    return panel
